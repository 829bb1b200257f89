#!/usr/bin/env bash
# End-to-end tests of the real app window: builds the UI, the app and the
# sandbox's scripted browser, then runs the `window` test binary (tests/tests/window/) under Xvfb
# through tauri-driver + WebKitWebDriver. Each test starts its own app with its
# own data dir and its own D-Bus session + unlocked gnome-keyring.
# Screenshots: artifacts/e2e/*.png (git-ignored).
# Env: CARGO_TARGET_DIR (optional), BOX_CONNECTOR_APP (use another app binary),
#      E2E_FILTER (only tests whose name, module path included, contains it:
#      `govern_` or `connect::`).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}

for tool in tauri-driver WebKitWebDriver xvfb-run dbus-daemon gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null && ! [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/$tool" ]; then
    echo "e2e: $tool is missing (run scripts/setup.sh --for test)" >&2
    exit 1
  fi
done

# npm ci when the lock file changed since the last install (as setup.sh does),
# so a package added to the UI (the dialog plugin) arrives on an existing checkout.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd ui && npm run build)
# The app, the CLI and the sandbox's binaries, with the same package selection
# as `cargo test --workspace` (tests included): cargo then resolves features
# once, so nothing built by the Rust tests is built again here.
$CARGO build --workspace --bins --tests
mkdir -p artifacts/e2e

# WebKit in Xvfb: software rendering, no compositing surprises.
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 LIBGL_ALWAYS_SOFTWARE=1
xvfb-run -a -s "-screen 0 1400x1000x24" \
  $CARGO test --workspace --test window -- --ignored --test-threads=1 ${E2E_FILTER:+"$E2E_FILTER"}
