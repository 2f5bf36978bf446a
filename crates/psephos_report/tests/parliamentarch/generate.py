"""Reference seat layouts from ParliamentArch 1.1.2 (PyPI, BSD-3, Gouvernathor).

Regenerate with:
    python3 -m venv /tmp/pa && /tmp/pa/bin/pip install parliamentarch==1.1.2
    /tmp/pa/bin/python generate.py > positions.txt
    /tmp/pa/bin/python generate.py svg > norway-2021.svg

positions.txt: for each case a header line
    seats=N filling=F nrows=R capacities=C1,C2,...
then one line with every seat, left to right as ParliamentArch deals them
(sorted(results, key=angle, reverse=True)), each as X,Y in the coordinates of its SVG
(5 + 175*x, 5 + 175*(1-y), two decimals).
"""
import sys
from parliamentarch import get_svg_from_attribution, SeatData
from parliamentarch.geometry import (
    FillingStrategy, get_nrows_from_nseats, get_rows_from_nrows, get_seats_centers)

CASES = [(n, FillingStrategy.DEFAULT) for n in
         (1, 2, 3, 4, 5, 7, 10, 11, 20, 33, 50, 99, 100, 101, 150, 169, 200, 299, 329, 435, 600, 650, 709, 751)]
CASES += [(n, FillingStrategy.EMPTY_INNER) for n in (7, 50, 169, 329)]
CASES += [(n, FillingStrategy.OUTER_PRIORITY) for n in (7, 50, 169, 329)]

def positions():
    out = []
    for n, strategy in CASES:
        nrows = get_nrows_from_nseats(n)
        caps = get_rows_from_nrows(nrows)
        centers = get_seats_centers(n, filling_strategy=strategy)
        assert len(centers) == n
        ordered = sorted(centers, key=centers.__getitem__, reverse=True)
        out.append(f"seats={n} filling={strategy.value} nrows={nrows} capacities={','.join(map(str, caps))}")
        out.append(" ".join(f"{5 + 175 * x:.2f},{5 + 175 * (1 - y):.2f}" for x, y in ordered))
    return "\n".join(out)

def norway():
    # Storting 2021, official seats (tabulation.md section 7), parties in the order given.
    attrib = {
        SeatData("Rodt", "#8B0000"): 8, SeatData("SV", "#FF1493"): 13,
        SeatData("Ap", "#FF0000"): 48, SeatData("Sp", "#00873E"): 28,
        SeatData("MDG", "#6A9325"): 3, SeatData("KrF", "#FFD700"): 3,
        SeatData("V", "#006666"): 8, SeatData("H", "#0065F1"): 36,
        SeatData("FrP", "#004F80"): 21, SeatData("PF", "#A04D94"): 1,
    }
    return get_svg_from_attribution(attrib)

if __name__ == "__main__":
    print(norway() if sys.argv[1:] == ["svg"] else positions())
