#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with its own unlocked
# gnome-keyring (Secret Service), so tests and `make run` outside a desktop
# session use the real OS keychain path without touching the user's keyring.
# Only the keyring daemon gets throwaway dirs: the command keeps its own
# XDG_DATA_HOME, so the app's data and logs stay where they always are.
#
# gnome-keyring-daemon (Debian 12's) has been seen to abort in GLib in the
# middle of the crash tests (which kill clients mid-call on purpose); D-Bus
# would then start a fresh daemon whose keyring is locked, and every later
# keychain test would fail. A watchdog follows the daemon that owns the
# Secret Service name on this bus and starts it again at once, unlocked, on
# the same keyring file (nothing stored is lost), saying so on stderr.
# Usage: scripts/with-keyring.sh CMD...
set -euo pipefail
if [ "${BOX_CONNECTOR_TEST_KEYRING:-}" = 1 ]; then exec "$@"; fi
exec dbus-run-session -- bash -c '
  set -euo pipefail
  keyring_home=$(mktemp -d)
  export XDG_RUNTIME_DIR="$keyring_home/run"
  mkdir -p "$keyring_home/data" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
  start_keyring() {
    printf "test-keyring" | XDG_DATA_HOME="$keyring_home/data" \
      gnome-keyring-daemon --replace --unlock --components=secrets
  }
  # The pid that owns the Secret Service name on this session bus (tests
  # that start keyrings of their own do it on buses of their own).
  secrets_owner() {
    local pid="" i
    for i in $(seq 50); do
      pid=$(current_owner)
      [ -n "$pid" ] && break
      sleep 0.1
    done
    echo "$pid"
  }
  current_owner() {
    dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
      | awk "{print \$2}" || true
  }
  eval "$(start_keyring)"
  export GNOME_KEYRING_CONTROL BOX_CONNECTOR_TEST_KEYRING=1
  owner=$(secrets_owner)
  (
    while sleep 0.2; do
      if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
        echo "with-keyring: the keyring daemon died; starting it again, unlocked, on the same keyring file" >&2
        start_keyring >/dev/null 2>&1 || true
        owner=$(secrets_owner)
      fi
    done
  ) &
  watchdog=$!
  trap "kill $watchdog 2>/dev/null; rm -rf \"$keyring_home\"" EXIT
  "$@"
' bash "$@"
