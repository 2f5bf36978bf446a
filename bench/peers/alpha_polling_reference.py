"""Python reference for bench/audit_size.sh: SHANGRLA's ballot-polling sample-size procedure
(NonnegMean.sample_size with reps, alpha_mart + shrink_trunc), written from the formulas of
shared/docs/research/rla.md §3.2 (SHANGRLA itself is not on PyPI). What it reproduces is what
SHANGRLA does and was timed at 12.5 s (timings_shangrla_sampler.json): for each replicate,
bootstrap a whole population of N from the reported assorter values (numpy RandomState,
seed 1234567890), run the ALPHA test over all N draws with the running standard deviation
computed by a Python-level Welford loop, and take the first crossing; report the median.

Usage: python alpha_polling_reference.py WINNER LOSER OTHER REPS [ALPHA]
"""
import json
import math
import sys
import time

import numpy as np

EPS = np.finfo(float).eps


def shrink_trunc_eta(x, N, t, u, eta0, d=100, f=0.0, minsd=1e-6):
    S = np.insert(np.cumsum(x), 0, 0)[:-1]
    j = np.arange(1, len(x) + 1)
    m = (N * t - S) / (N - j + 1)
    # Welford, one draw at a time (as the reference does).
    mj = [x[0]]
    sdj = [0.0]
    for i, xj in enumerate(x[1:]):
        mj.append(mj[-1] + (xj - mj[-1]) / (i + 2))
        sdj.append(sdj[-1] + (xj - mj[-2]) * (xj - mj[-1]))
    sdj = np.sqrt(np.array(sdj) / j)
    sdj = np.insert(np.maximum(sdj, minsd), 0, 1)[0:-1]
    sdj[1] = 1
    c = (eta0 - t) / 2
    weighted = ((d * eta0 + S) / (d + j - 1) + u * f / sdj) / (1 + f / sdj)
    tol = c / np.sqrt(d + j - 1)
    return np.minimum(u * (1 - EPS) - tol, np.maximum(weighted, m * (1 + EPS) + tol)), m


def alpha_mart(x, N, t, u, eta0):
    eta, m = shrink_trunc_eta(x, N, t, u, eta0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = np.cumprod((x * eta / m + (u - x) * (u - eta) / (u - m)) / u)
    terms[m > u] = 0
    terms[np.isclose(0, m, atol=2 * EPS)] = 1
    terms[np.isclose(u, m, atol=2 * EPS, rtol=1e-5)] = 1
    terms[np.isclose(0, terms, atol=2 * EPS)] = 1
    terms[m < 0] = np.inf
    return np.minimum(1, 1 / terms)


def main():
    w, l, o, reps = (int(a) for a in sys.argv[1:5])
    alpha = float(sys.argv[5]) if len(sys.argv) > 5 else 0.05
    N = w + l + o
    x = np.array([1.0] * w + [0.0] * l + [0.5] * o)
    eta0 = float(np.mean(x))
    start = time.perf_counter()
    prng = np.random.RandomState(1234567890)
    sams = np.zeros(reps)
    for r in range(reps):
        pop = prng.choice(x, size=N, replace=True)
        p = alpha_mart(pop, N, 0.5, 1.0, eta0)
        crossed = p <= alpha
        sams[r] = N if np.sum(crossed) == 0 else np.argmax(crossed) + 1
    secs = time.perf_counter() - start
    q = {str(k): int(math.ceil(np.quantile(sams, k))) for k in (0.5, 0.7, 0.8, 0.9)}
    print(json.dumps({"method": "alpha (python reference)", "reps": reps, "quantiles": q,
                      "mean": float(np.mean(sams)), "seconds": secs}))


if __name__ == "__main__":
    main()
