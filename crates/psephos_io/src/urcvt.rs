//! RCTab's result files: the URCVT summary JSON and the detailed CSV, value for value
//! (docs/internals/rctab-semantics.md §11). Numbers print as RCTab's `BigDecimal`s do, with the
//! scale the count carried.

use std::fmt::Write as _;

use psephos_rcv::rctab::num::{Arith, JNum};
use psephos_rcv::rctab::tabulate::{RoundFigures, Target, csv_candidate_order, java_cmp};
use psephos_rcv::rctab::{Rules, Status, Tabulation, WinnerMode};
use serde_json::{Map, Value, json};

/// The contest's descriptive fields, as the configuration gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportMeta {
    pub contest: String,
    pub date: String,
    pub jurisdiction: String,
    pub office: String,
    /// `RCTab 2.0.0`, or psephos's own name and version.
    pub generated_by: String,
}

/// A report for the whole contest, or for one precinct or batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    Contest,
    /// Slice index into `Round::slices`, its kind (`precinct` or `batch`) and id.
    Slice {
        index: usize,
        kind: &'a str,
        id: &'a str,
    },
}

fn figures<'t>(round: &'t psephos_rcv::rctab::Round, scope: Scope<'_>) -> &'t RoundFigures {
    match scope {
        Scope::Contest => &round.contest,
        Scope::Slice { index, .. } => &round.slices[index],
    }
}

/// The URCVT summary JSON (`jsonFormatVersion` 1), keys sorted as Jackson sorts them.
pub fn summary_json(t: &Tabulation, rules: &Rules, meta: &ReportMeta, scope: Scope<'_>) -> String {
    let a = &t.arith;
    let text = |n: JNum| Value::String(a.text(n));
    let mut results = Vec::new();
    let last = t.rounds.len();
    for (i, round) in t.rounds.iter().enumerate() {
        let f = figures(round, scope);
        let mut inactive = Map::new();
        inactive.insert("exhaustedChoices".into(), text(f.status(Status::ExhaustedChoices)));
        if i + 1 == last && t.uses_surpluses {
            inactive.insert("finalRoundSurplus".into(), text(f.status(Status::FinalRoundSurplus)));
        }
        inactive.insert("overvotes".into(), text(f.status(Status::Overvote)));
        inactive.insert("repeatedRankings".into(), text(f.status(Status::RepeatedRankings)));
        inactive.insert("skippedRankings".into(), text(f.status(Status::SkippedRankings)));
        let tally: Map<String, Value> =
            f.tally.iter().map(|&(c, v)| (t.names[c].clone(), text(v))).collect();
        // What each candidate acting this round passed on: the next round's log.
        let next = t.rounds.get(i + 1).map(|r| figures(r, scope));
        let transfers_of = |c: usize| -> Value {
            let mut m = Map::new();
            if let Some(n) = next {
                for (target, v) in n.transfers_from(c) {
                    let key = match target {
                        Target::Candidate(k) => t.names[k].clone(),
                        Target::Exhausted => "exhausted".to_owned(),
                        Target::ResidualSurplus => "residual surplus".to_owned(),
                    };
                    m.insert(key, text(v));
                }
            }
            Value::Object(m)
        };
        let mut actions = Vec::new();
        for &c in &round.elected {
            actions.push(json!({"elected": t.names[c], "transfers": transfers_of(c)}));
        }
        for &c in &round.eliminated {
            actions.push(json!({"eliminated": t.names[c], "transfers": transfers_of(c)}));
        }
        results.push(json!({
            "inactiveBallots": inactive,
            "round": round.number,
            "tally": tally,
            "tallyResults": actions,
            "threshold": text(round.threshold),
        }));
    }
    let first = t.rounds.first().map(|r| figures(r, scope));
    let total =
        first.map_or(JNum::ZERO, |f| f.by_status.iter().fold(JNum::ZERO, |s, v| s.plus(*v)));
    let undervotes = first.map_or(0, |f| whole(a, f.status(Status::DidNotRank)));
    let mut config = Map::new();
    config.insert("contest".into(), json!(meta.contest));
    config.insert("date".into(), json!(meta.date));
    config.insert("generatedBy".into(), json!(meta.generated_by));
    config.insert("jurisdiction".into(), json!(meta.jurisdiction));
    config.insert("office".into(), json!(meta.office));
    if let Scope::Slice { kind, id, .. } = scope {
        config.insert(kind.to_owned(), json!(id));
    }
    let report = json!({
        "config": config,
        "jsonFormatVersion": "1",
        "results": results,
        "summary": {
            "finalThreshold": t.rounds.last().map_or(Value::String("0".into()), |r| text(r.threshold)),
            "numCandidates": t.names.len(),
            "numWinners": rules.seats,
            "totalNumBallots": text(total),
            "undervotes": undervotes,
        },
    });
    serde_json::to_string_pretty(&report).unwrap_or_default()
}

