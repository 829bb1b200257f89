#!/usr/bin/env bash
# `make bench`: the benchmarks. Each prints its figures with a ratio against a
# baseline measured in the same run; none asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== box-sandbox: generator time/memory, requests per second on loopback"
cargo bench -p box-sandbox
echo "== connector-core store: call logging, single-writer throughput, health, open"
cargo run -q --release -p connector-core --example store_bench
echo "== connector-core Box client: 64 concurrent metadata GETs, and 64 MiB downloads, vs bare reqwest"
cargo run -q --release -p connector-core --example client_bench
echo "== connector-core queue at 1M files: enqueue, claim + complete vs bare sqlx, bump latency, status reads"
cargo run -q --release -p connector-core --example queue_bench
echo "== connector-core pipeline: peak RSS scanning 1M files (sandbox in its own process), edit/share -> rescan latency mid-scan"
cargo build -q --release -p box-sandbox --bin box-sandbox && cargo run -q --release -p connector-core --example pipeline_bench
echo "== connector-core detectors: one pass over a 200 MB mixed corpus vs one regex pass per detector"
cargo run -q --release -p connector-core --example detect_bench
echo "== connector-core detectors: precision and recall per detector over a labelled corpus (sandbox values and near-misses, look-alike numbers)"
cargo run -q --release -p connector-core --example detect_accuracy
echo "== connector-core extraction: DOCX / XLSX / PDF MB/s, peak RSS of a 500 MB text file"
cargo run -q --release -p connector-core --example extract_bench
echo "== reading in child processes: throughput in and out of process, memory of the app and its readers with 500 MB files and the hostile corpus"
cargo run -q --release -p box-connector-e2e --example isolation_bench
echo "== connector-core inspection: peak RSS inspecting a 500 MB file, content requests per content, downloads the sha1 cache saves"
cargo run -q --release -p connector-core --example inspect_bench
echo "== connector-core governance: a bulk action one item at a time vs eight at once across owners, requests per item"
cargo run -q --release -p connector-core --example govern_bench
echo "== connector-core policies: share -> an acting policy's change with only the headless scanner running (p50/p95 over 20 shares) vs share -> finding open"
scripts/with-keyring.sh cargo run -q --release -p connector-core --example policy_bench
