#!/usr/bin/env bash
# Closed-form audit sizes (Kaplan-Markov nmin and rate-based size, BRAVO ASN) over a grid of
# margins and risk limits, psephos (release, library calls) against rlacalc (PyPI, throwaway
# virtualenv) in the same run: the values must agree; prints the time ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-1000}
cargo build --release -q -p psephos_audit --example closed_forms
BIN=${CARGO_TARGET_DIR:-target}/release/examples/closed_forms
RUST_JSON=$("$BIN" "$REPEATS")
VENV=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$VENV")"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q rlacalc
PY_JSON=$("$VENV/bin/python" bench/peers/rlacalc_closed_forms.py "$REPEATS")
python3 - "$RUST_JSON" "$PY_JSON" <<'PY'
import json, math, sys
r, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
differ = []
for a, b in zip(r["values"], p["values"]):
    same = all((x is None and y is None) or (x is not None and y is not None and math.isclose(float(x), float(y)))
               for x, y in zip(a[2:], b[2:]))
    if not same:
        differ.append((a, b))
print(f"{len(r['values'])} grid points: {len(r['values']) - len(differ)} agree with rlacalc")
for a, b in differ:
    print(f"  differ: alpha {a[0]} margin {a[1]}: psephos nmin/rates/asn {a[2:]} rlacalc {b[2:]}")
print(f"psephos {r['seconds_per_pass'] * 1e6:.1f} µs per pass, rlacalc {p['seconds_per_pass'] * 1e6:.1f} µs: "
      f"{p['seconds_per_pass'] / r['seconds_per_pass']:.0f}x")
PY
