#!/usr/bin/env bash
# Regenerates .sqlx/, the offline data sqlx's query macros check against
# (builds set SQLX_OFFLINE=true in .cargo/config.toml, so no database is
# needed to build). Run it after changing a query!/query_as!/query_scalar!
# or adding a migration, and commit .sqlx/ with the change.
#
# Needs sqlx-cli at the sqlx version in Cargo.lock:
#   cargo install sqlx-cli --no-default-features --features sqlite --version 0.8.6 --locked
# `scripts/sqlx-prepare.sh --check` only verifies that .sqlx/ is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A scratch database at the schema the migrations build.
export DATABASE_URL="sqlite://$work/schema.sqlite3"
cargo sqlx database create
cargo sqlx migrate run --source src-tauri/core/migrations
cargo sqlx prepare --workspace "$@" -- -p connector-core --all-targets
