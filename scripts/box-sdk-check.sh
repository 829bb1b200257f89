#!/usr/bin/env bash
# Fidelity check: Box's own Python SDK (box-sdk-gen, written from Box's docs,
# not from our code) signs in, refreshes, lists users, walks folders as users
# and pages events against the sandbox, with only its base URLs changed; then
# writes (upload, new version, shared link create/change/remove, collaboration
# add/remove, delete) and finds each write's event in both enterprise streams.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/box-sdk-venv"
sdk_version=1.17.0
if ! "$venv/bin/python" -c "import box_sdk_gen" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "box-sdk-gen==$sdk_version"
fi
# As scripts/e2e.sh builds it (the tests' feature set: nothing built twice).
cargo build -q --workspace --bins --tests
out=$(mktemp)
"$target/debug/box-sandbox" --port 0 --auto-approve >"$out" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q '^listening on ' "$out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$out" | head -1)
[ -n "$url" ] || { echo "box-sdk-check: the sandbox did not start:"; cat "$out"; exit 1; } >&2
timeout 300 "$venv/bin/python" src-tauri/sandbox/tests/box_sdk/box_sdk_check.py "$url"
