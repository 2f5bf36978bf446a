#!/usr/bin/env bash
# Benchmark: ranked-choice counts of synthetic elections (1,000,000 and 10,000,000 ballots,
# 10 candidates, up to 5 ranks) read from RCTab generic CSV and NIST CDF JSON, against
# pyrankvote and votekit counting the same CSV in the same run.
#
#   bash bench/rcv.sh            # data in a temporary directory, removed at the end
#   BENCH_DIR=/tmp/rb bash bench/rcv.sh   # keep the generated data
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/psephos-bench-rcv.XXXXXX")}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

echo "== peers: pyrankvote and votekit in a throwaway virtualenv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pyrankvote votekit

echo "== psephos: release build"
(cd "$root" && cargo build --release --quiet -p psephos && \
  cargo build --release --quiet -p psephos_synth --example ranked_cvrs)
psephos="$root/target/release/psephos"
gen="$root/target/release/examples/ranked_cvrs"

echo "== data"
[ -f "$work/1m/ballots_cdf.json" ] || "$gen" --ballots 1000000 --out "$work/1m" >/dev/null
[ -f "$work/10m/ballots.csv" ] || "$gen" --ballots 10000000 --no-cdf --out "$work/10m" >/dev/null
ls -l "$work/1m/ballots.csv" "$work/1m/ballots_cdf.json" "$work/10m/ballots.csv"

echo "== machine: $(nproc) cores, $(uname -r)"
# psephos: best of 3 runs (wall time and peak RSS from GNU time).
run_psephos() {
  local config=$1 best="" mem=""
  for _ in 1 2 3; do
    local out
    out=$( { /usr/bin/time -f "%e %M" "$psephos" --quiet rcv --rctab-config "$config" >/dev/null; } 2>&1 | tail -1)
    local t=${out% *} m=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; mem=$m; fi
  done
  printf '%-34s %8s s %8.1f MB\n' "psephos $(basename "$config" _config.json)" "$best" "$(awk "BEGIN{print $mem/1024}")"
}
for c in irv_genericCsv stv_genericCsv irv_cdf stv_cdf; do run_psephos "$work/1m/${c}_config.json"; done
for c in irv_genericCsv stv_genericCsv; do run_psephos "$work/10m/${c}_config.json"; done

echo "== peers on the 1,000,000-ballot CSV (load includes reading the CSV and importing the library)"
for tool in pyrankvote votekit; do
  for method in irv stv; do
    "$work/venv/bin/python" "$root/bench/peers/rcv_peers.py" "$work/1m/ballots.csv" "$tool" "$method" 3
  done
done
