#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with its own unlocked
# gnome-keyring (Secret Service), so tests and `make run` outside a desktop
# session use the real OS keychain path without touching the user's keyring.
# Only the keyring daemon gets throwaway dirs: the command keeps its own
# XDG_DATA_HOME, so the app's data and logs stay where they always are.
#
# gnome-keyring-daemon (Debian 12's) has been seen to abort in GLib in the
# middle of the crash tests. D-Bus would then activate the system's daemon,
# whose keyring is locked, and every later keychain call would fail. So this
# bus knows one way only to start the Secret Service: our own activation
# file, which starts the daemon unlocked on the same keyring file. A client
# whose call finds the daemon gone waits for D-Bus to start it again, and
# nothing stored is lost. The daemon's own log is kept and printed when it dies.
# Usage: scripts/with-keyring.sh CMD...
set -euo pipefail
if [ "${BOX_CONNECTOR_TEST_KEYRING:-}" = 1 ]; then exec "$@"; fi

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
mkdir -p "$keyring_home/data" "$keyring_home/run" "$keyring_home/services"
chmod 700 "$keyring_home/run"

cat >"$keyring_home/start-keyring" <<EOF
#!/bin/sh
# Started by D-Bus when a client asks for org.freedesktop.secrets.
[ -d "$keyring_home" ] || exit 0
# The shell's own complaints (the session ending under it) go nowhere; ours go to fd 3.
exec 3>&2 2>/dev/null
echo "with-keyring: keyring daemon starting (\$(date +%T))" >>"$keyring_home/daemon.log" 2>/dev/null
printf test-keyring | XDG_RUNTIME_DIR="$keyring_home/run" XDG_DATA_HOME="$keyring_home/data" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >>"$keyring_home/daemon.log" 2>&1
status=\$?
# The session is over when its directory is gone: nothing to report.
[ -d "$keyring_home" ] || exit 0
echo "with-keyring: keyring daemon exited with status \$status (\$(date +%T))" >>"$keyring_home/daemon.log" 2>/dev/null
if [ "\$status" != 0 ]; then
  echo "with-keyring: the test keyring daemon died (status \$status); D-Bus starts it again on the next call. Its log:" >&3
  tail -n 20 "$keyring_home/daemon.log" >&3
fi
EOF
chmod +x "$keyring_home/start-keyring"

for name in org.freedesktop.secrets org.gnome.keyring; do
  printf '[D-BUS Service]\nName=%s\nExec=%s\n' "$name" "$keyring_home/start-keyring" \
    >"$keyring_home/services/$name.service"
done

# The session bus of dbus-run-session, with our activation files ahead of the
# system's (the first directory that names a service wins).
cat >"$keyring_home/session.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$keyring_home/services</servicedir>
  <standard_session_servicedirs/>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="reply_timeout">60000</limit>
</busconfig>
EOF

export BOX_CONNECTOR_TEST_KEYRING=1
dbus-run-session --config-file="$keyring_home/session.conf" -- bash -c '
  set -euo pipefail
  # Start the daemon now, so the first test does not pay for it.
  for i in $(seq 50); do
    dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
      org.freedesktop.DBus.Peer.Ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$@"
' bash "$@"
