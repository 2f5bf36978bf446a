//! `psephos reconcile` (counting phases station by station, and whether the hand counts change a
//! seat) and `psephos margins` (the smallest change of votes that changes each seat).

use psephos_count::margins::{ContestMargins, Target, Way};
use psephos_count::reconcile::{Class, Reconciliation, reconcile};
use psephos_model::{Election, Phase};
use serde_json::{Value, json};

use crate::Exit;
use crate::cli::{Format, MarginsArgs, ReconcileArgs};
use crate::commands::{checked_for_counting, counted, io_failed};
use crate::output::{Table, csv_text, thousands, write_output};
use crate::pipeline::Checked;

fn phase_words(to: Phase) -> &'static str {
    match to {
        Phase::Electronic => "counted electronically",
        Phase::Manual => "hand-counted",
        Phase::Recount => "recounted",
        Phase::Correction => "corrected",
    }
}

fn votes_word(n: u64) -> &'static str {
    if n == 1 { "vote" } else { "votes" }
}

/// The summary in the words commissions use, one sentence per pair of phases, then the seats.
pub(crate) fn summary_lines(e: &Election, r: &Reconciliation) -> Vec<String> {
    let mut lines = Vec::new();
    for p in &r.pairs {
        let (Some(from), Some(to)) = (p.from, p.to) else { continue };
        let mut parts = vec![format!("{} identical", thousands(p.identical))];
        if r.tolerance > 0 {
            parts.push(format!(
                "{} differ by at most {} {}",
                thousands(p.within_tolerance),
                r.tolerance,
                votes_word(r.tolerance)
            ));
        }
        parts.push(format!(
            "{} differ by more{}",
            thousands(p.discrepant),
            if r.tolerance > 0 { "" } else { " than 0 votes" }
        ));
        lines.push(format!(
            "{} station ballot(s) {} ({} against {}): {}; {} {} changed in all, the largest difference {}.",
            thousands(p.stations),
            phase_words(to),
            to.as_str(),
            from.as_str(),
            parts.join(", "),
            thousands(p.votes_changed),
            votes_word(p.votes_changed),
            thousands(p.largest)
        ));
    }
    if r.pairs.is_empty() {
        lines.push(
            "No station ballot has forms in two phases: there is nothing to reconcile.".to_owned(),
        );
    }
    let changed = r.seats_changed();
    if changed == 0 {
        lines.push(
            "No seat changes: allocating from the hand counts gives the same seats as the reported count."
                .to_owned(),
        );
    } else {
        let mut s = format!(
            "{changed} seat(s) change in {} contest(s) when the hand counts replace the reported count:",
            r.seat_changes.len()
        );
        for c in &r.seat_changes {
            let id = &e.contest(c.contest).id;
            let who = |v: &[(psephos_model::CandidateIdx, u64, u64)]| {
                v.iter()
                    .map(|&(k, a, b)| {
                        format!("{} ({} → {})", e.candidate(k).id, thousands(a), thousands(b))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !c.lost.is_empty() || !c.gained.is_empty() {
                s.push_str(&format!(" {id}: {} out, {} in;", who(&c.lost), who(&c.gained)));
            }
            let result = r.reported.contests.iter().find(|x| x.contest == c.contest);
            for &(k, a, b) in &c.lists {
                let name = result
                    .and_then(|x| x.lists.get(k))
                    .map(|l| psephos_count::list_pr::list_id(e, l).to_owned())
                    .unwrap_or_default();
                s.push_str(&format!(" {id}: list {name} {a} → {b} seats;"));
            }
        }
        s.pop();
        s.push('.');
        lines.push(s);
    }
    if r.compared > 0 {
        let below = r.sum_e_pico < 1_000_000_000_000;
        lines.push(format!(
            "Sum of e_p over the {} station ballot(s) set against a hand count: {} ({}; {} pair(s) with a margin of 0 left out).",
            thousands(r.compared),
            r.sum_e_text(6),
            if below {
                "below 1: no winner–loser pair of an SNTV contest can be overturned"
            } else {
                "not below 1: the differences could overturn a winner–loser pair; the seats above are the answer"
            },
            thousands(r.tied_pairs)
        ));
    }
    lines
}

fn frac_json(f: &psephos_count::reconcile::Fraction) -> Value {
    json!({"num": f.num.to_string(), "den": f.den.to_string(), "value": f.decimal(6)})
}

pub(crate) fn reconciliation_json(e: &Election, r: &Reconciliation) -> Value {
    let cand = |c: psephos_model::CandidateIdx| e.candidate(c).id.clone();
    let stations: Vec<Value> = r
        .stations
        .iter()
        .map(|s| {
            let o = s.overstatement.as_ref().map(|o| {
                let pair = |k: Option<usize>| {
                    k.and_then(|k| r.assertions.get(k)).map(|a| {
                        json!({"contest": e.contest(a.contest).id, "winner": cand(a.winner), "loser": cand(a.loser), "margin": a.margin})
                    })
                };
                json!({
                    "reported": o.reported.as_str(),
                    "audited": o.audited.as_str(),
                    "ballots_reported": o.ballots_reported,
                    "ballots_counted": o.ballots_counted,
                    "e": frac_json(&o.e),
                    "e_pair": pair(o.e_assertion),
                    "e_delta": o.e_delta,
                    "u": frac_json(&o.u),
                    "u_pair": pair(o.u_assertion),
                })
            });
            json!({
                "station": e.station_label(s.station),
                "contest": e.contest(s.contest).id,
                "phases": s.phases.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
                "held": s.held.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "selected": s.selected.map(|p| p.as_str()),
                "comparisons": s.comparisons.iter().map(|c| json!({
                    "from": c.from.as_str(),
                    "to": c.to.as_str(),
                    "class": c.class.as_str(),
                    "largest": c.largest,
                    "votes_changed": c.votes_changed,
                    "ballots_found": [c.ballots_found.0, c.ballots_found.1],
                    "blank": [c.blank.0, c.blank.1],
                    "invalid": [c.invalid.0, c.invalid.1],
                    "candidates": c.candidates.iter().map(|d| json!({"candidate": cand(d.candidate), "from": d.from, "to": d.to})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "overstatement": o,
            })
        })
        .collect();
    let assertions: Vec<Value> = r
        .assertions
        .iter()
        .filter(|a| a.overstatement != 0)
        .map(|a| {
            json!({
                "contest": e.contest(a.contest).id,
                "winner": cand(a.winner),
                "loser": cand(a.loser),
                "margin": a.margin,
                "overstatement": a.overstatement,
                "stations": a.stations,
                "overturned": a.overturned(),
            })
        })
        .collect();
    let seat_changes: Vec<Value> = r
        .seat_changes
        .iter()
        .map(|c| {
            let who = |v: &[(psephos_model::CandidateIdx, u64, u64)]| {
                v.iter()
                    .map(|&(k, a, b)| json!({"candidate": cand(k), "votes_reported": a, "votes_hand": b}))
                    .collect::<Vec<_>>()
            };
            let result = r.reported.contests.iter().find(|x| x.contest == c.contest);
            json!({
                "contest": e.contest(c.contest).id,
                "lost": who(&c.lost),
                "gained": who(&c.gained),
                "lists": c.lists.iter().map(|&(k, a, b)| json!({
                    "list": result.and_then(|x| x.lists.get(k)).map(|l| psephos_count::list_pr::list_id(e, l)),
                    "seats_reported": a,
                    "seats_hand": b,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "tolerance": r.tolerance,
        "summary": summary_lines(e, r),
        "pairs": r.pairs.iter().map(|p| json!({
            "from": p.from.map(Phase::as_str),
            "to": p.to.map(Phase::as_str),
            "stations": p.stations,
            "identical": p.identical,
            "within_tolerance": p.within_tolerance,
            "discrepant": p.discrepant,
            "votes_changed": p.votes_changed,
            "largest": p.largest,
        })).collect::<Vec<_>>(),
        "seats_changed": r.seats_changed(),
        "seat_changes": seat_changes,
        "compared": r.compared,
        "sum_e": r.sum_e_text(12),
        "tied_pairs": r.tied_pairs,
        "assertions": assertions,
        "stations": stations,
    })
}

fn reconciliation_csv(e: &Election, r: &Reconciliation) -> String {
    csv_text(
        &[
            "station",
            "contest",
            "from",
            "to",
            "class",
            "largest",
            "votes_changed",
            "ballots_from",
            "ballots_to",
            "candidates_changed",
        ],
        r.stations.iter().flat_map(|s| {
            s.comparisons.iter().map(move |c| {
                vec![
                    e.station_label(s.station).to_owned(),
                    e.contest(s.contest).id.clone(),
                    c.from.as_str().to_owned(),
                    c.to.as_str().to_owned(),
                    c.class.as_str().to_owned(),
                    c.largest.to_string(),
                    c.votes_changed.to_string(),
                    c.ballots_found.0.to_string(),
                    c.ballots_found.1.to_string(),
                    c.candidates
                        .iter()
                        .map(|d| format!("{}:{}>{}", e.candidate(d.candidate).id, d.from, d.to))
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
        }),
    )
}

fn reconciliation_table(e: &Election, r: &Reconciliation) -> String {
    let mut s = String::new();
    for l in summary_lines(e, r) {
        s.push_str(&l);
        s.push('\n');
    }
    let mut t = Table::new(&[
        ("station", false),
        ("contest", false),
        ("phases", false),
        ("class", false),
        ("largest", true),
        ("ballots", true),
        ("differences", false),
    ]);
    let mut rows = 0;
    for st in &r.stations {
        for c in st.comparisons.iter().filter(|c| c.class != Class::Identical) {
            rows += 1;
            t.row(vec![
                e.station_label(st.station).to_owned(),
                e.contest(st.contest).id.clone(),
                format!("{} vs {}", c.to.as_str(), c.from.as_str()),
                c.class.as_str().to_owned(),
                c.largest.to_string(),
                format!("{} → {}", c.ballots_found.0, c.ballots_found.1),
                c.candidates
                    .iter()
                    .map(|d| format!("{} {} → {}", e.candidate(d.candidate).id, d.from, d.to))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
    }
    if rows > 0 {
        s.push('\n');
        s.push_str(&t.render());
    }
    s
}

/// The reconciliation of a checked package's phases, as `reconcile` and `report` show it.
pub(crate) fn reconcile_checked(checked: &Checked, tolerance: u64) -> Reconciliation {
    let aliases = &checked.package.aliases;
    reconcile(
        &checked.package.election,
        &checked.forms,
        &checked.validation,
        &checked.selection.policy,
        &checked.ranked,
        &|k| aliases.get(k.index()).cloned().unwrap_or_default(),
        tolerance,
    )
}

pub(crate) fn reconcile_command(args: &ReconcileArgs, quiet: bool) -> Exit {
    let c = &args.common;
    let checked = match checked_for_counting(c, args.quarantine, quiet) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let e = &checked.package.election;
    let r = reconcile_checked(&checked, args.tolerance);
    let text = match c.format {
        Format::Json => {
            serde_json::to_string_pretty(&reconciliation_json(e, &r)).unwrap_or_default() + "\n"
        }
        Format::Csv => reconciliation_csv(e, &r),
        Format::Table => reconciliation_table(e, &r),
    };
    match write_output(c.out.as_deref(), &text) {
        Ok(()) => Exit::Ok,
        Err(err) => io_failed(c.out.as_deref(), &err),
    }
}

fn way_json(
    e: &Election,
    m: &ContestMargins,
    alloc: &psephos_count::Allocation,
    way: Option<Way>,
) -> Value {
    let target = |t: Target| match t {
        Target::Candidate(k) => e.candidate(k).id.clone(),
        Target::List(l) => alloc
            .contests
            .iter()
            .find(|x| x.contest == m.contest)
            .and_then(|x| x.lists.get(l))
            .map(|l| psephos_count::list_pr::list_id(e, l).to_owned())
            .unwrap_or_default(),
    };
    match way {
        None => Value::Null,
        Some(Way::Remove(t)) => json!({"remove_from": target(t)}),
        Some(Way::Add(t)) => json!({"add_to": target(t)}),
        Some(Way::Pair { removed, to }) => {
            json!({"remove_from_holder": removed, "add_to": target(to)})
        }
        Some(Way::Several) => json!({"several": true}),
    }
}

fn diluted_text(m: &ContestMargins) -> String {
    m.diluted().map_or(String::new(), |(a, b)| {
        psephos_count::apportion::Ratio::new(u128::from(a), u128::from(b)).decimal(6)
    })
}

pub(crate) fn margins_command(args: &MarginsArgs, quiet: bool) -> Exit {
    let c = &args.common;
    let checked = match checked_for_counting(c, args.quarantine, quiet) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let e = &checked.package.election;
    let (t, a) = counted(&checked);
    let ms = psephos_count::margins::margins(e, &t, &a);
    let text = match c.format {
        Format::Json => {
            let contests: Vec<Value> = ms
                .iter()
                .map(|m| {
                    json!({
                        "contest": e.contest(m.contest).id,
                        "margin": m.margin,
                        "ballots": m.ballots,
                        "diluted_margin": m.diluted().map(|_| diluted_text(m)),
                        "note": m.note,
                        "seats": m.seats.iter().map(|s| json!({
                            "candidate": e.candidate(s.candidate).id,
                            "margin": s.margin,
                            "change": way_json(e, m, &a, s.way),
                        })).collect::<Vec<_>>(),
                        "lists": m.lists.iter().map(|l| json!({
                            "list": a.contests.iter().find(|x| x.contest == m.contest).and_then(|x| x.lists.get(l.list)).map(|x| psephos_count::list_pr::list_id(e, x)),
                            "seats": l.seats,
                            "lose": l.lose,
                            "change": way_json(e, m, &a, l.lose_way),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&json!({"contests": contests})).unwrap_or_default() + "\n"
        }
        Format::Csv => csv_text(
            &["contest", "candidate", "margin", "contest_margin", "ballots", "diluted_margin"],
            ms.iter().flat_map(|m| {
                m.seats.iter().map(move |s| {
                    vec![
                        e.contest(m.contest).id.clone(),
                        e.candidate(s.candidate).id.clone(),
                        s.margin.map(|x| x.to_string()).unwrap_or_default(),
                        m.margin.map(|x| x.to_string()).unwrap_or_default(),
                        m.ballots.to_string(),
                        diluted_text(m),
                    ]
                })
            }),
        ),
        Format::Table => {
            let mut table = Table::new(&[
                ("contest", false),
                ("seats", true),
                ("ballots", true),
                ("margin", true),
                ("diluted", true),
                ("closest seat", false),
            ]);
            for m in &ms {
                let closest = m
                    .seats
                    .iter()
                    .filter(|s| s.margin.is_some() && s.margin == m.margin)
                    .map(|s| e.candidate(s.candidate).id.clone())
                    .next()
                    .unwrap_or_else(|| m.note.unwrap_or("").to_owned());
                table.row(vec![
                    e.contest(m.contest).id.clone(),
                    m.seats.len().to_string(),
                    thousands(m.ballots),
                    m.margin.map(thousands).unwrap_or_else(|| "-".to_owned()),
                    diluted_text(m),
                    closest,
                ]);
            }
            table.render()
        }
    };
    match write_output(c.out.as_deref(), &text) {
        Ok(()) => Exit::Ok,
        Err(err) => io_failed(c.out.as_deref(), &err),
    }
}
