//! The parliament hemicycle: ParliamentArch 1.1.2's layout (Gouvernathor, BSD-3; the engine of
//! Wikipedia's Parliament Diagram Tool), ported operation for operation so that the seat
//! positions agree with it to the last printed digit (tabulation.md §7).
//!
//! The canvas is 2 wide and 1 high, y pointing up, the hemicycle centred at (1, 0).
//! * A row is `1 / (4·nrows − 2)` thick (the diameter of a seat).
//! * Row `r` (0 innermost) lies on the arc of radius `0.5 + 2r·thick` and holds at most
//!   `floor(span·radius / (2·thick))` seats (span in radians; π for a hemicycle).
//! * The number of rows is the smallest whose rows hold all the seats (or `min_nrows`).
//! * Filling: [`Filling::Default`] gives every row `round(seats/capacity · row capacity)` seats
//!   (Python's round, half to even), the outermost row the rest; [`Filling::EmptyInner`] leaves
//!   the inner rows that are not needed empty; [`Filling::OuterPriority`] fills the outer rows
//!   first.
//! * In a row of n seats, the first and last sit at the angle `asin(thick/radius)` from the
//!   ground line, the others evenly between; a row of one seat sits at the top.
//! * The seats are sorted by angle, largest first (leftmost first; ties keep the order above,
//!   inner rows first, as Python's stable sort does) and dealt to the groups in order
//!   (`dispatch_seats`).
//!
//! The SVG keeps ParliamentArch's geometry (a 175-unit canvas with 5-unit margins, seats of
//! 0.8 row thickness, the number of seats at the bottom centre), and adds what a report needs:
//! a title and description for screen readers, and a fill per group that survives greyscale
//! printing (see [`Style`]).

use std::fmt::Write;

use crate::svg::escape;

/// How the seats are spread over the rows (ParliamentArch's `FillingStrategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filling {
    /// Every row in proportion to its capacity.
    Default,
    /// As few outer rows as needed, in proportion to their capacity.
    EmptyInner,
    /// The outer rows full, one row partly, the inner ones empty.
    OuterPriority,
}

/// Why a layout cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The span is not in (0, 180] degrees.
    Span,
    /// More seats than a report will draw ([`MAX_SEATS`]).
    TooManySeats(u64),
    /// The rounding of the rows left fewer positions than seats (ParliamentArch raises then).
    TooFewPositions { seats: u64, positions: u64 },
}

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayoutError::Span => write!(f, "the span of a hemicycle is between 0 and 180 degrees"),
            LayoutError::TooManySeats(n) => {
                write!(f, "{n} seats: a hemicycle is drawn for at most {MAX_SEATS}")
            }
            LayoutError::TooFewPositions { seats, positions } => {
                write!(f, "the rows hold {positions} positions for {seats} seats")
            }
        }
    }
}

impl std::error::Error for LayoutError {}

/// The largest assembly drawn (the largest chamber, China's NPC, has under 3,000 seats).
pub const MAX_SEATS: u64 = 100_000;

/// ParliamentArch's default span: a half circle.
pub const HALF_CIRCLE: f64 = 180.0;

/// One seat: its centre on the 2 × 1 canvas (y up), its angle from the centre (π at the left
/// end, 0 at the right end), and its row (0 innermost).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeatPosition {
    pub x: f64,
    pub y: f64,
    pub angle: f64,
    pub row: usize,
}

/// `get_row_thickness`: the thickness of a row, the diameter of a seat.
pub fn row_thickness(nrows: usize) -> f64 {
    1.0 / (4.0 * nrows as f64 - 2.0)
}

/// `get_rows_from_nrows`: the capacity of each row, inner to outer.
pub fn row_capacities(nrows: usize, span_angle: f64) -> Vec<u64> {
    let rad = row_thickness(nrows);
    let radian_span_angle = std::f64::consts::PI * span_angle / 180.0;
    (0..nrows)
        .map(|r| {
            let row_arc_radius = 0.5 + (2 * r) as f64 * rad;
            // Python's int(): truncation toward zero of a positive float.
            (radian_span_angle * row_arc_radius / (2.0 * rad)) as u64
        })
        .collect()
}

/// `get_nrows_from_nseats`: the fewest rows that hold `nseats`.
pub fn rows_for(nseats: u64, span_angle: f64) -> usize {
    let mut i = 1;
    while row_capacities(i, span_angle).iter().sum::<u64>() < nseats {
        i += 1;
    }
    i
}

