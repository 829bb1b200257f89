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

step "UI: type check, unit tests, build"
(cd ui && npm run check && npm test && npm run build)

step "clippy (all crates, all targets)"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests (all crates; keychain tests use a private gnome-keyring)"
# Also regenerates the TypeScript bindings; the staleness check below compares them.
scripts/with-keyring.sh cargo test --workspace --no-fail-fast
if ! git diff --quiet -- ui/src/lib/bindings || [ -n "$(git ls-files --others --exclude-standard ui/src/lib/bindings)" ]; then
  echo "TypeScript bindings in ui/src/lib/bindings are stale: commit the regenerated files." >&2
  git status --short -- ui/src/lib/bindings >&2
  exit 1
fi

step "end-to-end: the real app window over WebDriver"
scripts/e2e.sh

echo
echo "make test: all checks passed in $(( $(date +%s) - started )) s"
