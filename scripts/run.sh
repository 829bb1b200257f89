#!/usr/bin/env bash
# `make run`: opens the built app. Box Connector keeps tokens in the OS keychain
# (Secret Service); a desktop session has one. Without a session bus (a root
# shell over SSH, say) this starts a private gnome-keyring for the app's lifetime.
set -euo pipefail
app="${1:?usage: scripts/run.sh PATH-TO-box-connector}"
cd "$(dirname "$0")/.."

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display (DISPLAY / WAYLAND_DISPLAY unset). Start Box Connector from a desktop session," >&2
  echo "     or give it a virtual one to look at over VNC: xvfb-run -a $app" >&2
  exit 1
fi

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  echo "run: no D-Bus session (so no keychain); starting a private gnome-keyring for this run."
  echo "     Tokens last until the app closes; in a desktop session they stay in your keychain."
  exec scripts/with-keyring.sh "$app"
fi
exec "$app"