/// A count of whole ballots.
fn whole(a: &Arith, n: JNum) -> u64 {
    u64::try_from(n.units / psephos_rcv::decimal::unit(a.internal)).unwrap_or(u64::MAX)
}

/// `b − a` as Java prints a `BigDecimal` difference (scale = the larger; a minus sign if
/// negative).
fn difference(arith: &Arith, a: JNum, b: JNum) -> String {
    let scale = a.scale.max(b.scale);
    if b.units >= a.units {
        arith.text(JNum { units: b.units - a.units, scale })
    } else {
        format!("-{}", arith.text(JNum { units: a.units - b.units, scale }))
    }
}

/// RCTab's `% of vote` cell: `tally / divisor` to 7 significant digits (half even), times 10⁴
/// truncated, printed as Java prints `n / 100.0` with a `%`; empty if the divisor is an exact
/// `BigDecimal.ZERO`.
fn percent(tally: JNum, divisor: JNum) -> String {
    if divisor.units == 0 {
        return if divisor.scale == 0 { String::new() } else { "0.0%".to_owned() };
    }
    let (a, b) = (tally.units, divisor.units);
    let n: u128 = if a == 0 {
        0
    } else {
        // Scale a/b by 10^k so the integer part has 7 digits.
        let mut k = 0u32;
        while k < 60 && mul_pow(a, k) / b < 1_000_000 {
            k += 1;
        }
        let scaled = mul_pow(a, k);
        let (mut m, r) = (scaled / b, scaled % b);
        // Half even on the remainder.
        if 2 * r > b || (2 * r == b && m % 2 == 1) {
            m += 1;
        }
        // n = trunc(m × 10^4 / 10^k).
        if k >= 4 { m / 10u128.pow(k - 4) } else { m * 10u128.pow(4 - k) }
    };
    let (int, frac) = (n / 100, n % 100);
    if frac == 0 {
        format!("{int}.0%")
    } else if frac % 10 == 0 {
        format!("{int}.{}%", frac / 10)
    } else {
        format!("{int}.{frac:02}%")
    }
}

fn mul_pow(a: u128, k: u32) -> u128 {
    a.saturating_mul(10u128.saturating_pow(k))
}