/// `get_seats_centers`: every seat's position, in ParliamentArch's order (rows inner to outer,
/// each from its right end, angle 0, to its left end).
pub fn seat_centers(
    nseats: u64,
    min_nrows: usize,
    filling: Filling,
    span_angle: f64,
) -> Result<Vec<SeatPosition>, LayoutError> {
    if !(span_angle > 0.0 && span_angle <= 180.0) {
        return Err(LayoutError::Span);
    }
    if nseats > MAX_SEATS {
        return Err(LayoutError::TooManySeats(nseats));
    }
    let nrows = min_nrows.max(rows_for(nseats, span_angle));
    let row_thicc = row_thickness(nrows);
    let span_angle_margin = (1.0 - span_angle / 180.0) * std::f64::consts::PI / 2.0;
    let maxed_rows = row_capacities(nrows, span_angle);
    let total: u64 = maxed_rows.iter().sum();

    // The first row filled; the ratio of the proportional strategies; for OuterPriority, the
    // one row filled partly and its seats.
    let (starting_row, filling_ratio, partial) = match filling {
        Filling::Default => (0, nseats as f64 / total as f64, None),
        Filling::EmptyInner => {
            let mut first = 0;
            while first + 1 < nrows && maxed_rows[first + 1..].iter().sum::<u64>() >= nseats {
                first += 1;
            }
            let kept: u64 = maxed_rows[first..].iter().sum();
            (first, nseats as f64 / kept as f64, None)
        }
        Filling::OuterPriority => {
            // The outer rows that are filled completely start at `first_full`.
            let mut first_full = 0;
            while first_full < nrows && maxed_rows[first_full..].iter().sum::<u64>() > nseats {
                first_full += 1;
            }
            let full: u64 = maxed_rows[first_full..].iter().sum();
            match first_full.checked_sub(1) {
                Some(row) => (row, 0.0, Some((row, nseats - full))),
                // Every row full: Python's starting row is -1, which places no seat.
                None => (0, 0.0, None),
            }
        }
    };

    let mut positions: Vec<SeatPosition> = Vec::with_capacity(nseats as usize);
    for (r, &capacity) in maxed_rows.iter().enumerate().skip(starting_row) {
        let nseats_this_row: i64 = if r == nrows - 1 {
            nseats as i64 - positions.len() as i64
        } else if filling == Filling::OuterPriority {
            match partial {
                Some((row, n)) if row == r => n as i64,
                _ => capacity as i64,
            }
        } else {
            (filling_ratio * capacity as f64).round_ties_even() as i64
        };
        let row_arc_radius = 0.5 + (2 * r) as f64 * row_thicc;
        if nseats_this_row == 1 {
            positions.push(SeatPosition {
                x: 1.0,
                y: row_arc_radius,
                angle: std::f64::consts::PI / 2.0,
                row: r,
            });
        } else if nseats_this_row > 1 {
            let angle_margin = (row_thicc / row_arc_radius).asin() + span_angle_margin;
            let angle_increment =
                (std::f64::consts::PI - 2.0 * angle_margin) / (nseats_this_row - 1) as f64;
            for s in 0..nseats_this_row {
                let angle = angle_margin + s as f64 * angle_increment;
                positions.push(SeatPosition {
                    x: row_arc_radius * angle.cos() + 1.0,
                    y: row_arc_radius * angle.sin(),
                    angle,
                    row: r,
                });
            }
        }
    }
    if positions.len() as u64 != nseats {
        return Err(LayoutError::TooFewPositions {
            seats: nseats,
            positions: positions.len() as u64,
        });
    }
    Ok(positions)
}

/// The seats from left to right: sorted by angle, largest first, ties in layout order.
pub fn left_to_right(mut seats: Vec<SeatPosition>) -> Vec<SeatPosition> {
    seats.sort_by(|a, b| b.angle.total_cmp(&a.angle));
    seats
}

/// `dispatch_seats`: the seats (already in order) dealt to the groups in order.
pub fn dispatch(group_seats: &[u64], seats: &[SeatPosition]) -> Vec<Vec<SeatPosition>> {
    let mut next = 0usize;
    group_seats
        .iter()
        .map(|&n| {
            let end = (next + n as usize).min(seats.len());
            let taken = seats[next..end].to_vec();
            next = end;
            taken
        })
        .collect()
}

