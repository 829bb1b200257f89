#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with its own unlocked
# gnome-keyring (Secret Service), so tests and `make run` outside a desktop
# session use the real OS keychain path without touching the user's keyring.
# Only the keyring daemon gets throwaway dirs: the command keeps its own
# XDG_DATA_HOME, so the app's data and logs stay where they always are.
# Usage: scripts/with-keyring.sh CMD...
set -euo pipefail
if [ "${BOX_CONNECTOR_TEST_KEYRING:-}" = 1 ]; then exec "$@"; fi
exec dbus-run-session -- bash -c '
  set -euo pipefail
  keyring_home=$(mktemp -d)
  trap "rm -rf \"$keyring_home\"" EXIT
  export XDG_RUNTIME_DIR="$keyring_home/run"
  mkdir -p "$keyring_home/data" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  # The password only unlocks this throwaway keyring.
  eval "$(printf "test-keyring" | XDG_DATA_HOME="$keyring_home/data" gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL BOX_CONNECTOR_TEST_KEYRING=1
  "$@"
' bash "$@"
