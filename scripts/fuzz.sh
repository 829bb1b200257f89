#!/usr/bin/env bash
# `make fuzz`: each file reader and the detector engine under libFuzzer
# (cargo fuzz), each for a bounded time. Not part of `make test`.
# Env: FUZZ_SECONDS (per target, default 60), FUZZ_TARGETS (default: all).
# Findings land in src-tauri/core/fuzz/artifacts/<target>/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../src-tauri/core"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
# cargo fuzz asks the compiler for unstable flags: the machine has stable only.
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
for t in $targets; do
  echo "== fuzz $t for ${seconds}s"
  mkdir -p "fuzz/corpus/$t"
  cargo fuzz run "$t" --sanitizer none -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
    "fuzz/corpus/$t"
done