/// A CSV field as Apache Commons CSV's default format writes it.
fn field(s: &str) -> String {
    let needs = s.contains([',', '"', '\r', '\n'])
        || s.chars().next().is_some_and(|c| c <= '#')
        || s.chars().last().is_some_and(|c| c <= ' ');
    if needs { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The CSV report; `detailed` adds the four rows of inactive ballots by reason.
pub fn summary_csv(
    t: &Tabulation,
    rules: &Rules,
    meta: &ReportMeta,
    scope: Scope<'_>,
    detailed: bool,
) -> String {
    let a = &t.arith;
    let text = |n: JNum| a.text(n);
    let s = |x: &str| x.to_owned();
    let mut out = String::new();
    let slice = matches!(scope, Scope::Slice { .. });
    row(&mut out, &[s("Contest Information")]);
    row(&mut out, &[s("Generated By"), meta.generated_by.clone()]);
    row(&mut out, &[s("CSV Format Version"), s("1")]);
    let single = rules.mode == WinnerMode::SingleWinnerMajority;
    row(
        &mut out,
        &[s("Type of Election"), s(if single { "Single-Winner" } else { "Multi-Winner" })],
    );
    row(&mut out, &[s("Contest"), meta.contest.clone()]);
    row(&mut out, &[s("Jurisdiction"), meta.jurisdiction.clone()]);
    row(&mut out, &[s("Office"), meta.office.clone()]);
    row(&mut out, &[s("Date"), meta.date.clone()]);
    let mut winners = t.winner_rounds.clone();
    winners.sort_by(|x, y| x.1.cmp(&y.1).then(java_cmp(&t.names[x.0], &t.names[y.0])));
    let names: Vec<&str> = winners.iter().map(|w| t.names[w.0].as_str()).collect();
    row(&mut out, &[s("Winner(s)"), names.join(", ")]);
    match scope {
        Scope::Contest => row(
            &mut out,
            &[s("Final Threshold"), t.rounds.last().map_or(s("0"), |r| text(r.threshold))],
        ),
        Scope::Slice { kind, id, .. } => {
            let label = if kind == "precinct" { "Precinct" } else { "Batch" };
            row(&mut out, &[s(label), s(id)]);
        }
    }
    out.push_str("\r\n");
    row(&mut out, &[s("Contest Summary")]);
    let to_elect = match rules.mode {
        WinnerMode::BottomsUpUsingPercentageThreshold => format!(
            "All candidates over the {}% threshold",
            rules.bottoms_up_percentage.as_deref().unwrap_or("")
        ),
        _ => rules.seats.to_string(),
    };
    row(&mut out, &[s("Number to be Elected"), to_elect]);
    row(&mut out, &[s("Number of Candidates"), t.num_candidates().to_string()]);
    let first = t.rounds.first().map(|r| figures(r, scope));
    let total =
        first.map_or(JNum::ZERO, |f| f.by_status.iter().fold(JNum::ZERO, |s, v| s.plus(*v)));
    row(&mut out, &[s("Total Number of Ballots"), text(total)]);
    let undervotes = first.map_or(JNum::ZERO, |f| f.status(Status::DidNotRank));
    row(&mut out, &[s("Number of Undervotes (No Rankings)"), text(undervotes)]);
    out.push_str("\r\n");

    let n = t.rounds.len();
    let mut header = vec![s("Rounds")];
    for r in &t.rounds {
        header.push(format!("Round {} Votes", r.number));
        header.push(s("% of vote"));
        header.push(s("transfer"));
    }
    row(&mut out, &header);
    let tie = |c: usize, r: &psephos_rcv::rctab::Round| {
        if r.by_tiebreak.contains(&c) { format!("{}*", t.names[c]) } else { t.names[c].clone() }
    };
    let dagger = if slice { "†" } else { "" };
    let mut elim = vec![format!("Eliminated{dagger}")];
    let mut elec = vec![format!("Elected{dagger}")];
    for r in &t.rounds {
        let e: Vec<String> = r.eliminated.iter().map(|&c| tie(c, r)).collect();
        elim.extend([e.join("; "), String::new(), String::new()]);
        let w: Vec<String> = r.elected.iter().map(|&c| tie(c, r)).collect();
        elec.extend([w.join("; "), String::new(), String::new()]);
    }
    row(&mut out, &elim);
    row(&mut out, &elec);
    // Active ballots, and those locked in with earlier winners, per round.
    let active_locked: Vec<JNum> = t
        .rounds
        .iter()
        .map(|r| {
            let f = figures(r, scope);
            let mut v = f.status(Status::Active).plus(f.status(Status::FinalRoundSurplus));
            // Winners hold ballots locked in only in multi-seat counts (elsewhere a winner who
            // keeps counting, under continue-until-two, holds active ballots).
            for &(w, wr) in &t.winner_rounds {
                if rules.seats > 1
                    && wr < r.number
                    && let Some(x) = f.tally_of(w)
                {
                    v = v.plus(x);
                }
            }
            v
        })
        .collect();
    let divisor_for = |k: usize| -> JNum {
        let per_round = matches!(
            rules.mode,
            WinnerMode::SingleWinnerMajority | WinnerMode::BottomsUpUsingPercentageThreshold
        ) && !rules.first_round_determines_threshold;
        if per_round { active_locked[k] } else { active_locked[0] }
    };
    let value = |r: usize, c: usize| figures(&t.rounds[r], scope).tally_of(c);
    for c in csv_candidate_order(t) {
        let mut cells = vec![t.names[c].clone()];
        for k in 0..n {
            let v = value(k, c).unwrap_or(JNum::ZERO);
            cells.push(value(k, c).map_or(s("0"), text));
            cells.push(percent(v, divisor_for(k)));
            cells.push(if k + 1 == n {
                s("0")
            } else {
                difference(a, v, value(k + 1, c).unwrap_or(JNum::ZERO))
            });
        }
        row(&mut out, &cells);
    }
    let mut cells = vec![s("Active Ballots")];
    for v in &active_locked {
        cells.extend([text(*v), String::new(), String::new()]);
    }
    row(&mut out, &cells);
    if !slice {
        let mut cells = vec![s("Current Round Threshold")];
        for r in &t.rounds {
            cells.extend([text(r.threshold), String::new(), String::new()]);
        }
        row(&mut out, &cells);
    }
    let level_row = |label: &str, get: &dyn Fn(&RoundFigures) -> JNum| -> Vec<String> {
        let mut cells = vec![label.to_owned()];
        for k in 0..n {
            let v = get(figures(&t.rounds[k], scope));
            cells.push(text(v));
            cells.push(String::new());
            cells.push(if k + 1 == n {
                s("0")
            } else {
                difference(a, v, get(figures(&t.rounds[k + 1], scope)))
            });
        }
        cells
    };
    if detailed {
        for (label, status) in [
            ("Inactive Ballots by Overvotes", Status::Overvote),
            ("Inactive Ballots by Skipped Rankings", Status::SkippedRankings),
            ("Inactive Ballots by Exhausted Choices", Status::ExhaustedChoices),
            ("Inactive Ballots by Repeated Rankings", Status::RepeatedRankings),
        ] {
            row(&mut out, &level_row(label, &|f: &RoundFigures| f.status(status)));
        }
    }
    row(
        &mut out,
        &level_row("Inactive Ballots Total", &|f: &RoundFigures| {
            [
                Status::Overvote,
                Status::SkippedRankings,
                Status::ExhaustedChoices,
                Status::RepeatedRankings,
            ]
            .iter()
            .fold(JNum::ZERO, |s, &st| s.plus(f.status(st)))
        }),
    );
    if !slice && t.rounds.last().is_some_and(|r| r.residual.units > 0) {
        let mut cells = vec![s("Residual surplus")];
        for r in &t.rounds {
            cells.extend([text(r.residual), String::new(), String::new()]);
        }
        row(&mut out, &cells);
    }
    if t.uses_surpluses {
        let mut cells = vec![s("Final Round Surplus")];
        for r in &t.rounds {
            let v = figures(r, scope).status(Status::FinalRoundSurplus);
            let exact_zero = v.units == 0 && v.scale == 0;
            cells.extend([
                if exact_zero { String::new() } else { text(v) },
                String::new(),
                String::new(),
            ]);
        }
        row(&mut out, &cells);
    }
    if let Scope::Slice { kind, .. } = scope {
        out.push_str("\r\n");
        let _ = write!(
            out,
            "†Elect/Eliminate decisions are from the full contest. All other results on this report are at the {kind} level.\r\n"
        );
    }
    if t.rounds.iter().any(|r| !r.by_tiebreak.is_empty()) {
        out.push_str("\r\n");
        out.push_str("*Tie resolved in accordance with election law\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_print_like_rctab() {
        let a = Arith::new(4, 2);
        assert_eq!(percent(a.int(365), a.int(1000)), "36.5%");
        assert_eq!(percent(a.int(0), a.int(10)), "0.0%");
        assert_eq!(percent(a.int(10), a.int(10)), "100.0%");
        assert_eq!(percent(a.int(1), a.int(3)), "33.33%");
        assert_eq!(percent(a.int(1), JNum::ZERO), "");
        // 7 significant digits first: 0.24999996 → 0.2500000 → 25.0%.
        assert_eq!(percent(a.int(24_999_996), a.int(100_000_000)), "25.0%");
    }

    #[test]
    fn csv_fields_quote_like_commons_csv() {
        assert_eq!(field("Vail, Christopher L.*"), "\"Vail, Christopher L.*\"");
        assert_eq!(field("A"), "A");
        assert_eq!(field("†x"), "†x");
        assert_eq!(field("-4"), "-4");
    }
}
