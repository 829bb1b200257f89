#!/usr/bin/env bash
# `make test`: every check a change must pass, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)

step "setup"
scripts/setup.sh --for test

step "format"
cargo fmt --all -- --check

step "layers: no module import circle in connector-core"
scripts/module-cycles.py

step "UI: type check, unit tests, build"
(cd ui && npm run check && npm test && npm run build)

step "clippy (all crates, all targets)"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests (all crates; keychain tests use a private gnome-keyring)"
# Includes the check that ui/src/lib/bindings matches the Rust types (src-tauri/src/bindings.rs).
scripts/with-keyring.sh cargo test --workspace --no-fail-fast

step "sandbox fidelity: Box's own Python SDK against the sandbox"
scripts/box-sdk-check.sh

step "end-to-end: the real app window over WebDriver"
scripts/e2e.sh

echo
echo "make test: all checks passed in $(( $(date +%s) - started )) s"
