#!/usr/bin/env bash
# `make bench`: the benchmarks (`[[bench]] harness = false` targets, built
# with the bench profile). Each prints its figures with a ratio against a
# baseline measured in the same run; none asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bench() { cargo bench -q -p "$1" --bench "$2"; }
echo "== box-sandbox: generator time/memory, requests per second on loopback"
cargo bench -p box-sandbox
echo "== connector-core store: call logging, single-writer throughput, health, open"
bench connector-core store_bench
echo "== connector-core Box client: 64 concurrent metadata GETs, and 64 MiB downloads, vs bare reqwest"
bench connector-core client_bench
echo "== connector-core queue at 1M files: enqueue, claim + complete vs bare sqlx, bump latency, status reads"
bench connector-core queue_bench
echo "== connector-core pipeline: peak RSS scanning 1M files (sandbox in its own process), edit/share -> rescan latency mid-scan"
# The sandbox binary in the bench profile's dir (target/release), where pipeline_bench looks for it.
cargo build -q --release -p box-sandbox --bin box-sandbox && bench connector-core pipeline_bench
echo "== connector-core detectors: one pass over a 200 MB mixed corpus vs one regex pass per detector"
bench connector-core detect_bench
echo "== connector-core detectors: precision and recall per detector over a labelled corpus (sandbox values and near-misses, look-alike numbers)"
bench connector-core detect_accuracy
echo "== connector-core extraction: DOCX / XLSX / PDF MB/s, peak RSS of a 500 MB text file"
bench connector-core extract_bench
echo "== reading in child processes: throughput in and out of process, memory of the app and its readers with 500 MB files and the hostile corpus"
bench box-connector-e2e isolation_bench
echo "== connector-core inspection: peak RSS inspecting a 500 MB file, content requests per content, downloads the sha1 cache saves"
bench connector-core inspect_bench
echo "== connector-core governance: a bulk action one item at a time vs eight at once across owners, requests per item"
bench connector-core govern_bench
echo "== connector-core policies: share -> an acting policy's change with only the headless scanner running (p50/p95 over 20 shares) vs share -> finding open"
scripts/with-keyring.sh cargo bench -q -p connector-core --bench policy_bench
