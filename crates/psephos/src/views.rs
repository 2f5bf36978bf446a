//! The JSON, CSV and table views of tabulations and allocations. The JSON shapes here are the
//! public contract documented in `docs/cli.md`.

use psephos_count::{Allocation, BallotTotals, Selection, Tabulation};
use psephos_model::{CandidateIdx, Election};
use serde_json::{Value, json};

use crate::cli::Level;
use crate::output::{Table, csv_text, percent, percent_json, thousands};

/// The bloc of a candidate: their party's coalition, else their party, else "independents".
pub(crate) fn bloc_of(e: &Election, c: CandidateIdx) -> (String, String) {
    let cand = e.candidate(c);
    match cand.party {
        None => ("independents".to_owned(), "Independents".to_owned()),
        Some(p) => {
            let party = &e.parties[p.index()];
            match party.coalition {
                Some(co) => {
                    (e.coalitions[co.index()].id.clone(), e.coalitions[co.index()].name.clone())
                }
                None => (party.id.clone(), party.name.clone()),
            }
        }
    }
}

fn totals_json(t: &BallotTotals) -> Value {
    json!({
        "stations_expected": t.stations_expected,
        "stations_reporting": t.stations_reporting,
        "stations_held": t.stations_held,
        "registered": t.registered,
        "registered_reporting": t.registered_reporting,
        "ballots_found": t.ballots_found,
        "blank": t.blank,
        "invalid": t.invalid,
        "votes": t.votes,
        "turnout_percent": percent_json(t.ballots_found, t.registered_reporting),
    })
}

pub(crate) fn tabulation_json(e: &Election, t: &Tabulation, s: &Selection) -> Value {
    let governorates: Vec<Value> = e
        .governorates
        .iter()
        .zip(&t.governorate_ballots)
        .map(|(name, b)| {
            let mut v = totals_json(b);
            v["governorate"] = json!(name);
            v
        })
        .collect();
    let contests: Vec<Value> = e
        .contests
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = totals_json(&t.contest_ballots[i]);
            v["contest"] = json!(c.id);
            v["name"] = json!(c.name);
            v["seats"] = json!(c.seats);
            v["candidate_votes"] = json!(t.contest_votes[i]);
            v
        })
        .collect();
    let coalitions: Vec<Value> = e
        .coalitions
        .iter()
        .zip(&t.coalition_votes)
        .map(|(c, v)| json!({"coalition": c.id, "name": c.name, "votes": v, "percent": percent_json(*v, t.nation.votes)}))
        .collect();
    let ng = e.governorates.len();
    let parties: Vec<Value> = e
        .parties
        .iter()
        .zip(&t.party_votes)
        .enumerate()
        .map(|(pi, (p, v))| {
            // Votes of the party's candidates, by the governorate of the contest they stand in.
            let by_governorate: serde_json::Map<String, Value> = e
                .governorates
                .iter()
                .enumerate()
                .map(|(g, name)| (name.clone(), json!(t.party_governorate_votes[pi * ng + g])))
                .filter(|(_, v)| v.as_u64() != Some(0))
                .collect();
            json!({
                "party": p.id,
                "name": p.name,
                "coalition": p.coalition.map(|c| e.coalitions[c.index()].id.clone()),
                "votes": v,
                "percent": percent_json(*v, t.nation.votes),
                "by_governorate": by_governorate,
            })
        })
        .collect();
    let candidates: Vec<Value> = e
        .candidates
        .iter()
        .zip(&t.candidate_votes)
        .map(|(c, v)| {
            json!({
                "candidate": c.id,
                "name": c.name,
                "gender": c.gender.as_str(),
                "party": c.party.map(|p| e.parties[p.index()].id.clone()),
                "contest": e.contest(c.contest).id,
                "votes": v,
                "percent_of_contest": percent_json(*v, t.contest_votes[c.contest.index()]),
            })
        })
        .collect();
    json!({
        "election": e.meta.id,
        "phase_policy": s.policy.describe(),
        "nation": totals_json(&t.nation),
        "independent_votes": t.independent_votes,
        "governorates": governorates,
        "contests": contests,
        "coalitions": coalitions,
        "parties": parties,
        "candidates": candidates,
    })
}

fn totals_row(name: &str, t: &BallotTotals) -> Vec<String> {
    vec![
        name.to_owned(),
        format!("{}/{}", thousands(t.stations_reporting), thousands(t.stations_expected)),
        thousands(t.registered),
        thousands(t.ballots_found),
        thousands(t.blank),
        thousands(t.invalid),
        thousands(t.votes),
        percent(t.ballots_found, t.registered_reporting),
    ]
}

