"""The same checks and sums as polars_check.py, written with pandas (one core)."""
import glob
import json
import sys
import time

import pandas as pd

RANK = {"correction": 0, "recount": 1, "manual": 2, "electronic": 3}
FIXED = ["station", "contest", "phase", "version", "ballots_found", "blank", "invalid"]


def main(pkg):
    t0 = time.perf_counter()
    stations = pd.read_csv(f"{pkg}/stations.csv", dtype={"id": str, "centre": str, "district": str,
                                                          "governorate": str, "registered": "Int64"})
    stations = stations.rename(columns={"id": "station"})[["station", "governorate", "registered"]]
    files = sorted(glob.glob(f"{pkg}/results/**/*.csv", recursive=True))
    totals = dict.fromkeys(["forms", "arithmetic", "ballots_above_registered", "votes_above_registered",
                            "unknown_station", "missing", "negative"], 0)
    keys, frames = [], []
    for i, f in enumerate(files):
        df = pd.read_csv(f, dtype={"station": str, "contest": str, "phase": str})
        cands = list(df.columns[len(FIXED):])
        j = df.merge(stations, on="station", how="left")
        votes = j[cands].sum(axis=1)
        totals["forms"] += len(j)
        totals["arithmetic"] += int((votes + j["blank"] + j["invalid"] != j["ballots_found"]).sum())
        totals["ballots_above_registered"] += int((j["ballots_found"] > j["registered"]).sum())
        totals["votes_above_registered"] += int((j[cands].max(axis=1) > j["registered"]).sum())
        totals["unknown_station"] += int(j["registered"].isna().sum())
        totals["missing"] += int(j[FIXED[3:] + cands].isna().sum().sum())
        totals["negative"] += int((j[FIXED[3:] + cands] < 0).sum().sum())
        k = j[["station", "contest", "phase", "version", "ballots_found", "blank", "invalid", "governorate"]].copy()
        k["file"] = i
        k["row"] = range(len(k))
        keys.append(k)
        frames.append((df, cands))
    allkeys = pd.concat(keys, ignore_index=True)
    duplicates = int(allkeys.duplicated(subset=["station", "contest", "phase", "version"], keep=False).sum())
    allkeys["rank"] = allkeys["phase"].map(RANK)
    selected = (allkeys.sort_values(["station", "rank", "version"], ascending=[True, True, False], kind="stable")
                .drop_duplicates(subset="station", keep="first"))
    per_candidate = {}
    for i, (df, cands) in enumerate(frames):
        rows = selected.loc[selected["file"] == i, "row"].to_numpy()
        s = df.iloc[rows][cands].sum()
        for c, v in s.items():
            per_candidate[c] = per_candidate.get(c, 0) + int(v)
    by_governorate = selected.groupby("governorate")[["ballots_found", "blank", "invalid"]].sum()
    by_contest = selected.groupby("contest")["ballots_found"].agg(["sum", "count"])
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "tool": "pandas " + pd.__version__,
        "seconds": elapsed,
        "forms": totals["forms"],
        "errors": {k: totals[k] for k in totals if k != "forms"} | {"duplicates": duplicates},
        "stations_counted": len(selected),
        "ballots_found": int(selected["ballots_found"].sum()),
        "votes": sum(per_candidate.values()),
        "governorates": len(by_governorate),
        "contests": len(by_contest),
    }))


if __name__ == "__main__":
    main(sys.argv[1])