/// Okabe and Ito's colour-blind-safe palette, ordered so that neighbouring groups also differ in
/// lightness (in greyscale, relative luminance about .15, .42, .26, .74, .22, .41, 0, .29).
pub const PALETTE: [&str; 8] = [
    "#0072B2", // blue
    "#E69F00", // orange
    "#009E73", // bluish green
    "#F0E442", // yellow
    "#D55E00", // vermillion
    "#56B4E9", // sky blue
    "#000000", // black
    "#CC79A7", // reddish purple
];

/// How a seat is filled: with the colour, with white diagonal stripes over the colour, or as a
/// ring of the colour around white.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mark {
    Solid,
    Stripes,
    Ring,
}

/// A group's look: a palette colour and a mark. The k-th group gets colour k mod 8 and mark
/// (k div 8) mod 3, so 24 groups look different, and neighbours always differ in colour and in
/// lightness; the legend names every group with the positions of its seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Style {
    pub colour: usize,
    pub mark: Mark,
}

impl Style {
    pub fn nth(k: usize) -> Style {
        let mark = match (k / PALETTE.len()) % 3 {
            0 => Mark::Solid,
            1 => Mark::Stripes,
            _ => Mark::Ring,
        };
        Style { colour: k % PALETTE.len(), mark }
    }

    pub fn colour_hex(self) -> &'static str {
        PALETTE[self.colour % PALETTE.len()]
    }

    /// The id of this style's stripe pattern in the hemicycle's `<defs>`.
    fn pattern_id(self) -> String {
        format!("hc-stripes-{}", self.colour % PALETTE.len())
    }

    /// The SVG presentation attributes of a seat of radius `r`, written on its group.
    fn attributes(self, r: f64) -> String {
        let colour = self.colour_hex();
        match self.mark {
            Mark::Solid => format!("fill=\"{colour}\""),
            Mark::Stripes => format!(
                "fill=\"url(#{})\" stroke=\"{colour}\" stroke-width=\"{:.2}\"",
                self.pattern_id(),
                r * 0.2
            ),
            Mark::Ring => {
                format!("fill=\"#FFFFFF\" stroke=\"{colour}\" stroke-width=\"{:.2}\"", r * 0.5)
            }
        }
    }

    /// The radius to draw so that the outer edge, stroke included, is at `r`.
    fn drawn_radius(self, r: f64) -> f64 {
        match self.mark {
            Mark::Solid => r,
            Mark::Stripes => r * 0.9,
            Mark::Ring => r * 0.75,
        }
    }
}

/// A stripe pattern per colour used with [`Mark::Stripes`].
fn pattern_defs(styles: &[Style]) -> String {
    let mut colours: Vec<usize> = styles
        .iter()
        .filter(|s| s.mark == Mark::Stripes)
        .map(|s| s.colour % PALETTE.len())
        .collect();
    colours.sort_unstable();
    colours.dedup();
    let mut out = String::new();
    for c in colours {
        let _ = write!(
            out,
            "<pattern id=\"hc-stripes-{c}\" patternUnits=\"userSpaceOnUse\" width=\"2.4\" height=\"2.4\" patternTransform=\"rotate(45)\"><rect width=\"2.4\" height=\"2.4\" fill=\"{}\"/><rect width=\"0.9\" height=\"2.4\" fill=\"#FFFFFF\"/></pattern>",
            PALETTE[c]
        );
    }
    out
}

/// One group of seats to draw: its name (the tooltip), seats and look.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    pub seats: u64,
    pub style: Style,
}

/// Texts of the diagram, already in the report's language.
#[derive(Clone, Debug, PartialEq)]
pub struct SvgText {
    /// The accessible name (`<title>`).
    pub title: String,
    /// The accessible description (`<desc>`): groups and seats in order.
    pub desc: String,
    /// The number of seats as written at the bottom centre.
    pub total: String,
    /// Each group's tooltip (`<title>` of its `<g>`), same order as the groups.
    pub group_titles: Vec<String>,
}

/// The canvas of ParliamentArch's SVG: 175 units high, 350 wide, with 5-unit margins.
const CANVAS: f64 = 175.0;
const MARGIN: f64 = 5.0;

