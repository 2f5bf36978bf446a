"""The same grid as crates/psephos_audit/examples/closed_forms.rs with rlacalc (PyPI):
nmin, KM_Expected_sample_size_rounded and findAsn. Prints one JSON line."""
import json
import sys
import time

import rlacalc

MARGINS = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4]
GRID = [(a, m) for a in (0.05, 0.1) for m in MARGINS]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    values = []
    start = time.perf_counter()
    for r in range(repeats):
        for alpha, m in GRID:
            km = rlacalc.nmin(alpha, 1.03905, m)
            km_rates = rlacalc.KM_Expected_sample_size_rounded(alpha, 1.03905, m)
            asn = rlacalc.findAsn(alpha, m)
            if r == 0:
                values.append([alpha, m, km, km_rates, asn])
    secs = (time.perf_counter() - start) / repeats
    print(json.dumps({"seconds_per_pass": secs, "values": values}))


main()
