#!/usr/bin/env bash
# Ballot-polling ALPHA sample size, SHANGRLA-equivalent (shrink_trunc, d = 100, η₀ = reported
# mean): N = 100,000 cards, a 5 % margin (52,500 / 47,500), α = 5 %, 100 replicates.
# Runs psephos (release) and the Python reference (bench/peers/alpha_polling_reference.py, the
# procedure SHANGRLA times at 12.5 s, numpy in a throwaway virtualenv) in the same run and
# prints the ratio. Target (issue 5): psephos ≤ 0.1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${W:-52500} L=${L:-47500} O=${O:-0} REPS=${REPS:-100} SEED=${SEED:-20240501}

cargo build --release -q -p psephos_audit --example audit_size
BIN=target/release/examples/audit_size
"$BIN" "$W" "$L" "$O" "$REPS" "$SEED" >/dev/null   # warm-up
RUST_JSON=$("$BIN" "$W" "$L" "$O" "$REPS" "$SEED")
echo "psephos:  $RUST_JSON"

VENV=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q numpy
PY_JSON=$("$VENV/bin/python" bench/peers/alpha_polling_reference.py "$W" "$L" "$O" "$REPS")
echo "python:   $PY_JSON"

python3 - "$RUST_JSON" "$PY_JSON" <<'PY'
import json, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"psephos {r['seconds']:.4f} s, python reference {p['seconds']:.2f} s: "
      f"{p['seconds'] / r['seconds']:.0f}x; medians {r['quantiles']['0.5']} vs {p['quantiles']['0.5']}; "
      f"target 0.1 s: {'met' if r['seconds'] <= 0.1 else 'MISSED'}")
PY
