#!/usr/bin/env python3
"""PyPI consistent-sampler (Rivest; Arlo's sampler) on the ids psephos's bench uses.

Usage: consistent_sampler_peer.py N K SEED -> JSON {ids, take, seconds, ids_per_second, drawn}.
"""
import json
import sys
import time

from consistent_sampler import sampler

n, k, seed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ids = ["B-%07d" % i for i in range(1, n + 1)]
t = time.perf_counter()
drawn = list(sampler(ids, seed=seed, with_replacement=False, take=k, output="id"))
s = time.perf_counter() - t
print(json.dumps({"ids": n, "take": k, "seconds": s, "ids_per_second": n / s, "drawn": drawn}))