const TOTALS_HEADER: [(&str, bool); 8] = [
    ("", false),
    ("stations", true),
    ("registered", true),
    ("ballots", true),
    ("blank", true),
    ("invalid", true),
    ("valid votes", true),
    ("turnout %", true),
];

/// Rows of a tabulation level: header and cells (for tables and CSV alike).
fn level_rows(e: &Election, t: &Tabulation, level: Level) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let totals = |name: String, b: &BallotTotals| {
        vec![
            name,
            b.stations_reporting.to_string(),
            b.stations_expected.to_string(),
            b.registered.to_string(),
            b.ballots_found.to_string(),
            b.blank.to_string(),
            b.invalid.to_string(),
            b.votes.to_string(),
            percent(b.ballots_found, b.registered_reporting),
        ]
    };
    let totals_header = |first: &'static str| {
        vec![
            first,
            "stations_reporting",
            "stations_expected",
            "registered",
            "ballots_found",
            "blank",
            "invalid",
            "votes",
            "turnout_percent",
        ]
    };
    match level {
        Level::Nation => (totals_header("nation"), vec![totals(e.meta.id.clone(), &t.nation)]),
        Level::Governorate => (
            totals_header("governorate"),
            e.governorates
                .iter()
                .zip(&t.governorate_ballots)
                .map(|(g, b)| totals(g.clone(), b))
                .collect(),
        ),
        Level::Contest => {
            let mut header = totals_header("contest");
            header.push("candidate_votes");
            let rows = e
                .contests
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut r = totals(c.id.clone(), &t.contest_ballots[i]);
                    r.push(t.contest_votes[i].to_string());
                    r
                })
                .collect();
            (header, rows)
        }
        Level::Coalition => (
            vec!["coalition", "name", "votes", "percent"],
            e.coalitions
                .iter()
                .zip(&t.coalition_votes)
                .map(|(c, v)| {
                    vec![c.id.clone(), c.name.clone(), v.to_string(), percent(*v, t.nation.votes)]
                })
                .collect(),
        ),
        Level::Party => (
            vec!["party", "name", "coalition", "votes", "percent"],
            e.parties
                .iter()
                .zip(&t.party_votes)
                .map(|(p, v)| {
                    vec![
                        p.id.clone(),
                        p.name.clone(),
                        p.coalition.map(|c| e.coalitions[c.index()].id.clone()).unwrap_or_default(),
                        v.to_string(),
                        percent(*v, t.nation.votes),
                    ]
                })
                .collect(),
        ),
        Level::Candidate => (
            vec!["candidate", "name", "gender", "party", "contest", "votes"],
            e.candidates
                .iter()
                .zip(&t.candidate_votes)
                .map(|(c, v)| {
                    vec![
                        c.id.clone(),
                        c.name.clone(),
                        c.gender.as_str().to_owned(),
                        c.party.map(|p| e.parties[p.index()].id.clone()).unwrap_or_default(),
                        e.contest(c.contest).id.clone(),
                        v.to_string(),
                    ]
                })
                .collect(),
        ),
    }
}

pub(crate) fn tabulation_csv(e: &Election, t: &Tabulation, level: Level) -> String {
    let (header, rows) = level_rows(e, t, level);
    csv_text(&header, rows.into_iter())
}

pub(crate) fn tabulation_table(
    e: &Election,
    t: &Tabulation,
    s: &Selection,
    level: Option<Level>,
) -> String {
    let mut out = String::new();
    if let Some(level) = level {
        let (header, rows) = level_rows(e, t, level);
        let right: Vec<(&str, bool)> = header
            .iter()
            .zip(rows.first().map(|r| r.as_slice()).unwrap_or_default())
            .map(|(h, cell)| (*h, cell.parse::<f64>().is_ok()))
            .collect();
        let mut table = Table::new(&right);
        for r in rows {
            table.row(r);
        }
        return table.render();
    }
    out.push_str(&format!("{} — votes by the {} policy\n\n", e.meta.name, s.policy.describe()));
    let mut table = Table::new(&TOTALS_HEADER);
    for (g, b) in e.governorates.iter().zip(&t.governorate_ballots) {
        table.row(totals_row(g, b));
    }
    if t.unassigned_ballots.stations_expected > 0 {
        table.row(totals_row("(no governorate)", &t.unassigned_ballots));
    }
    table.row(totals_row("Nation", &t.nation));
    out.push_str(&table.render());
    out.push('\n');
    if e.has_separate_ballots() {
        out.push_str(&bloc_votes_by_ballot(e, t));
        return out;
    }
    let mut blocs: Vec<(String, u64)> =
        e.coalitions.iter().zip(&t.coalition_votes).map(|(c, v)| (c.name.clone(), *v)).collect();
    for (p, v) in e.parties.iter().zip(&t.party_votes) {
        if p.coalition.is_none() {
            blocs.push((p.name.clone(), *v));
        }
    }
    blocs.push(("Independents".to_owned(), t.independent_votes));
    blocs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut table = Table::new(&[("bloc", false), ("votes", true), ("%", true)]);
    for (name, v) in blocs.into_iter().filter(|b| b.1 > 0) {
        table.row(vec![name, thousands(v), percent(v, t.nation.votes)]);
    }
    out.push_str(&table.render());
    out
}

