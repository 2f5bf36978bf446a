#!/usr/bin/env bash
# Benchmark: validate and tabulate the 55,000-station demo and a 1,000,000-station synthetic,
# against Polars and pandas doing the same checks and sums on the same files, in one run.
#
#   bash bench/run.sh            # work directory in $TMPDIR, removed at the end
#   BENCH_DIR=/tmp/b bash bench/run.sh   # keep the generated data for later runs
#
# Peers are installed from PyPI into a throwaway virtualenv.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/psephos-bench.XXXXXX")}
keep=${BENCH_DIR:+yes}
mkdir -p "$work"

echo "== peers: polars and pandas in a throwaway virtualenv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet polars pandas

echo "== psephos: release build"
(cd "$root" && cargo build --release --quiet)
psephos="$root/target/release/psephos"

echo "== data"
[ -f "$work/iraq/package/election.toml" ] || "$psephos" --quiet demo --out "$work/iraq" --seed 7 >/dev/null
[ -f "$work/million/package/election.toml" ] || \
  "$psephos" --quiet demo --out "$work/million" --seed 7 --stations 1000000 --candidates 500 >/dev/null
python3 - "$work/million/package" <<'PY'
import glob, sys
rows = cells = 0
for f in glob.glob(sys.argv[1] + "/results/**/*.csv", recursive=True):
    with open(f) as fh:
        width = len(fh.readline().split(",")) - 7
        n = sum(1 for _ in fh)
    rows += n; cells += n * width
print(f"1M synthetic: {rows} forms, {cells / rows:.1f} candidates per form on average")
PY

echo "== machine: $(nproc) cores, $(uname -r)"
"$work/venv/bin/python" "$root/bench/compare.py" "$psephos" "$work/venv/bin/python" \
  "$work/iraq/package" "$work/million/package" "$@"

rm -rf "$work/venv"
[ -n "$keep" ] || rm -rf "$work"
