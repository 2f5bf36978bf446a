//! The ranked contests of a package in `allocate`'s output: round by round (RCTab's rules),
//! stage by stage (Scottish STV, Irish rules) or action by action (Meek), in the shapes of
//! `psephos rcv --format json`, with candidates named by their ids in candidates.csv.

use psephos_count::{Allocation, RankedCount, RankedOutcome};
use psephos_model::Election;
use serde_json::{Map, Value, json};

/// `{contest id: count}` for every ranked contest.
pub(crate) fn ranked_json(e: &Election, a: &Allocation) -> Value {
    let mut out = Map::new();
    for r in &a.ranked {
        out.insert(e.contest(r.contest).id.clone(), count_json(e, r));
    }
    Value::Object(out)
}

fn count_json(e: &Election, r: &RankedCount) -> Value {
    let method = e.system_of(r.contest).method.as_str();
    let seats = e.contest(r.contest).seats;
    let id = |k: usize| -> String {
        r.candidates.get(k).map_or_else(
            || psephos_rcv::rctab::rules::UNDECLARED_WRITE_INS.to_owned(),
            |&c| e.candidate(c).id.clone(),
        )
    };
    match &r.outcome {
        Err(why) => json!({ "method": method, "seats": seats, "error": why }),
        Ok(RankedOutcome::Rctab { tabulation: t, .. }) => {
            crate::rcv::tabulation_value(t, method, json!(seats), &id)
        }
        Ok(RankedOutcome::Meek(c)) => meek_value(c, &id),
        Ok(RankedOutcome::Stages(c)) => crate::rcv::stv_value_json(c, method, json!(seats), &id),
    }
}

/// The reason shown for a seat won in a ranked count: `rcv, round N` (or `stage N`).
pub(crate) fn reason(a: &Allocation, seat: &psephos_count::Seat) -> String {
    let Some(r) = a.ranked.iter().find(|r| r.contest == seat.contest) else {
        return seat.reason.as_str().to_owned();
    };
    let unit = match r.outcome {
        Ok(RankedOutcome::Stages(_)) => "stage",
        _ => "round",
    };
    match r.elected_in(seat.candidate) {
        Some(n) => format!("rcv, {unit} {n}"),
        None => "rcv".to_owned(),
    }
}

/// A Meek count as JSON (`psephos rcv --method meek --format json`, and a `meek` contest under
/// `ranked`): every action with the threshold, residual and surplus, and the candidates' standing
/// and votes where the action shows them; `name` names a candidate by its index.
pub(crate) fn meek_value(
    c: &psephos_rcv::stv::meek::MeekCount,
    name: &dyn Fn(usize) -> String,
) -> Value {
    use psephos_rcv::stv::Status;
    use psephos_rcv::stv::meek::{EqualRanks, MeekAction, MeekEvent, Why, fixed9};
    let why = |w: &Why| match w {
        Why::Elected => "elected",
        Why::Omega => "omega",
        Why::Stable => "stable",
    };
    let mut round = 0u32;
    let mut actions = Vec::new();
    for e in &c.events {
        let a = match e {
            MeekEvent::Round(r) => {
                round = *r;
                continue;
            }
            MeekEvent::StableState(_) => continue,
            MeekEvent::Action(a) => a,
        };
        let (kind, who, extra) = match &a.action {
            MeekAction::BeginCount => ("begin count", None, None),
            MeekAction::Elect(k) => ("elected", Some(*k), None),
            MeekAction::Iterate(w) => ("iterated", None, Some(json!({ "stopped": why(w) }))),
            MeekAction::BreakTie { tied, defeated } => (
                "tie broken",
                Some(*defeated),
                Some(json!({ "tied": tied.iter().map(|&k| name(k)).collect::<Vec<_>>() })),
            ),
            MeekAction::Defeat { why: w, candidate } => {
                ("defeated", Some(*candidate), Some(json!({ "stopped": why(w) })))
            }
            MeekAction::ElectRemaining(k) => {
                ("elected as one of the last hopefuls", Some(*k), None)
            }
            MeekAction::DefeatRemaining(k) => ("defeated, seats filled", Some(*k), None),
            MeekAction::CountComplete => ("count complete", None, None),
        };
        let candidates = a.candidates.as_ref().map(|cs| {
            cs.iter()
                .enumerate()
                .filter(|(_, (s, _))| *s != Status::Withdrawn)
                .map(|(k, (s, v))| {
                    let status = match s {
                        Status::Elected => "elected",
                        Status::Hopeful => "hopeful",
                        _ => "defeated",
                    };
                    json!({ "name": name(k), "status": status, "votes": fixed9(*v) })
                })
                .collect::<Vec<_>>()
        });
        actions.push(json!({
            "round": round,
            "action": kind,
            "candidate": who.map(name),
            "detail": extra,
            "threshold": fixed9(a.threshold),
            "votes": fixed9(a.votes),
            "residual": fixed9(a.residual),
            "surplus": fixed9(a.surplus),
            "candidates": candidates,
        }));
    }
    json!({
        "method": "meek",
        "arithmetic": "fixed-point, 9 decimals",
        "equal_preferences": if c.options.equal_ranks == EqualRanks::Equalize { "equalize" } else { "droop" },
        "omega": fixed9(c.omega),
        "seats": c.seats,
        "ballots": c.ballots.to_string(),
        "candidates": (0..c.candidates.len()).map(name).collect::<Vec<_>>(),
        "withdrawn": (0..c.candidates.len()).filter(|&k| c.withdrawn.get(k) == Some(&true)).map(name).collect::<Vec<_>>(),
        "actions": actions,
        "elected": c.elected.iter().map(|&k| name(k)).collect::<Vec<_>>(),
    })
}