/// Bloc votes ballot by ballot, when some contests have a ballot paper of their own: a voter's
/// first and second votes are not added together.
fn bloc_votes_by_ballot(e: &Election, t: &Tabulation) -> String {
    // Ballot kinds: the district ballot (with the candidates that join it), then each system on
    // a ballot paper of its own.
    let mut kinds: Vec<(String, Vec<usize>)> = vec![("district ballot".to_owned(), Vec::new())];
    for (i, sys) in e.systems.iter().enumerate() {
        if sys.electorate.has_ballot() && sys.electorate != psephos_model::Electorate::Own {
            kinds.push((sys.id.clone(), vec![i]));
        } else {
            kinds[0].1.push(i);
        }
    }
    let mut names: Vec<(String, String)> = Vec::new();
    let mut votes: Vec<Vec<u64>> = Vec::new();
    let mut totals = vec![0u64; kinds.len()];
    for (i, c) in e.candidates.iter().enumerate() {
        let system = e.contest(c.contest).system.index();
        let Some(k) = kinds.iter().position(|(_, systems)| systems.contains(&system)) else {
            continue;
        };
        let bloc = bloc_of(e, psephos_model::CandidateIdx::from_index(i));
        let row = match names.iter().position(|n| n.0 == bloc.0) {
            Some(r) => r,
            None => {
                names.push(bloc);
                votes.push(vec![0; kinds.len()]);
                names.len() - 1
            }
        };
        votes[row][k] += t.candidate_votes[i];
        totals[k] += t.candidate_votes[i];
    }
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| votes[b].cmp(&votes[a]).then(names[a].1.cmp(&names[b].1)));
    let headers: Vec<String> =
        kinds.iter().flat_map(|(k, _)| [k.clone(), "%".to_owned()]).collect();
    let mut columns = vec![("bloc", false)];
    columns.extend(headers.iter().map(|h| (h.as_str(), true)));
    let mut table = Table::new(&columns);
    for r in order.into_iter().filter(|&r| votes[r].iter().any(|&v| v > 0)) {
        let mut row = vec![names[r].1.clone()];
        for (k, &v) in votes[r].iter().enumerate() {
            row.push(thousands(v));
            row.push(percent(v, totals[k]));
        }
        table.row(row);
    }
    table.render()
}

/// Seats per bloc, sorted by seats then votes.
pub(crate) struct BlocSeats {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) seats: u64,
    pub(crate) women: u64,
    pub(crate) quota: u64,
    pub(crate) reserved: u64,
    pub(crate) votes: u64,
}

pub(crate) fn seats_by_bloc(e: &Election, t: &Tabulation, a: &Allocation) -> Vec<BlocSeats> {
    let mut blocs: Vec<BlocSeats> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut slot = |id: String, name: String, blocs: &mut Vec<BlocSeats>| -> usize {
        *index.entry(id.clone()).or_insert_with(|| {
            blocs.push(BlocSeats { id, name, seats: 0, women: 0, quota: 0, reserved: 0, votes: 0 });
            blocs.len() - 1
        })
    };
    for (i, _) in e.candidates.iter().enumerate() {
        let c = CandidateIdx::from_index(i);
        let (id, name) = bloc_of(e, c);
        let k = slot(id, name, &mut blocs);
        blocs[k].votes += t.candidate_votes[i];
    }
    for seat in a.seats() {
        let (id, name) = bloc_of(e, seat.candidate);
        let k = slot(id, name, &mut blocs);
        let b = &mut blocs[k];
        b.seats += 1;
        if e.candidate(seat.candidate).gender == psephos_model::Gender::Female {
            b.women += 1;
        }
        if seat.reason == psephos_count::Reason::Quota {
            b.quota += 1;
        }
        // A reserved seat stays reserved even when a lot decided who won it.
        if e.system_of(seat.contest).reserved_for.is_some() {
            b.reserved += 1;
        }
    }
    blocs.sort_by(|a, b| b.seats.cmp(&a.seats).then(b.votes.cmp(&a.votes)).then(a.id.cmp(&b.id)));
    blocs
}

