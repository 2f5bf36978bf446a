#!/usr/bin/env bash
# Benchmark of the results ledger (issue 7), one run, every figure from the same run:
#  1. 1,000,000 signed records appended (verify, hash, extend the tree) and checkpointed,
#     next to the machine's raw SHA-256 and Ed25519 throughput, and proofs in microseconds
#     (crates/psephos_ledger/benches/throughput.rs);
#  2. the Iraq demo's bundle (55,000 stations): built from the ledger (`ledger export`) and
#     verified (`verify`), best of 3, with peak memory.
#
#   bash bench/ledger.sh [RECORDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
records=${1:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/psephos-bench-ledger.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. append $records signed records"
(cd "$root" && cargo bench --quiet -p psephos_ledger --bench throughput -- "$records")

echo "== 2. the Iraq demo's bundle"
(cd "$root" && cargo build --release --quiet -p psephos)
psephos="${CARGO_TARGET_DIR:-$root/target}/release/psephos"
/usr/bin/time -o "$work/time" -f "%e %M" "$psephos" --quiet demo --out "$work/demo" > /dev/null
read -r t m < "$work/time"
echo "demo (generate, sign every form, append, a witnessed checkpoint per phase and one for the results, bundle): $t s, $((m / 1024)) MB peak"
keys="$work/demo/keys"
best_export="" best_verify="" mem_verify=""
for i in 1 2 3; do
  rm -rf "$work/bundle$i"
  /usr/bin/time -o "$work/time" -f "%e %M" "$psephos" --quiet ledger export "$work/demo/ledger" \
    --package "$work/demo/package" --out "$work/bundle$i" \
    --key "$keys/commissioner-1.key" --key "$keys/commissioner-2.key" --key "$keys/commissioner-3.key" 2> /dev/null
  read -r t m < "$work/time"
  if [ -z "$best_export" ] || awk "BEGIN{exit !($t < $best_export)}"; then best_export=$t; fi
  /usr/bin/time -o "$work/time" -f "%e %M" "$psephos" --quiet verify "$work/bundle$i" > "$work/verify.txt"
  read -r t m < "$work/time"
  if [ -z "$best_verify" ] || awk "BEGIN{exit !($t < $best_verify)}"; then best_verify=$t; mem_verify=$m; fi
done
tail -1 "$work/verify.txt"
entries=$(cat "$work/demo/ledger/size")
size=$(du -sh "$work/bundle1" | cut -f1)
echo "bundle: $entries entries, $size; ledger export best of 3: $best_export s; verify best of 3: $best_verify s, $((mem_verify / 1024)) MB peak (target: at most 2 s)"
