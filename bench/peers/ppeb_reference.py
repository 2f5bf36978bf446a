#!/usr/bin/env python3
"""Reference implementation of psephos's weighted consistent sampler (PPEB draws).

Specification: docs/internals/sampling.md. Standard library only; written independently of the
Rust code so that the two can be checked against each other. Usage:

    python3 ppeb_reference.py SEED TAKE ID:NUM/DEN [ID:NUM/DEN ...]

prints one draw per line: ticket (full), id, generation.
"""
import hashlib
import heapq
import sys
from fractions import Fraction


def sha256_hex(s):
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def sha256_uniform(s):
    return "0." + "{:064d}".format(int(sha256_hex(s), 16))[::-1]


def next_fraction(x):
    x0 = x + "0"
    k = 2
    while x0[k] == "9":
        k += 1
    i = 1
    while True:
        y = x0[:k] + sha256_uniform(x + ":" + str(i))[2:]
        if y > x0:
            return y
        i += 1


def weighted_sample(ids, weights, seed, take, scale=None):
    """ids: list of str; weights: list of Fraction; returns [(ticket, id, generation)]."""
    if scale is None:
        scale = max(weights)
    seed_hash = sha256_hex(seed)
    heap = [(sha256_uniform(seed_hash + i), n, 1) for n, i in enumerate(ids)]
    heapq.heapify(heap)
    out = []
    while len(out) < take:
        ticket, n, gen = heapq.heappop(heap)
        heapq.heappush(heap, (next_fraction(ticket), n, gen + 1))
        a = int(sha256_hex(ticket + ":accept"), 16)
        if Fraction(a, 2**256) < weights[n] / scale:
            out.append((ticket, ids[n], gen))
    return out


if __name__ == "__main__":
    seed, take = sys.argv[1], int(sys.argv[2])
    ids, weights = [], []
    for arg in sys.argv[3:]:
        i, w = arg.rsplit(":", 1)
        ids.append(i)
        weights.append(Fraction(w))
    for t, i, g in weighted_sample(ids, weights, seed, take):
        print(t, i, g)
