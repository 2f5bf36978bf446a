"""Count a generic-CSV ranked election with a Python peer, timing load and count.

Usage: rcv_peers.py BALLOTS.csv TOOL METHOD SEATS
  TOOL: pyrankvote | votekit      METHOD: irv | stv
Prints one JSON line: tool, method, load_s, count_s, total_s, winners, peak_rss_mb.
The CSV has an id column, then one column per candidate holding the rank given (or empty).
"""
import csv
import json
import resource
import sys
import time
from collections import Counter


def rankings(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        names = header[1:]
        for row in reader:
            marks = sorted((int(v), names[i]) for i, v in enumerate(row[1:]) if v)
            yield names, tuple(n for _, n in marks)


def main():
    path, tool, method, seats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    start = time.perf_counter()
    names = None
    if tool == "pyrankvote":
        import pyrankvote

        cands = {}
        ballots = []
        for names, ranking in rankings(path):
            if not cands:
                cands = {n: pyrankvote.Candidate(n) for n in names}
            ballots.append(pyrankvote.Ballot(ranked_candidates=[cands[n] for n in ranking]))
        loaded = time.perf_counter()
        if method == "irv":
            result = pyrankvote.instant_runoff_voting(list(cands.values()), ballots)
        else:
            result = pyrankvote.single_transferable_vote(
                list(cands.values()), ballots, number_of_seats=seats
            )
        winners = [c.name for c in result.get_winners()]
    else:
        from votekit import RankBallot, RankProfile
        from votekit.elections import IRV, FastSTV

        counts = Counter()
        for names, ranking in rankings(path):
            counts[ranking] += 1
        ballots = [
            RankBallot(ranking=tuple(frozenset({n}) for n in r), weight=w)
            for r, w in counts.items()
            if r
        ]
        profile = RankProfile(ballots=ballots, candidates=names)
        loaded = time.perf_counter()
        if method == "irv":
            election = IRV(profile)
        else:
            election = FastSTV(profile, n_seats=seats)
        winners = sorted(c for s in election.get_elected() for c in s)
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "tool": tool,
                "method": method,
                "load_s": loaded - start,
                "count_s": done - loaded,
                "total_s": done - start,
                "winners": winners,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


main()
