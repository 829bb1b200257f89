#!/usr/bin/env bash
# A long soak of the crash test: `kill -9` at many random points of the
# backfill and the scan of a bigger enterprise, then a final run that must
# end with exactly what an undisturbed run has. The test suite runs 40 kills
# on 500 files; this runs more (defaults below, or pass TRIALS and FILES).
# Then a long random mix of broken and hostile files (HOSTILE_FILES).
set -euo pipefail
cd "$(dirname "$0")/.."
export SCAN_KILL_TRIALS="${TRIALS:-400}" SCAN_SOAK_FILES="${FILES:-5000}"
scripts/with-keyring.sh cargo test -p box-connector-e2e --test cli \
    scan_reliability::kill_9_at_random_points -- --nocapture
# Then a long random mix of broken and hostile files (the suite runs 16).
HOSTILE_SOAK_FILES="${HOSTILE_FILES:-400}" cargo test -p box-connector-e2e --test hostile \
    inspect_hostile::a_random_mix -- --nocapture
