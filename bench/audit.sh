#!/usr/bin/env bash
# Consistent-sampler throughput: psephos_audit::sampling against PyPI `consistent-sampler`
# (Rivest's reference, Arlo's sampler) in a throwaway virtualenv, same ids (B-0000001...), same
# seed, same run; take K of N without replacement (every id is hashed). Checks that both draw
# the same ids and prints ids/second and the ratio. Target (issue 5): ≥ 1,000,000 ids/s.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000} K=${K:-100} SEED=${SEED:-20240501}

cargo build --release -q -p psephos_audit --example sampler_bench
RUST_JSON=$(target/release/examples/sampler_bench "$N" "$K" "$SEED")

VENV=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q consistent-sampler==1.0.10
PY_JSON=$("$VENV/bin/python" bench/peers/consistent_sampler_peer.py "$N" "$K" "$SEED")

python3 - "$RUST_JSON" "$PY_JSON" <<'PY'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = r["drawn"] == p["drawn"]
print(f"{r['ids']:,} ids, take {r['take']} without replacement")
print(f"psephos:            {r['seconds']:.3f} s  {r['ids_per_second']:>12,.0f} ids/s")
print(f"consistent-sampler: {p['seconds']:.3f} s  {p['ids_per_second']:>12,.0f} ids/s")
print(f"ratio {r['ids_per_second'] / p['ids_per_second']:.0f}x; same draws: {same}; "
      f"target 1,000,000 ids/s: {'met' if r['ids_per_second'] >= 1e6 else 'MISSED'}")
sys.exit(0 if same else 1)
PY
