"""The arithmetic checks and group-by sums of `psephos tabulate`, written with Polars.

Reads an election package's stations.csv and every wide result file under results/, checks each
form (candidate votes + blank + invalid = ballots found; ballots and votes within the register;
unknown stations; missing or non-numeric values; the same form twice), selects one form per
station (correction > recount > manual > electronic, latest version), and sums votes per
candidate and ballots per contest and governorate. Prints a JSON summary and its own timing.
"""
import glob
import json
import sys
import time

import polars as pl

RANK = {"correction": 0, "recount": 1, "manual": 2, "electronic": 3}
FIXED = ["station", "contest", "phase", "version", "ballots_found", "blank", "invalid"]


def main(pkg):
    t0 = time.perf_counter()
    stations = pl.read_csv(
        f"{pkg}/stations.csv",
        schema_overrides={"id": pl.Utf8, "centre": pl.Utf8, "district": pl.Utf8,
                          "governorate": pl.Utf8, "registered": pl.Int64},
    ).select(pl.col("id").alias("station"), "governorate", "registered")
    files = sorted(glob.glob(f"{pkg}/results/**/*.csv", recursive=True))
    frames, per_form = [], []
    for i, f in enumerate(files):
        header = open(f, encoding="utf-8").readline().strip().split(",")
        cands = header[len(FIXED):]
        schema = {c: pl.Int64 for c in header}
        for c in ["station", "contest", "phase"]:
            schema[c] = pl.Utf8
        # Row numbers first, to find the selected forms again later.
        lf = pl.scan_csv(f, schema_overrides=schema).with_row_index("row").with_columns(pl.lit(i).alias("file"))
        frames.append((lf, cands))
        # One row per form: its key, counts and what the checks need from its candidate columns.
        per_form.append(lf.select(
            "file", "row", "station", "contest", "phase", "version", "ballots_found", "blank", "invalid",
            pl.sum_horizontal(cands).alias("votes"),
            pl.max_horizontal(cands).alias("max_votes"),
            pl.sum_horizontal([pl.col(c).is_null() for c in FIXED[3:] + cands]).alias("missing"),
            pl.sum_horizontal([pl.col(c) < 0 for c in FIXED[3:] + cands]).alias("negative"),
        ))
    forms = pl.concat(pl.collect_all(per_form)).join(stations, on="station", how="left")
    checks = forms.select(
        pl.len().alias("forms"),
        (pl.col("votes") + pl.col("blank") + pl.col("invalid") != pl.col("ballots_found")).sum().alias("arithmetic"),
        (pl.col("ballots_found") > pl.col("registered")).sum().alias("ballots_above_registered"),
        (pl.col("max_votes") > pl.col("registered")).sum().alias("votes_above_registered"),
        pl.col("registered").is_null().sum().alias("unknown_station"),
        pl.col("missing").sum(),
        pl.col("negative").sum(),
        pl.struct(["station", "contest", "phase", "version"]).is_duplicated().sum().alias("duplicates"),
    ).row(0, named=True)
    selected = (
        forms.with_columns(pl.col("phase").replace_strict(RANK, return_dtype=pl.Int64).alias("rank"))
        .sort(["station", "rank", "version"], descending=[False, False, True])
        .unique(subset="station", keep="first", maintain_order=True)
    )
    # Candidate totals from the selected forms only.
    chosen = selected.select(["file", "row"]).lazy()
    sums = [
        lf.join(chosen.filter(pl.col("file") == i), on=["file", "row"], how="semi").select([pl.col(c).sum() for c in cands])
        for i, (lf, cands) in enumerate(frames)
    ]
    per_candidate = {}
    for df in pl.collect_all(sums):
        for c, v in df.row(0, named=True).items():
            per_candidate[c] = per_candidate.get(c, 0) + (v or 0)
    by_governorate = selected.group_by("governorate").agg(pl.col("ballots_found").sum(), pl.col("blank").sum(), pl.col("invalid").sum())
    by_contest = selected.group_by("contest").agg(pl.col("ballots_found").sum(), pl.len())
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "tool": "polars " + pl.__version__,
        "seconds": elapsed,
        "forms": checks["forms"],
        "errors": {k: v for k, v in checks.items() if k != "forms"},
        "stations_counted": selected.height,
        "ballots_found": int(selected["ballots_found"].sum()),
        "votes": sum(per_candidate.values()),
        "governorates": by_governorate.height,
        "contests": by_contest.height,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
