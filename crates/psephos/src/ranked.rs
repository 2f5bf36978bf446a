//! The ranked contests of a package in `allocate`'s output: round by round (RCTab's rules) or
//! stage by stage (Scottish STV), in the shapes of `psephos rcv --format json`, with candidates
//! named by their ids in candidates.csv.

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
            use psephos_rcv::rctab::{Status, Target};
            let a = &t.arith;
            let rounds: Vec<Value> = t
                .rounds
                .iter()
                .enumerate()
                .map(|(i, round)| {
                    let f = &round.contest;
                    let tally: Map<String, Value> =
                        f.tally.iter().map(|&(c, v)| (id(c), json!(a.text(v)))).collect();
                    let mut transfers = Map::new();
                    if let Some(next) = t.rounds.get(i + 1) {
                        for &c in round.elected.iter().chain(&round.eliminated) {
                            let moves: Map<String, Value> = next
                                .contest
                                .transfers_from(c)
                                .into_iter()
                                .map(|(to, v)| {
                                    let key = match to {
                                        Target::Candidate(k) => id(k),
                                        Target::Exhausted => "exhausted".to_owned(),
                                        Target::ResidualSurplus => "residual surplus".to_owned(),
                                    };
                                    (key, json!(a.text(v)))
                                })
                                .collect();
                            transfers.insert(id(c), Value::Object(moves));
                        }
                    }
                    json!({
                        "round": round.number,
                        "threshold": a.text(round.threshold),
                        "tally": tally,
                        "elected": round.elected.iter().map(|&c| id(c)).collect::<Vec<_>>(),
                        "eliminated": round.eliminated.iter().map(|&c| id(c)).collect::<Vec<_>>(),
                        "decided_by_tiebreak": round.by_tiebreak.iter().map(|&c| id(c)).collect::<Vec<_>>(),
                        "transfers": transfers,
                        "inactive": {
                            "overvotes": a.text(f.status(Status::Overvote)),
                            "skipped_rankings": a.text(f.status(Status::SkippedRankings)),
                            "exhausted_choices": a.text(f.status(Status::ExhaustedChoices)),
                            "repeated_rankings": a.text(f.status(Status::RepeatedRankings)),
                            "final_round_surplus": a.text(f.status(Status::FinalRoundSurplus)),
                        },
                        "residual_surplus": a.text(round.residual),
                    })
                })
                .collect();
            json!({
                "method": method,
                "seats": seats,
                "candidates": (0..t.names.len()).map(id).collect::<Vec<_>>(),
                "ballots": t.total_ballots,
                "undervotes": t.undervotes,
                "rounds": rounds,
                "winners": t.winners.iter().map(|&w| id(w)).collect::<Vec<_>>(),
            })
        }
        Ok(RankedOutcome::Scottish(c)) => {
            use psephos_rcv::stv::Action;
            let value = |v: u64| {
                let places = c.unit.max(1).ilog10() as usize;
                format!("{}.{:0places$}", v / c.unit.max(1), v % c.unit.max(1))
            };
            let stages: Vec<Value> = c
                .stages
                .iter()
                .map(|s| {
                    let (action, who, amount) = match s.action {
                        Action::FirstCount => ("first count", None, None),
                        Action::Elect(k) => ("elected", Some(k), None),
                        Action::ElectRemaining(k) => {
                            ("elected as one of the last hopefuls", Some(k), None)
                        }
                        Action::TransferSurplus(k, v) => ("surplus transferred", Some(k), Some(v)),
                        Action::Exclude(k) => ("excluded", Some(k), None),
                        Action::TransferExcluded(k) => {
                            ("excluded candidate's ballots transferred", Some(k), None)
                        }
                        // Actions of other STV laws, should the engine gain them.
                        #[allow(unreachable_patterns)]
                        _ => ("other", None, None),
                    };
                    let votes: Map<String, Value> = (0..c.candidates.len())
                        .filter(|&k| s.status.get(k) != Some(&psephos_rcv::stv::Status::Withdrawn))
                        .map(|k| (id(k), json!(value(s.votes.get(k).copied().unwrap_or(0)))))
                        .collect();
                    json!({
                        "action": action,
                        "candidate": who.map(id),
                        "surplus": amount.map(value),
                        "votes": votes,
                        "nontransferable": value(s.nontransferable),
                        "residual": value(s.residual),
                    })
                })
                .collect();
            json!({
                "method": method,
                "seats": seats,
                "quota": value(c.quota),
                "candidates": (0..c.candidates.len()).map(id).collect::<Vec<_>>(),
                "stages": stages,
                "elected": c.elected.iter().map(|&k| id(k)).collect::<Vec<_>>(),
            })
        }
    }
}

/// The reason shown for a seat won in a ranked count: `rcv, round N` (or `stage N`).
pub(crate) fn reason(a: &Allocation, seat: &psephos_count::Seat) -> String {
    let Some(r) = a.ranked.iter().find(|r| r.contest == seat.contest) else {
        return seat.reason.as_str().to_owned();
    };
    let unit = match r.outcome {
        Ok(RankedOutcome::Scottish(_)) => "stage",
        _ => "round",
    };
    match r.elected_in(seat.candidate) {
        Some(n) => format!("rcv, {unit} {n}"),
        None => "rcv".to_owned(),
    }
}
