"""Times psephos against the Polars and pandas peers on the same packages; prints ratios.

Usage: compare.py PSEPHOS_BINARY PYTHON_WITH_PEERS PACKAGE... [--repeat N]

Each command runs N times (default 5) as a child process; the table gives the fastest and the
median wall time and the peak resident memory (from wait4). For the peers it also gives their
own timing, which leaves out starting Python and importing the library. The results of the three
tools are compared, so a faster wrong answer cannot pass unnoticed.
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_measured(cmd):
    """Like run, with peak RSS taken by /usr/bin/time (kilobytes)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr.decode()}")
    rss_kb = int(p.stderr.decode().strip().splitlines()[-1])
    return wall, rss_kb * 1024, p.stdout


def results_size(pkg):
    total = 0
    for root, _, files in os.walk(os.path.join(pkg, "results")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files if f.endswith(".csv"))
    return total


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repeat = 5
    if "--repeat" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1])
        args.remove(str(repeat))
    psephos, python, packages = args[0], args[1], args[2:]
    for pkg in packages:
        size = results_size(pkg)
        stations_size = os.path.getsize(os.path.join(pkg, "stations.csv"))
        print(f"\n## {pkg}: result CSVs {size / 1e6:.1f} MB, stations.csv {stations_size / 1e6:.1f} MB")
        tools = {
            "psephos validate": [psephos, "--quiet", "validate", pkg, "--format", "json"],
            "psephos tabulate": [psephos, "--quiet", "tabulate", pkg, "--format", "json"],
            "polars": [python, os.path.join(HERE, "peers", "polars_check.py"), pkg],
            "pandas": [python, os.path.join(HERE, "peers", "pandas_check.py"), pkg],
        }
        rows, answers = {}, {}
        for name, cmd in tools.items():
            n = repeat if name != "pandas" else max(1, min(repeat, 2))
            walls, inner, rss, out = [], [], 0, b""
            for _ in range(n):
                wall, peak, out = run_measured(cmd)
                walls.append(wall)
                rss = max(rss, peak)
                if name in ("polars", "pandas"):
                    inner.append(json.loads(out)["seconds"])
            rows[name] = (min(walls), statistics.median(walls), min(inner) if inner else None, rss)
            answers[name] = json.loads(out)
        base = rows["psephos tabulate"][0]
        print(f"{'tool':<18} {'best s':>8} {'median s':>9} {'own s':>7} {'peak MB':>8} {'RSS/CSV':>8} {'time vs psephos tabulate':>25}")
        for name, (best, median, own, rss) in rows.items():
            own_text = f"{own:7.3f}" if own is not None else "      -"
            print(f"{name:<18} {best:8.3f} {median:9.3f} {own_text} {rss / 1e6:8.1f} {rss / size:8.2f} {best / base:24.2f}x")
        for peer in ("polars", "pandas"):
            own = rows[peer][2]
            print(f"{peer} (own timing, no interpreter start) takes {own / base:.2f}x the time of psephos tabulate")
        # The answers must agree.
        t = answers["psephos tabulate"]["nation"]
        v = answers["psephos validate"]
        for peer in ("polars", "pandas"):
            a = answers[peer]
            same = (a["forms"] == v["forms"] and a["stations_counted"] == t["stations_reporting"]
                    and a["ballots_found"] == t["ballots_found"] and a["votes"] == t["votes"]
                    and not any(a["errors"].values()) and v["errors"] == 0)
            print(f"{peer}: {a['forms']} forms, {a['stations_counted']} stations counted, "
                  f"{a['ballots_found']} ballots, {a['votes']} votes, errors {a['errors']} -> "
                  f"{'same answer as psephos' if same else 'DIFFERENT ANSWER'}")
            if not same:
                sys.exit(1)


if __name__ == "__main__":
    main()
