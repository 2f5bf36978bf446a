"""The batch of examples/apportion_batch.rs, with votelib: every Spain 1982-2019 province
(D'Hondt, 3 % of valid votes including blank, by votelib's RelativeThreshold) and every Norway
2009-2025 county (modified Sainte-Laguë 1.4). votelib has no Norwegian leveling placement, so the
leveling tier is not part of its batch (psephos's batch includes it, which only favours votelib).

Usage: votelib_batch.py CONFORMANCE_DIR [ITERATIONS]
"""
import csv
import decimal
import json
import sys
import time

import votelib.component.divisor as divisor
import votelib.evaluate.proportional as proportional
import votelib.evaluate.threshold as threshold


def main(root, iterations):
    cases = []
    provinces = {}
    with open(f"{root}/tabulation/spain_congress/spain_congress_1982_2019_by_province.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["id_elec"], row["prov"])
            p = provinces.setdefault(key, {"valid": int(row["valid_ballots"]), "votes": {}, "official": {}})
            p["votes"][row["abbrev_candidacies"] + "/" + row["id_candidacies"]] = int(row["ballots"])
            p["official"][row["abbrev_candidacies"] + "/" + row["id_candidacies"]] = int(row["elected"])
    dhondt = proportional.HighestAverages("d_hondt")
    three_percent = threshold.RelativeThreshold(decimal.Decimal("0.03"))
    for p in provinces.values():
        blank = p["valid"] - sum(p["votes"].values())
        cases.append(("spain", p["votes"], sum(p["official"].values()), p["official"], blank))
    sl14 = proportional.HighestAverages(divisor.modified_first_coef(divisor.sainte_lague, decimal.Decimal("1.4")))
    for year in (2009, 2013, 2017, 2021, 2025):
        counties = {}
        with open(f"{root}/tabulation/norway_storting/PE/{year}.csv", encoding="utf-8-sig") as f:
            for line in f.read().splitlines()[1:]:
                r = line.split(";")
                if len(r) < 17:
                    continue
                c = counties.setdefault(r[1], {"votes": {}, "official": {}})
                c["votes"][r[6]] = int(r[12])
                c["official"][r[6]] = int(r[15]) - int(r[16])
        for c in counties.values():
            cases.append(("norway", c["votes"], sum(c["official"].values()), c["official"], 0))

    def run_all():
        out = []
        for kind, votes, seats, _, blank in cases:
            if kind == "spain":
                with_blank = dict(votes)
                with_blank["\0blank"] = blank
                passing = set(three_percent.evaluate(with_blank)) - {"\0blank"}
                result = dhondt.evaluate({k: v for k, v in votes.items() if k in passing}, seats)
            else:
                result = sl14.evaluate(votes, seats)
            out.append(result)
        return out

    times, results = [], None
    for _ in range(iterations):
        start = time.perf_counter()
        results = run_all()
        times.append(time.perf_counter() - start)
    matches = sum(
        all(res.get(k, 0) == v for k, v in official.items())
        for (_, _, _, official, _), res in zip(cases, results)
    )
    times.sort()
    print(json.dumps({"tool": "votelib", "cases": len(cases), "matches": matches,
                      "best_s": times[0], "median_s": times[len(times) // 2], "iterations": iterations}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
