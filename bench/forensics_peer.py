"""Peer timing for Rozenas' spikes resampling: the R package's own method (spikes 1.1,
`resample`), written afresh in numpy as the research report's re-run was: per resample and
station, a turnout component drawn with its posterior probability, p_t ~ Beta(t + a_k,
N - t + b_k), t* ~ Bin(N, p_t), a vote component likewise, p_v ~ Beta(v + a_j, t - v + b_j),
v* ~ Bin(t*, p_v); the shares' density as R's density() (linear binning onto 1024 points,
Gaussian kernel bw 1e-4, interpolation to 1001 points); the pointwise maximum and the mean
share per bin over the resamples; the estimate 100 * sum over points where the observed
density tops every resample of max(0, observed share - mean share).

It takes the mixtures psephos fitted (from psephos's JSON output), so both resample the same
model and only the resampling is timed; numpy runs on one core.

    python forensics_peer.py STATIONS.csv PSEPHOS.json [B [SEED]]
"""

import csv
import json
import sys
import time

import numpy as np
from scipy.special import betaln

REGISTERED = "Число избирателей, внесенных в список избирателей"
FOUND = [
    "Число недействительных избирательных бюллетеней",
    "Число действительных избирательных бюллетеней",
]
LEADER = '6. Всероссийская политическая партия "ЕДИНАЯ РОССИЯ"'
BW, GRID, POINTS = 1e-4, 1001, 1024


def stations(path):
    n, t, v = [], [], []
    with open(path, encoding="utf-8") as f:
        rows = csv.reader(f)
        head = next(rows)
        at = {name: i for i, name in enumerate(head)}
        for row in rows:
            try:
                reg = int(row[at[REGISTERED]])
                found = sum(int(row[at[c]]) for c in FOUND)
                lead = int(row[at[LEADER]])
            except (ValueError, IndexError):
                continue
            if 0 < found <= reg and lead <= found:
                n.append(reg)
                t.append(found)
                v.append(lead)
    return np.array(n), np.array(t), np.array(v)


def posterior(k, n, comps):
    """Each station's component probabilities, proportional to w * BB(k; n, a, b)."""
    logs = np.stack(
        [
            np.log(c["weight"]) + betaln(k + c["alpha"], n - k + c["beta"]) - betaln(c["alpha"], c["beta"])
            for c in comps
        ],
        axis=1,
    )
    logs -= logs.max(axis=1, keepdims=True)
    p = np.exp(logs)
    return np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)


class Density:
    """R's density(y, bw, from = 0, to = 1, n = 1001) from a linear binning."""

    def __init__(self):
        lo, up = -4 * BW, 1 + 4 * BW
        self.lo, self.delta = lo, (up - lo) / (POINTS - 1)
        kstep = 2 * (up - lo) / (2 * POINTS - 1)
        reach = int(12 * BW / kstep)
        d = np.arange(reach + 1)
        self.kernel = np.exp(-0.5 * (d * kstep / BW) ** 2) / (BW * np.sqrt(2 * np.pi))
        x = np.linspace(0, 1, GRID)
        pos = (x - lo) / self.delta
        self.at = np.minimum(pos.astype(int), POINTS - 2)
        self.frac = (x - (lo + self.at * self.delta)) / self.delta

    def __call__(self, y, count):
        pos = (y - self.lo) / self.delta
        ix = np.floor(pos).astype(int)
        fx = pos - ix
        binned = np.bincount(ix, 1 - fx, POINTS + 1)[:POINTS] + np.bincount(ix + 1, fx, POINTS + 1)[:POINTS]
        binned /= count
        smooth = binned * self.kernel[0]
        for d in range(1, len(self.kernel)):
            smooth[d:] += binned[:-d] * self.kernel[d]
            smooth[:-d] += binned[d:] * self.kernel[d]
        smooth = np.maximum(smooth, 0)
        return smooth[self.at] + (smooth[self.at + 1] - smooth[self.at]) * self.frac


def bins(v, t):
    """Right-closed bins of width 0.001 centred on k/1000: the least b with 2000 v <= (2b+1) t."""
    b = np.ceil((2000 * v / np.maximum(t, 1) - 1) / 2).astype(int)
    return np.clip(b, 0, GRID - 1)


def main():
    path, fitted = sys.argv[1], sys.argv[2]
    resamples = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 2017
    spikes = next(t for t in json.load(open(fitted))["tests"] if t["name"] == "rozenas_spikes")
    tc, vc = spikes["turnout_mixture"]["components"], spikes["vote_mixture"]["components"]
    n, t, v = stations(path)
    count = len(n)
    density = Density()
    observed = density(v / t, count)
    observed_share = np.bincount(bins(v, t), minlength=GRID) / count

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    t_cum, v_cum = posterior(t, n, tc), posterior(v, t, vc)
    ta, tb = np.array([c["alpha"] for c in tc]), np.array([c["beta"] for c in tc])
    va, vb = np.array([c["alpha"] for c in vc]), np.array([c["beta"] for c in vc])
    top = np.zeros(GRID)
    drawn = np.zeros(GRID)
    for _ in range(resamples):
        k = (rng.random(count)[:, None] > t_cum).sum(axis=1).clip(0, len(tc) - 1)
        p_t = rng.beta(t + ta[k], n - t + tb[k])
        t_star = rng.binomial(n, p_t)
        j = (rng.random(count)[:, None] > v_cum).sum(axis=1).clip(0, len(vc) - 1)
        p_v = rng.beta(v + va[j], t - v + vb[j])
        v_star = rng.binomial(t_star, p_v)
        y = np.where(t_star > 0, v_star / np.maximum(t_star, 1), 0.0)
        np.maximum(top, density(y, count), out=top)
        drawn += np.bincount(bins(v_star, t_star), minlength=GRID)
    seconds = time.perf_counter() - start
    expected = drawn / (count * resamples)
    flagged = top < observed
    fraud = 100 * np.maximum(observed_share - expected, 0)[flagged].sum()
    print(f"peer (numpy {np.__version__}, R package's draws): {count} stations, B = {resamples}: "
          f"seed {seed}: resampling {seconds:.2f} s on one core; estimate {fraud:.3f} % of stations, {flagged.sum()} bins")


if __name__ == "__main__":
    main()