pub(crate) fn allocation_json(
    e: &Election,
    t: &Tabulation,
    a: &Allocation,
    s: &Selection,
) -> Value {
    let seats: Vec<Value> = a
        .seats()
        .map(|seat| {
            let c = e.candidate(seat.candidate);
            let contest = e.contest(seat.contest);
            json!({
                "contest": contest.id,
                "contest_name": contest.name,
                "governorate": contest.governorate.map(|g| e.governorates[g.index()].clone()),
                "candidate": c.id,
                "name": c.name,
                "party": c.party.map(|p| e.parties[p.index()].id.clone()),
                "coalition": e.coalition_of(seat.candidate).map(|co| e.coalitions[co.index()].id.clone()),
                "bloc": bloc_of(e, seat.candidate).0,
                "gender": c.gender.as_str(),
                "votes": seat.votes,
                "reason": seat.reason.as_str(),
                "replaced": seat.replaced.map(|r| e.candidate(r).id.clone()),
                "round": a.ranked.iter().find(|r| r.contest == seat.contest).and_then(|r| r.elected_in(seat.candidate)),
            })
        })
        .collect();
    let count = |r: psephos_count::Reason| a.seats().filter(|s| s.reason == r).count();
    let women = a
        .seats()
        .filter(|s| e.candidate(s.candidate).gender == psephos_model::Gender::Female)
        .count();
    let by_bloc: Vec<Value> = seats_by_bloc(e, t, a)
        .into_iter()
        .map(|b| json!({"bloc": b.id, "name": b.name, "seats": b.seats, "women": b.women, "quota": b.quota, "reserved": b.reserved, "votes": b.votes}))
        .collect();
    let quotas: Vec<Value> = a
        .contests
        .iter()
        .flat_map(|c| {
            c.quotas.iter().map(move |q| {
                json!({
                    "contest": e.contest(c.contest).id,
                    "rule": q.rule,
                    "minimum": q.minimum,
                    "won_on_votes": q.won_on_votes,
                    "replacements": q.replacements.iter().map(|r| json!({
                        "elected": e.candidate(r.elected).id,
                        "replaced": e.candidate(r.replaced).id,
                    })).collect::<Vec<_>>(),
                    "unmet": q.unmet,
                })
            })
        })
        .collect();
    let ties: Vec<Value> = a
        .ties()
        .map(|tie| {
            json!({
                "contest": e.contest(tie.contest).id,
                "question": tie.question,
                "votes": tie.votes,
                "seed": tie.seed,
                "order": tie.candidates.iter().map(|(c, ticket)| json!({"candidate": e.candidate(*c).id, "ticket": ticket})).collect::<Vec<_>>(),
                "chosen": tie.chosen.iter().map(|c| e.candidate(*c).id.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let lists: Vec<Value> = a
        .contests
        .iter()
        .flat_map(|c| {
            c.lists.iter().map(move |l| {
                json!({
                    "contest": e.contest(c.contest).id,
                    "list": psephos_count::list_pr::list_id(e, l),
                    "party": l.party.map(|p| e.parties[p.index()].id.clone()),
                    "votes": l.votes,
                    "seats": l.seats,
                    "leveling": l.leveling,
                    "below_threshold": l.below_threshold,
                    "last_won": l.last_won.map(|r| quotient_text(e, c.contest, r)),
                    "next": l.next.map(|r| quotient_text(e, c.contest, r)),
                })
            })
        })
        .collect();
    let list_ties: Vec<Value> = a
        .contests
        .iter()
        .flat_map(|c| {
            c.list_ties.iter().map(move |t| {
                let name = |k: &usize| psephos_count::list_pr::list_id(e, &c.lists[*k]).to_owned();
                json!({
                    "contest": e.contest(c.contest).id,
                    "lists": t.lists.iter().map(name).collect::<Vec<_>>(),
                    "seats": t.seats,
                    "chosen": t.chosen.iter().map(name).collect::<Vec<_>>(),
                    "rule": t.rule,
                    "tickets": t.tickets,
                })
            })
        })
        .collect();
    let agreements: Vec<Value> = a
        .contests
        .iter()
        .flat_map(|c| {
            c.agreements.iter().map(move |g| {
                let name = |k: &usize| psephos_count::list_pr::list_id(e, &c.lists[*k]).to_owned();
                json!({
                    "contest": e.contest(c.contest).id,
                    "agreement": g.name,
                    "lists": g.lists.iter().map(name).collect::<Vec<_>>(),
                    "votes": g.votes,
                    "seats": g.seats,
                })
            })
        })
        .collect();
    let empty: u32 = a.contests.iter().map(|c| c.empty_seats).sum();
    let leveling = a.leveling.as_ref().map(|l| leveling_json(e, l));
    let apportionment = apportionment_json(e);
    let mmp = a.mmp.as_ref().map(|m| mmp_json(e, m));
    let biproportional = a.biproportional.as_ref().map(|b| {
        json!({
            "parties": b.parties.iter().enumerate().map(|(k, (p, n, seats))| json!({
                "party": e.parties[p.index()].id,
                "upper_number": n,
                "seats": seats,
                "multiplier": b.party_divisors.get(k),
            })).collect::<Vec<_>>(),
            "contests": b.contest_divisors.iter().map(|(c, d)| json!({
                "contest": e.contest(*c).id,
                "divisor": d,
            })).collect::<Vec<_>>(),
            "error": b.error,
        })
    });
    json!({
        "election": e.meta.id,
        "phase_policy": s.policy.describe(),
        "seats": seats,
        "totals": {
            "seats": a.seats().count(),
            "seats_in_law": e.total_seats(),
            "empty": empty,
            "rank": count(psephos_count::Reason::Rank),
            "quota": count(psephos_count::Reason::Quota),
            // By reason, these five add up to the seats; a reserved seat decided by lot counts
            // under "lot" here and in "reserved_seats" below.
            "reserved": count(psephos_count::Reason::Reserved),
            "reserved_seats": a.seats().filter(|s| e.system_of(s.contest).reserved_for.is_some()).count(),
            "lot": count(psephos_count::Reason::Lot),
            "leveling": count(psephos_count::Reason::Leveling),
            "rcv": count(psephos_count::Reason::Rcv),
            "women": women,
            "by_bloc": by_bloc,
        },
        "quotas": quotas,
        "ties": ties,
        "lists": lists,
        "list_ties": list_ties,
        "agreements": agreements,
        "leveling": leveling,
        "apportionment": apportionment,
        "mmp": mmp,
        "biproportional": biproportional,
        "ranked": crate::ranked::ranked_json(e, a),
    })
}

fn mmp_json(e: &Election, m: &psephos_count::mmp::MmpOutcome) -> Value {
    let party = |p: psephos_model::PartyIdx| e.parties[p.index()].id.clone();
    json!({
        "house_seats": m.house_seats,
        "base_seats": m.base_seats,
        "unattached": m.unattached,
        "parties": m.parties.iter().map(|p| json!({
            "party": party(p.party),
            "list_votes": p.list_votes,
            "qualified": p.qualified,
            "constituencies": p.constituencies,
            "minimum": p.minimum,
            "seats": p.seats,
            "list_seats": p.list_seats,
            "overhang": p.overhang,
        })).collect::<Vec<_>>(),
        "lists": m.lists.iter().map(|l| json!({
            "contest": e.contest(l.contest).id,
            "party": party(l.party),
            "first_stage": l.first_stage,
            "constituencies": l.constituencies,
            "seats": l.seats,
            "list_seats": l.list_seats,
        })).collect::<Vec<_>>(),
        "national_ties": m.national_ties.iter().map(|t| json!({
            "parties": t.parties.iter().map(|&p| party(psephos_model::PartyIdx::from_index(p))).collect::<Vec<_>>(),
            "seats": t.seats.to_string(),
            "chosen": t.chosen.iter().map(|&p| party(psephos_model::PartyIdx::from_index(p))).collect::<Vec<_>>(),
            "rule": t.rule,
            "tickets": t.tickets,
        })).collect::<Vec<_>>(),
    })
}

/// The package's apportionment of seats by population, or `null`.
pub(crate) fn apportionment_json(e: &Election) -> Value {
    let Some(a) = &e.apportionment else { return Value::Null };
    json!({
        "system": e.system(a.system).id,
        "method": a.formula.name(),
        "seats": a.seats,
        "minimum": a.minimum,
        "by": if a.governorate_population.is_empty() { "contest" } else { "governorate" },
        "units": a.apportioned.iter().map(|(unit, population, seats)| json!({
            "unit": unit, "population": population, "seats": seats,
        })).collect::<Vec<_>>(),
    })
}

/// One line per tie the lot settled, with the first eight hex digits of each ticket.
fn tie_lines(e: &Election, a: &Allocation) -> String {
    let short = |t: &str| t.chars().take(8).collect::<String>();
    let mut out = String::new();
    for t in a.ties() {
        let order: Vec<String> = t
            .candidates
            .iter()
            .map(|(c, ticket)| format!("{} {}", e.candidate(*c).id, short(ticket)))
            .collect();
        let chosen: Vec<&str> = t.chosen.iter().map(|c| e.candidate(*c).id.as_str()).collect();
        out.push_str(&format!(
            "  {}: {}; lot order {}; chosen {}\n",
            e.contest(t.contest).id,
            t.question,
            order.join(", "),
            chosen.join(", ")
        ));
    }
    for c in &a.contests {
        let name = |k: &usize| psephos_count::list_pr::list_id(e, &c.lists[*k]).to_owned();
        for t in c.list_ties.iter().filter(|t| !t.tickets.is_empty()) {
            let order: Vec<String> = t
                .lists
                .iter()
                .zip(&t.tickets)
                .map(|(k, x)| format!("{} {}", name(k), short(x)))
                .collect();
            let chosen: Vec<String> = t.chosen.iter().map(name).collect();
            out.push_str(&format!(
                "  {}: lists tied for {} seat(s); {} order {}; chosen {}\n",
                e.contest(c.contest).id,
                t.seats,
                t.rule,
                order.join(", "),
                chosen.join(", ")
            ));
        }
    }
    out
}

/// The lists of the list-PR contests: votes, seats and the quotients (or remainders) that
/// explain them, with threshold exclusions, agreements, lots and leveling seats noted.
fn lists_table(e: &Election, a: &Allocation) -> String {
    let contests: Vec<&psephos_count::ContestResult> =
        a.contests.iter().filter(|c| !c.lists.is_empty()).collect();
    if contests.is_empty() {
        return String::new();
    }
    let divisor = |c: &psephos_count::ContestResult| match &e.system_of(c.contest).method {
        psephos_model::Method::ListPr(lp) => {
            psephos_count::list_pr::formula_method(lp.formula).is_divisor()
        }
        psephos_model::Method::Sntv | psephos_model::Method::Ranked(_) => true,
    };
    let mut table = Table::new(&[
        ("contest", false),
        ("list", false),
        ("votes", true),
        ("%", true),
        ("seats", true),
        ("won with", true),
        ("next", true),
        ("note", false),
    ]);
    for c in contests {
        let total: u64 = c.lists.iter().map(|l| l.votes).sum();
        for (k, l) in c.lists.iter().enumerate() {
            let mut notes = Vec::new();
            if l.below_threshold {
                notes.push("below threshold".to_owned());
            }
            if let Some(g) = c.agreements.iter().find(|g| g.lists.contains(&k)) {
                notes.push(format!("agreement {} ({} seats)", g.name, g.seats));
            }
            if c.list_ties.iter().any(|t| !t.tickets.is_empty() && t.chosen.contains(&k)) {
                notes.push("won a tie by lot".to_owned());
            }
            if l.leveling > 0 {
                notes.push(format!("+{} leveling", l.leveling));
            }
            let (won, next) = if divisor(c) {
                (
                    l.last_won.map(|r| quotient_text(e, c.contest, r)).unwrap_or_default(),
                    l.next.map(|r| quotient_text(e, c.contest, r)).unwrap_or_default(),
                )
            } else {
                (
                    l.last_won.map(|r| format!("rem. {}", r.decimal(3))).unwrap_or_default(),
                    String::new(),
                )
            };
            table.row(vec![
                e.contest(c.contest).id.clone(),
                psephos_count::list_pr::list_id(e, l).to_owned(),
                thousands(l.votes),
                percent(l.votes, total),
                l.seats.to_string(),
                won,
                next,
                notes.join("; "),
            ]);
        }
    }
    format!(
        "\nLists: \"won with\" is the quotient that won a list's last seat (largest remainder: its remainder); \"next\" the quotient it fell short with.\n{}",
        table.render()
    )
}

/// A list's quotient as people read it: Huntington-Hill's are kept as squares.
fn quotient_text(
    e: &Election,
    contest: psephos_model::ContestIdx,
    r: psephos_count::apportion::Ratio,
) -> String {
    match &e.system_of(contest).method {
        psephos_model::Method::ListPr(lp)
            if lp.formula == psephos_model::Formula::HuntingtonHill =>
        {
            r.sqrt_decimal(3)
        }
        _ => r.decimal(3),
    }
}

fn leveling_json(e: &Election, l: &psephos_count::LevelingOutcome) -> Value {
    let party = |p: psephos_model::PartyIdx| e.parties[p.index()].id.clone();
    json!({
        "national_seats": l.national_seats,
        "total_votes": l.total_votes,
        "parties": l.parties.iter().map(|p| json!({
            "party": party(p.party),
            "votes": p.votes,
            "qualified": p.qualified,
            "set_aside": l.set_aside.contains(&p.party),
            "entitlement": p.entitlement,
            "district_seats": p.district_seats,
            "leveling_seats": p.leveling_seats,
        })).collect::<Vec<_>>(),
        "placements": l.placements.iter().map(|pl| json!({
            "contest": e.contest(pl.contest).id,
            "party": party(pl.party),
            "quotient": pl.quotient.decimal(6),
            "candidate": pl.candidate.map(|c| e.candidate(c).id.clone()),
        })).collect::<Vec<_>>(),
        "national_ties": l.national_ties.iter().map(|t| json!({
            "parties": t.parties.iter().map(|&p| party(psephos_model::PartyIdx::from_index(p))).collect::<Vec<_>>(),
            "seats": t.seats.to_string(),
            "chosen": t.chosen.iter().map(|&p| party(psephos_model::PartyIdx::from_index(p))).collect::<Vec<_>>(),
            "rule": t.rule,
            "tickets": t.tickets,
        })).collect::<Vec<_>>(),
        "placement_ties": l.placement_ties.iter().map(|t| json!({
            "tied": t.tied.iter().map(|&(c, p)| json!({"contest": e.contest(c).id, "party": party(p)})).collect::<Vec<_>>(),
            "rule": t.rule,
            "tickets": t.tickets,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn allocation_csv(e: &Election, a: &Allocation) -> String {
    csv_text(
        &[
            "contest",
            "candidate",
            "name",
            "party",
            "coalition",
            "gender",
            "votes",
            "reason",
            "replaced",
        ],
        a.seats().map(|seat| {
            let c = e.candidate(seat.candidate);
            vec![
                e.contest(seat.contest).id.clone(),
                c.id.clone(),
                c.name.clone(),
                c.party.map(|p| e.parties[p.index()].id.clone()).unwrap_or_default(),
                e.coalition_of(seat.candidate)
                    .map(|co| e.coalitions[co.index()].id.clone())
                    .unwrap_or_default(),
                c.gender.as_str().to_owned(),
                seat.votes.to_string(),
                seat.reason.as_str().to_owned(),
                seat.replaced.map(|r| e.candidate(r).id.clone()).unwrap_or_default(),
            ]
        }),
    )
}

pub(crate) fn allocation_table(
    e: &Election,
    t: &Tabulation,
    a: &Allocation,
    list_seats: bool,
) -> String {
    let mut out = String::new();
    let blocs = seats_by_bloc(e, t, a);
    let mut table = Table::new(&[
        ("bloc", false),
        ("seats", true),
        ("women", true),
        ("by quota", true),
        ("reserved", true),
        ("votes", true),
        ("votes %", true),
    ]);
    let total_votes: u64 = t.candidate_votes.iter().sum();
    for b in blocs.iter().filter(|b| b.seats > 0) {
        table.row(vec![
            b.name.clone(),
            b.seats.to_string(),
            b.women.to_string(),
            b.quota.to_string(),
            b.reserved.to_string(),
            thousands(b.votes),
            percent(b.votes, total_votes),
        ]);
    }
    let seats = a.seats().count() as u64;
    let sum = |f: fn(&BlocSeats) -> u64| blocs.iter().map(f).sum::<u64>();
    table.row(vec![
        "Total".to_owned(),
        seats.to_string(),
        sum(|b| b.women).to_string(),
        sum(|b| b.quota).to_string(),
        sum(|b| b.reserved).to_string(),
        thousands(total_votes),
        percent(total_votes, total_votes),
    ]);
    out.push_str(&table.render());
    let without = blocs.iter().filter(|b| b.seats == 0 && b.votes > 0).count();
    if without > 0 {
        out.push_str(&format!("({without} more blocs won votes but no seat)\n"));
    }
    let unmet: Vec<String> = a
        .contests
        .iter()
        .flat_map(|c| {
            c.quotas
                .iter()
                .filter(|q| q.unmet > 0)
                .map(move |q| format!("{} ({})", e.contest(c.contest).id, q.rule))
        })
        .collect();
    if !unmet.is_empty() {
        out.push_str(&format!(
            "Quota not met for lack of eligible candidates: {}\n",
            unmet.join(", ")
        ));
    }
    if let Some(b) = &a.biproportional {
        out.push_str("\nBiproportional: seats per party over all contests (upper apportionment), then per contest\n");
        if let Some(err) = &b.error {
            out.push_str(&format!(
                "The lower apportionment failed: {err}; the seats are left empty.\n"
            ));
        }
        let mut table = Table::new(&[
            ("party", false),
            ("upper number", true),
            ("seats", true),
            ("multiplier", true),
        ]);
        for (k, (p, n, seats)) in b.parties.iter().enumerate() {
            table.row(vec![
                e.parties[p.index()].name.clone(),
                thousands(*n),
                seats.to_string(),
                b.party_divisors.get(k).cloned().unwrap_or_default(),
            ]);
        }
        out.push_str(&table.render());
    }
    if let Some(m) = &a.mmp {
        out.push_str(&format!(
            "\nMixed-member: a house of {} seats ({} in law{}); {} constituencies unattached\n",
            m.house_seats,
            e.mixed_member.as_ref().map_or(0, |x| x.seats),
            if m.house_seats > e.mixed_member.as_ref().map_or(0, |x| u64::from(x.seats)) {
                ", grown by overhang"
            } else {
                ""
            },
            m.unattached
        ));
        let mut table = Table::new(&[
            ("party", false),
            ("list votes", true),
            ("qualified", false),
            ("constituencies", true),
            ("minimum", true),
            ("seats", true),
            ("list seats", true),
            ("overhang", true),
        ]);
        for p in m.parties.iter().filter(|p| p.qualified || p.constituencies > 0) {
            table.row(vec![
                e.parties[p.party.index()].name.clone(),
                thousands(p.list_votes),
                if p.qualified { "yes".to_owned() } else { "no".to_owned() },
                p.constituencies.to_string(),
                p.minimum.map_or_else(|| "-".to_owned(), |x| x.to_string()),
                p.seats.to_string(),
                p.list_seats.to_string(),
                p.overhang.to_string(),
            ]);
        }
        out.push_str(&table.render());
    }
    if let Some(l) = &a.leveling {
        let tier = e.leveling.as_ref().map(|t| t.threshold.percent_text()).unwrap_or_default();
        out.push_str(&format!(
            "\nLeveling tier: {} seats in the national calculation; threshold {tier} of {} list votes\n",
            l.national_seats,
            thousands(l.total_votes)
        ));
        let mut table = Table::new(&[
            ("party", false),
            ("votes", true),
            ("votes %", true),
            ("qualified", false),
            ("entitled", true),
            ("district", true),
            ("leveling", true),
        ]);
        let total = l.total_votes;
        for p in &l.parties {
            table.row(vec![
                e.parties[p.party.index()].name.clone(),
                thousands(p.votes),
                percent(p.votes, total),
                if l.set_aside.contains(&p.party) {
                    "set aside".to_owned()
                } else if p.qualified {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                },
                p.entitlement.map_or_else(|| "-".to_owned(), |x| x.to_string()),
                p.district_seats.to_string(),
                p.leveling_seats.to_string(),
            ]);
        }
        out.push_str(&table.render());
    }
    for r in &a.ranked {
        if let Err(why) = &r.outcome {
            out.push_str(&format!(
                "Ranked contest {} was not counted: {why}.\n",
                e.contest(r.contest).id
            ));
        }
    }
    let empty: u32 = a.contests.iter().map(|c| c.empty_seats).sum();
    if empty > 0 {
        out.push_str(&format!(
            "{empty} seat(s) left empty: no candidate left to take them, or no list could take part (see --format json)\n"
        ));
    }
    // Every decision a lot made: between candidates, between lists, in the leveling tier.
    let ties = a.ties().count()
        + a.contests.iter().flat_map(|c| &c.list_ties).filter(|t| !t.tickets.is_empty()).count()
        + a.leveling.as_ref().map_or(0, |l| {
            l.national_ties.iter().filter(|t| !t.tickets.is_empty()).count()
                + l.placement_ties.iter().filter(|t| !t.tickets.is_empty()).count()
        })
        + a.mmp
            .as_ref()
            .map_or(0, |m| m.national_ties.iter().filter(|t| !t.tickets.is_empty()).count());
    if ties > 0 {
        out.push_str(&format!("{ties} tie(s) settled by lot; see --format json for the tickets\n"));
        out.push_str(&tie_lines(e, a));
    }
    out.push_str(&lists_table(e, a));
    if list_seats {
        out.push('\n');
        let mut table = Table::new(&[
            ("contest", false),
            ("candidate", false),
            ("name", false),
            ("bloc", false),
            ("gender", false),
            ("votes", true),
            ("reason", false),
        ]);
        for seat in a.seats() {
            let c = e.candidate(seat.candidate);
            table.row(vec![
                e.contest(seat.contest).id.clone(),
                c.id.clone(),
                c.name.clone(),
                bloc_of(e, seat.candidate).1,
                c.gender.as_str().to_owned(),
                thousands(seat.votes),
                match seat.replaced {
                    Some(r) => format!("quota, replacing {}", e.candidate(r).id),
                    None if seat.reason == psephos_count::Reason::Rcv => {
                        crate::ranked::reason(a, seat)
                    }
                    None => seat.reason.as_str().to_owned(),
                },
            ]);
        }
        out.push_str(&table.render());
    }
    out
}
