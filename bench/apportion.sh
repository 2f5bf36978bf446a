#!/usr/bin/env bash
# Benchmark: apportion every Spain 1982–2019 province and Norway 2009–2025 county (and Norway's
# leveling tier) with psephos and with votelib, in one run; print the ratio.
#
#   bash bench/apportion.sh [ITERATIONS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
conformance=${PSEPHOS_CONFORMANCE:-$(cd "$root/.." && pwd)/shared/conformance}
iterations=${1:-200}
work=$(mktemp -d "${TMPDIR:-/tmp}/psephos-bench-apportion.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== votelib in a throwaway virtualenv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet votelib

echo "== psephos: release build of the batch runner"
(cd "$root" && cargo build --release --quiet -p psephos_count --example apportion_batch)

# Three processes each, alternating, so that both meet the same machine; the best process counts.
runs=()
for k in 1 2 3; do
  runs+=("$("$root/target/release/examples/apportion_batch" "$conformance" "$iterations")")
  runs+=("$("$work/venv/bin/python" "$root/bench/peers/votelib_batch.py" "$conformance" "$(( iterations / 20 > 3 ? iterations / 20 : 3 ))")")
done
printf '%s\n' "${runs[@]}"
python3 - "${runs[@]}" <<'PY'
import json, sys
runs = [json.loads(r) for r in sys.argv[1:]]
best = lambda tool: min((r for r in runs if r["tool"] == tool), key=lambda r: r["best_s"])
a, b = best("psephos"), best("votelib")
print(f"psephos: {a['cases']} allocations ({a['spain']} Spain provinces, {a['norway_districts']} Norway counties, "
      f"{a['norway_leveling_years']} Norway leveling tiers), {a['matches']} match the official seats; "
      f"one batch {a['best_s'] * 1000:.3f} ms best, {a['median_s'] * 1000:.3f} ms median")
print(f"votelib: {b['cases']} allocations (no leveling tier), {b['matches']} match; "
      f"one batch {b['best_s'] * 1000:.1f} ms best, {b['median_s'] * 1000:.1f} ms median")
print(f"psephos is {b['best_s'] / a['best_s']:.0f}x faster (best against best), "
      f"{b['median_s'] / a['median_s']:.0f}x (median against median)")
PY