/// The hemicycle as an SVG element, seats dealt left to right to `groups` in order (pass the
/// groups reversed to deal them right to left). `id` prefixes the ids of the title and
/// description.
pub fn svg(groups: &[Group], text: &SvgText, id: &str) -> Result<String, LayoutError> {
    let total: u64 = groups.iter().map(|g| g.seats).sum();
    let seats = left_to_right(seat_centers(total, 0, Filling::Default, HALF_CIRCLE)?);
    let nrows = rows_for(total, HALF_CIRCLE);
    let radius = 0.8 * row_thickness(nrows) * CANVAS;
    let width = MARGIN + 2.0 * CANVAS + MARGIN;
    let height = MARGIN + CANVAS + MARGIN;
    let id = escape(id);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hemicycle\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" direction=\"ltr\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n",
        escape(&text.title),
        escape(&text.desc)
    );
    let styles: Vec<Style> = groups.iter().map(|g| g.style).collect();
    let defs = pattern_defs(&styles);
    if !defs.is_empty() {
        let _ = writeln!(out, "<defs>{defs}</defs>");
    }
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\" font-family=\"sans-serif\" aria-hidden=\"true\">{}</text>",
        MARGIN + CANVAS,
        MARGIN + CANVAS * 170.0 / 175.0,
        (36.0_f64 / 175.0 * CANVAS).round(),
        escape(&text.total)
    );
    for (k, (group, placed)) in groups
        .iter()
        .zip(dispatch(&groups.iter().map(|g| g.seats).collect::<Vec<_>>(), &seats))
        .enumerate()
    {
        let _ = write!(out, "<g {}>", group.style.attributes(radius));
        if let Some(t) = text.group_titles.get(k) {
            let _ = write!(out, "<title>{}</title>", escape(t));
        }
        out.push('\n');
        let r = group.style.drawn_radius(radius);
        for s in placed {
            let _ = writeln!(
                out,
                "<circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"{r:.2}\"/>",
                MARGIN + CANVAS * s.x,
                MARGIN + CANVAS * (1.0 - s.y)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// A legend swatch for a style: a seat-sized mark in a small SVG, hidden from screen readers
/// (the legend's text names the group). Stripes use the hemicycle's pattern, so a report with
/// a striped group must include the hemicycle.
pub fn swatch(style: Style) -> String {
    let r = 6.0;
    format!(
        "<svg class=\"swatch\" viewBox=\"0 0 14 14\" width=\"14\" height=\"14\" aria-hidden=\"true\" focusable=\"false\"><g {}><circle cx=\"7\" cy=\"7\" r=\"{:.2}\"/></g></svg>",
        match style.mark {
            Mark::Stripes => format!(
                "fill=\"url(#{})\" stroke=\"{}\" stroke-width=\"1\"",
                style.pattern_id(),
                style.colour_hex()
            ),
            _ => style.attributes(r),
        },
        style.drawn_radius(r)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_differ_from_their_neighbours() {
        for k in 0..48 {
            let (a, b) = (Style::nth(k), Style::nth(k + 1));
            assert_ne!(a.colour, b.colour);
        }
        let distinct: std::collections::HashSet<Style> = (0..24).map(Style::nth).collect();
        assert_eq!(distinct.len(), 24);
    }

    #[test]
    fn errors_instead_of_panics() {
        assert_eq!(seat_centers(10, 0, Filling::Default, 0.0), Err(LayoutError::Span));
        assert_eq!(seat_centers(10, 0, Filling::Default, 200.0), Err(LayoutError::Span));
        assert_eq!(
            seat_centers(MAX_SEATS + 1, 0, Filling::Default, HALF_CIRCLE),
            Err(LayoutError::TooManySeats(MAX_SEATS + 1))
        );
        assert_eq!(seat_centers(0, 0, Filling::Default, HALF_CIRCLE), Ok(Vec::new()));
    }

    #[test]
    fn dispatch_deals_in_order() {
        let seats = left_to_right(seat_centers(7, 0, Filling::Default, HALF_CIRCLE).unwrap());
        let groups = dispatch(&[3, 4], &seats);
        assert_eq!(groups[0].len(), 3);
        assert_eq!(groups[1].len(), 4);
        // The first group holds the leftmost seats.
        assert!(groups[0].iter().all(|s| s.angle >= groups[1][0].angle));
    }
}
