#!/usr/bin/env bash
# Installs what building, running and testing Box Connector needs on Debian 12,
# and nothing that is already there: a second run only checks.
# Usage: scripts/setup.sh [--for run|test]   (test adds Xvfb, WebDriver, gnome-keyring)
set -euo pipefail
cd "$(dirname "$0")/.."

purpose=test
[ "${1:-}" = "--for" ] && purpose="${2:-test}"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup: need root (or sudo) to run: $*" >&2; exit 1; fi; }

# --- Debian packages -------------------------------------------------------
# Tauri's WebKitGTK stack and the Secret Service client library.
packages=(build-essential pkg-config curl ca-certificates libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
          libayatana-appindicator3-dev librsvg2-dev libsecret-1-dev libdbus-1-dev dbus xdg-utils)
# The end-to-end tests: a virtual display, WebKit's WebDriver, a keyring daemon;
# nroff renders the CLI's man page in its test.
[ "$purpose" = test ] && packages+=(xvfb xauth webkit2gtk-driver gnome-keyring dbus-x11 groff-base)
# `make run` outside a desktop session still needs a keyring to keep tokens in.
[ "$purpose" = run ] && packages+=(gnome-keyring dbus-x11)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# --- Node.js (Vite 7 needs 20.19+) ----------------------------------------
node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)'; }
if ! node_ok; then
  say "installing Node.js from Debian (found: $(node --version 2>/dev/null || echo none))"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  node_ok || { echo "setup: Node.js >= 20.19 is needed for the UI build; found $(node --version)" >&2; exit 1; }
fi

# --- Rust tools --------------------------------------------------------------
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; }
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || { say "adding rustup component $c"; rustup component add "$c"; }
  done
fi
if [ "$purpose" = test ] && ! command -v tauri-driver >/dev/null; then
  say "installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# --- UI dependencies -------------------------------------------------------
# npm ci only when the lock file changed since the last install.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "installing UI packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
else
  say "UI packages present"
fi
say "ready"
