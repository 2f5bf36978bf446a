//! The hemicycle against ParliamentArch 1.1.2 itself (PyPI `parliamentarch==1.1.2`,
//! Gouvernathor, BSD-3). The reference files in `tests/parliamentarch/` were written by
//! `generate.py` there, which says how to rerun it:
//! * `positions.txt`: for 32 cases (24 seat totals from 1 to 751 with the default filling, 4
//!   each with EMPTY_INNER and OUTER_PRIORITY), the number of rows, each row's capacity and every
//!   seat's centre, left to right, in the coordinates of ParliamentArch's SVG (two decimals).
//! * `norway-2021.svg`: `get_svg_from_attribution` for the 2021 Storting (169 seats, ten
//!   parties), the groups' seats as ParliamentArch deals them.

use psephos_report::hemicycle::{
    Filling, HALF_CIRCLE, dispatch, left_to_right, row_capacities, rows_for, seat_centers,
};

const POSITIONS: &str = include_str!("parliamentarch/positions.txt");
const NORWAY: &str = include_str!("parliamentarch/norway-2021.svg");

/// ParliamentArch's SVG coordinates of a seat: 5 + 175x, 5 + 175(1 − y), two decimals.
fn svg_xy(x: f64, y: f64) -> String {
    format!("{:.2},{:.2}", 5.0 + 175.0 * x, 5.0 + 175.0 * (1.0 - y))
}

fn field<'a>(header: &'a str, key: &str) -> &'a str {
    header
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key} in {header}"))
}

#[test]
fn layouts_match_parliamentarch() {
    let lines: Vec<&str> = POSITIONS.lines().collect();
    assert_eq!(lines.len() % 2, 0);
    let mut cases = 0;
    for pair in lines.chunks(2) {
        let (header, seats_line) = (pair[0], pair[1]);
        let seats: u64 = field(header, "seats").parse().unwrap();
        let filling = match field(header, "filling") {
            "default" => Filling::Default,
            "empty_inner" => Filling::EmptyInner,
            "outer_priority" => Filling::OuterPriority,
            other => panic!("filling {other}"),
        };
        let nrows: usize = field(header, "nrows").parse().unwrap();
        let capacities: Vec<u64> =
            field(header, "capacities").split(',').map(|c| c.parse().unwrap()).collect();
        assert_eq!(rows_for(seats, HALF_CIRCLE), nrows, "{header}: rows");
        assert_eq!(row_capacities(nrows, HALF_CIRCLE), capacities, "{header}: capacities");
        let ours: Vec<String> =
            left_to_right(seat_centers(seats, 0, filling, HALF_CIRCLE).unwrap())
                .iter()
                .map(|s| svg_xy(s.x, s.y))
                .collect();
        let theirs: Vec<&str> = seats_line.split(' ').collect();
        assert_eq!(ours.len(), theirs.len(), "{header}: seats");
        for (k, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a, b, "{header}: seat {} from the left", k + 1);
        }
        cases += 1;
    }
    assert_eq!(cases, 32);
}

#[test]
fn norway_2021_groups_match_parliamentarch() {
    // The groups of ParliamentArch's SVG: each `<g ...>` with its circles, in order.
    let mut groups: Vec<(String, Vec<String>, String)> = Vec::new();
    for line in NORWAY.lines().map(str::trim) {
        if let Some(id) = line.strip_prefix("id=\"") {
            groups.push((id.trim_end_matches("\">").to_owned(), Vec::new(), String::new()));
        } else if let Some(rest) = line.strip_prefix("<circle cx=\"") {
            let (cx, rest) = rest.split_once("\" cy=\"").unwrap();
            let (cy, rest) = rest.split_once("\" r=\"").unwrap();
            let r = rest.trim_end_matches("\"/>");
            let g = groups.last_mut().unwrap();
            g.1.push(format!("{cx},{cy}"));
            g.2 = r.to_owned();
        }
    }
    let sizes: Vec<u64> = groups.iter().map(|g| g.1.len() as u64).collect();
    assert_eq!(sizes, [8, 13, 48, 28, 3, 3, 8, 36, 21, 1]);
    let total: u64 = sizes.iter().sum();
    assert_eq!(total, 169);
    let seats = left_to_right(seat_centers(total, 0, Filling::Default, HALF_CIRCLE).unwrap());
    let dealt = dispatch(&sizes, &seats);
    for ((name, theirs, r), ours) in groups.iter().zip(&dealt) {
        let ours: Vec<String> = ours.iter().map(|s| svg_xy(s.x, s.y)).collect();
        assert_eq!(&ours, theirs, "group {name}");
        // Seat radius: 0.8 of a row's thickness on the 175-unit canvas.
        let nrows = rows_for(total, HALF_CIRCLE);
        assert_eq!(
            &format!("{:.2}", 0.8 * psephos_report::hemicycle::row_thickness(nrows) * 175.0),
            r
        );
    }
}

#[test]
fn the_svg_places_the_same_seats() {
    use psephos_report::hemicycle::{Group, Style, SvgText, svg};
    // Our SVG of the Storting: the same circle centres as ParliamentArch's, group by group.
    let names = ["Rodt", "SV", "Ap", "Sp", "MDG", "KrF", "V", "H", "FrP", "PF"];
    let sizes = [8, 13, 48, 28, 3, 3, 8, 36, 21, 1];
    let groups: Vec<Group> = names
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(k, (n, s))| Group { name: (*n).to_owned(), seats: s, style: Style::nth(k) })
        .collect();
    let text = SvgText {
        title: "Storting 2021".into(),
        desc: "169 seats".into(),
        total: "169".into(),
        group_titles: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    let ours = svg(&groups, &text, "t").unwrap();
    let centres = |s: &str| -> Vec<String> {
        s.split("<circle cx=\"")
            .skip(1)
            .map(|c| {
                let (cx, rest) = c.split_once("\" cy=\"").unwrap();
                let cy = rest.split('"').next().unwrap();
                format!("{cx},{cy}")
            })
            .collect()
    };
    assert_eq!(centres(&ours), centres(NORWAY));
}
