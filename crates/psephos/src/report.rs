//! `psephos report`: the results report, one self-contained HTML file in English or Arabic.
//!
//! Everything in it comes from the same functions as the commands that print it: the count of
//! `allocate` (`commands::counted`), the seats by bloc of its table (`views::seats_by_bloc`),
//! `psephos_count::margins` as `margins` calls it, `psephos_count::reconcile` as `reconcile`
//! calls it, the forensic battery of `forensics` on a package (`forensics::checked_rows`,
//! `battery`, `ranking`, and `psephos_forensics::fingerprint` at the resolutions `forensics
//! --svg` draws), the audit's state file as `audit plan` writes it, and the ledger's checkpoint
//! from the published bundle. `psephos_report` draws it; this module only gathers.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use psephos_count::reconcile::Class;
use psephos_count::{Allocation, Reason, Tabulation};
use psephos_model::{CandidateIdx, ContestIdx, Election, Method};
use psephos_report as rep;
use serde_json::Value;

use crate::commands::{checked_to_file, counted, missing_registered};
use crate::pipeline::{Checked, Timer};
use crate::{Exit, eprint_lines};

/// `psephos forensics --min-value`'s default: last-digit tests keep counts of at least 100.
const DIGIT_CUT: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportLang {
    /// English, left to right.
    En,
    /// Arabic, right to left, with Arabic-Indic digits.
    Ar,
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The election package: a directory with election.toml at its root.
    pub(crate) package: PathBuf,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The report's language: en (English) or ar (Arabic, right to left).
    #[arg(long, value_enum, default_value_t = ReportLang::En)]
    pub(crate) lang: ReportLang,
    /// More result files or directories, read with the package's own.
    #[arg(long = "results", value_name = "PATH")]
    pub(crate) results: Vec<PathBuf>,
    /// Which phase's form counts per station (as for allocate). Default: the package's
    /// [phases] precedence.
    #[arg(long, value_name = "POLICY")]
    pub(crate) phase: Option<String>,
    /// Set aside forms with errors and report on the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
    /// Reconciliation: the largest difference of one count still tolerated (as for reconcile).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) tolerance: u64,
    /// The audit's state file. Default: audit-plan.json beside the package, as `psephos demo`
    /// writes it.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit: Option<PathBuf>,
    /// The published ledger bundle (its log/checkpoint is shown). Default: bundle beside the
    /// package, as `psephos demo` writes it.
    #[arg(long, value_name = "DIR")]
    pub(crate) bundle: Option<PathBuf>,
}

/// `name` in the directory that holds the package (`PACKAGE/..`).
fn beside(package: &Path, name: &str) -> PathBuf {
    match package.file_name() {
        Some(_) => package.parent().unwrap_or(Path::new("")).join(name),
        None => package.join("..").join(name),
    }
}

pub(crate) fn report(args: &ReportArgs, quiet: bool) -> Exit {
    let checked =
        match checked_to_file(&args.package, &args.results, &args.phase, args.quarantine, quiet) {
            Ok(c) => c,
            Err(exit) => return exit,
        };
    let timer = Timer::start();
    let model = gather(&checked, args);
    timer.lap("gather the report");
    let lang = match args.lang {
        ReportLang::En => rep::Lang::En,
        ReportLang::Ar => rep::Lang::Ar,
    };
    let html = match rep::render_html(&model, lang) {
        Ok(h) => h,
        Err(e) => {
            eprint_lines(&format!("error: {e}\n"));
            return Exit::InputErrors;
        }
    };
    timer.lap("render the report");
    // Defence in depth: a report never leaves its own file.
    let external = rep::check::external_references(&html);
    if !external.is_empty() {
        eprint_lines(&format!(
            "error: internal error: the report would reference outside itself ({}); nothing was written\n",
            external.join("; ")
        ));
        return Exit::InputErrors;
    }
    if let Err(e) = std::fs::write(&args.out, &html) {
        return crate::commands::io_failed(Some(&args.out), &e);
    }
    if !quiet {
        eprint_lines(&format!(
            "Wrote {} ({} KB, {}).\n",
            args.out.display(),
            crate::output::thousands(html.len().div_ceil(1024) as u64),
            lang.tag()
        ));
    }
    Exit::Ok
}

/// Everything the report shows, from the checked package.
fn gather(checked: &Checked, args: &ReportArgs) -> rep::Report {
    let e = &checked.package.election;
    let (t, a) = counted(checked);
    let margins = psephos_count::margins::margins(e, &t, &a);
    let reconciliation = crate::reconcile::reconcile_checked(checked, args.tolerance);
    let package = args.package.display().to_string();
    rep::Report {
        election: rep::ElectionInfo {
            id: e.meta.id.clone(),
            name: e.meta.name.clone(),
            date: e.meta.date.clone(),
            country: e.meta.country.clone(),
        },
        package,
        phase_policy: checked.selection.policy.precedence.clone(),
        nation: totals(&t.nation),
        registered_missing: missing_registered(checked),
        governorates: e
            .governorates
            .iter()
            .zip(&t.governorate_ballots)
            .map(|(name, b)| rep::AreaTotals { name: name.clone(), totals: totals(b) })
            .collect(),
        blocs: blocs(e, &t, &a),
        contests: contests(e, &t, &a, &margins),
        reconciliation: reconciliation_view(e, &reconciliation),
        audit: audit_section(
            args.audit.clone().unwrap_or_else(|| beside(&args.package, "audit-plan.json")),
        ),
        forensics: forensics_section(checked, &t),
        ledger: ledger_section(
            args.bundle.clone().unwrap_or_else(|| beside(&args.package, "bundle")),
        ),
        generator: format!("psephos {}", env!("CARGO_PKG_VERSION")),
        command: command_line(args),
    }
}

/// The command as run, without `--out` (words with other characters single-quoted).
fn command_line(args: &ReportArgs) -> String {
    let quote = |s: String| {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
        {
            s
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    };
    let path = |p: &Path| quote(p.display().to_string());
    let mut words = vec!["psephos".to_owned(), "report".to_owned(), path(&args.package)];
    for r in &args.results {
        words.push("--results".to_owned());
        words.push(path(r));
    }
    if let Some(p) = &args.phase {
        words.push("--phase".to_owned());
        words.push(quote(p.clone()));
    }
    if args.quarantine {
        words.push("--quarantine".to_owned());
    }
    if args.tolerance > 0 {
        words.push(format!("--tolerance {}", args.tolerance));
    }
    if let Some(a) = &args.audit {
        words.push("--audit".to_owned());
        words.push(path(a));
    }
    if let Some(b) = &args.bundle {
        words.push("--bundle".to_owned());
        words.push(path(b));
    }
    words.push(format!(
        "--lang {}",
        match args.lang {
            ReportLang::En => "en",
            ReportLang::Ar => "ar",
        }
    ));
    words.join(" ")
}

fn totals(b: &psephos_count::BallotTotals) -> rep::Totals {
    rep::Totals {
        stations_expected: b.stations_expected,
        stations_reporting: b.stations_reporting,
        stations_held: b.stations_held,
        registered: b.registered,
        registered_reporting: b.registered_reporting,
        ballots_found: b.ballots_found,
        blank: b.blank,
        invalid: b.invalid,
        votes: b.votes,
    }
}

/// The blocs of `allocate`'s table (most seats, then votes, first), each with its member
/// parties; blocs without votes or seats are left out.
fn blocs(e: &Election, t: &Tabulation, a: &Allocation) -> Vec<rep::Bloc> {
    let mut party_seats = vec![0u64; e.parties.len()];
    for seat in a.seats() {
        if let Some(p) = e.candidate(seat.candidate).party {
            party_seats[p.index()] += 1;
        }
    }
    crate::views::seats_by_bloc(e, t, a)
        .into_iter()
        .filter(|b| b.seats > 0 || b.votes > 0)
        .map(|b| {
            let coalition = e.coalitions.iter().position(|c| c.id == b.id);
            let mut parties: Vec<rep::PartyRow> = match coalition {
                Some(ci) => e
                    .parties
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.coalition.is_some_and(|c| c.index() == ci))
                    .map(|(pi, p)| rep::PartyRow {
                        id: p.id.clone(),
                        name: p.name.clone(),
                        votes: t.party_votes[pi],
                        seats: party_seats[pi],
                    })
                    .filter(|p| p.votes > 0 || p.seats > 0)
                    .collect(),
                None => Vec::new(),
            };
            parties.sort_by(|x, y| {
                y.seats.cmp(&x.seats).then(y.votes.cmp(&x.votes)).then(x.id.cmp(&y.id))
            });
            let independents = coalition.is_none()
                && b.id == "independents"
                && !e.parties.iter().any(|p| p.id == b.id);
            rep::Bloc {
                id: b.id,
                name: b.name,
                independents,
                seats: b.seats,
                votes: b.votes,
                women: b.women,
                quota: b.quota,
                reserved: b.reserved,
                parties,
            }
        })
        .collect()
}

fn contests(
    e: &Election,
    t: &Tabulation,
    a: &Allocation,
    margins: &[psephos_count::margins::ContestMargins],
) -> Vec<rep::ContestReport> {
    let name = |k: CandidateIdx| e.candidate(k).name.clone();
    let mut by_contest: Vec<Vec<usize>> = vec![Vec::new(); e.contests.len()];
    for (i, c) in e.candidates.iter().enumerate() {
        by_contest[c.contest.index()].push(i);
    }
    let mut seats_of: Vec<Vec<&psephos_count::Seat>> = vec![Vec::new(); e.contests.len()];
    for s in a.seats() {
        seats_of[s.contest.index()].push(s);
    }
    e.contests
        .iter()
        .enumerate()
        .map(|(ci, contest)| {
            let cidx = ContestIdx::from_index(ci);
            let system = &e.systems[contest.system.index()];
            let result = a.contests.iter().find(|r| r.contest == cidx);
            let m = margins.iter().find(|m| m.contest == cidx);
            let list_pr = matches!(system.method, Method::ListPr(_));
            // The count's ranking first, then the other candidates by votes, then file order.
            let ranking: Vec<CandidateIdx> =
                result.map(|r| r.ranking.iter().map(|x| x.0).collect()).unwrap_or_default();
            let mut order = by_contest[ci].clone();
            order.sort_by_key(|&i| {
                let rank = ranking.iter().position(|k| k.index() == i).unwrap_or(usize::MAX);
                (std::cmp::Reverse(t.candidate_votes[i]), rank, i)
            });
            let candidates = order
                .into_iter()
                .map(|i| {
                    let k = CandidateIdx::from_index(i);
                    let c = e.candidate(k);
                    let seat =
                        seats_of[ci].iter().find(|s| s.candidate == k).map(|s| rep::SeatWon {
                            reason: match s.reason {
                                Reason::Rank if list_pr => rep::SeatReason::List,
                                Reason::Rank => rep::SeatReason::Rank,
                                Reason::Quota => rep::SeatReason::Quota,
                                Reason::Reserved => rep::SeatReason::Reserved,
                                Reason::Lot => rep::SeatReason::Lot,
                                Reason::Leveling => rep::SeatReason::Leveling,
                                Reason::Rcv => rep::SeatReason::Rcv,
                            },
                            replaced: s.replaced.map(name),
                            margin: m
                                .and_then(|m| m.seats.iter().find(|x| x.candidate == k))
                                .and_then(|x| x.margin),
                        });
                    rep::CandidateRow {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        gender: c.gender,
                        party: c.party.map(|p| e.parties[p.index()].name.clone()),
                        votes: t.candidate_votes[i],
                        seat,
                    }
                })
                .collect();
            let lists = result
                .map(|r| {
                    r.lists
                        .iter()
                        .enumerate()
                        .map(|(li, l)| rep::ListRow {
                            name: match l.party {
                                Some(p) => e.parties[p.index()].name.clone(),
                                None => l.candidates.first().map(|&k| name(k)).unwrap_or_default(),
                            },
                            votes: l.votes,
                            seats: u64::from(l.seats + l.leveling),
                            margin: m
                                .and_then(|m| m.lists.iter().find(|x| x.list == li))
                                .and_then(|x| x.lose),
                        })
                        .collect()
                })
                .unwrap_or_default();
            rep::ContestReport {
                id: contest.id.clone(),
                name: contest.name.clone(),
                governorate: contest.governorate.map(|g| e.governorates[g.index()].clone()),
                seats: contest.seats,
                method: system.method.clone(),
                reserved_for: system.reserved_for.clone(),
                totals: totals(&t.contest_ballots[ci]),
                candidates,
                lists,
                quotas: result
                    .map(|r| {
                        r.quotas
                            .iter()
                            .map(|q| rep::QuotaRow {
                                rule: q.rule.clone(),
                                minimum: q.minimum,
                                won_on_votes: q.won_on_votes,
                                replacements: q
                                    .replacements
                                    .iter()
                                    .map(|x| (name(x.elected), name(x.replaced)))
                                    .collect(),
                                unmet: q.unmet,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                ties: result
                    .map(|r| {
                        r.ties
                            .iter()
                            .map(|x| rep::TieRow {
                                candidates: x.candidates.iter().map(|(k, _)| name(*k)).collect(),
                                chosen: x.chosen.iter().map(|&k| name(k)).collect(),
                                votes: x.votes,
                                seed: x.seed.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                empty_seats: result.map_or(0, |r| r.empty_seats),
                margin: match m {
                    Some(m) if m.note.is_none() => rep::MarginStatus::Computed(m.margin),
                    _ => rep::MarginStatus::NotComputed,
                },
            }
        })
        .collect()
}

fn reconciliation_view(
    e: &Election,
    r: &psephos_count::reconcile::Reconciliation,
) -> rep::Reconciliation {
    let name = |k: CandidateIdx| e.candidate(k).name.clone();
    let pairs = r
        .pairs
        .iter()
        .filter_map(|p| {
            Some(rep::PhasePair {
                from: p.from?,
                to: p.to?,
                stations: p.stations,
                identical: p.identical,
                within_tolerance: p.within_tolerance,
                discrepant: p.discrepant,
                votes_changed: p.votes_changed,
                largest: p.largest,
            })
        })
        .collect();
    let seat_changes = r
        .seat_changes
        .iter()
        .map(|c| {
            let result = r.reported.contests.iter().find(|x| x.contest == c.contest);
            let who = |v: &[(CandidateIdx, u64, u64)]| {
                v.iter().map(|&(k, x, y)| (name(k), x, y)).collect::<Vec<_>>()
            };
            rep::SeatChange {
                contest: e.contest(c.contest).id.clone(),
                lost: who(&c.lost),
                gained: who(&c.gained),
                lists: c
                    .lists
                    .iter()
                    .map(|&(k, x, y)| {
                        let list = result
                            .and_then(|res| res.lists.get(k))
                            .map(|l| psephos_count::list_pr::list_id(e, l).to_owned())
                            .unwrap_or_default();
                        (list, u64::from(x), u64::from(y))
                    })
                    .collect(),
            }
        })
        .collect();
    let mut differing: Vec<rep::DifferingStation> = r
        .stations
        .iter()
        .flat_map(|s| {
            s.comparisons.iter().filter(|c| c.class != Class::Identical).map(move |c| {
                rep::DifferingStation {
                    station: e.station_label(s.station).to_owned(),
                    contest: e.contest(s.contest).id.clone(),
                    from: c.from,
                    to: c.to,
                    discrepant: c.class == Class::Discrepant,
                    largest: c.largest,
                    ballots: (u64::from(c.ballots_found.0), u64::from(c.ballots_found.1)),
                    changes: c
                        .candidates
                        .iter()
                        .map(|d| (name(d.candidate), u64::from(d.from), u64::from(d.to)))
                        .collect(),
                }
            })
        })
        .collect();
    // Largest difference first; reconcile's own order (station, contest, phases) within.
    differing.sort_by_key(|x| std::cmp::Reverse(x.largest));
    let differing_total = differing.len() as u64;
    differing.truncate(rep::DIFFERING_SHOWN);
    rep::Reconciliation {
        tolerance: r.tolerance,
        pairs,
        seat_changes,
        compared: r.compared,
        sum_e: r.sum_e_text(6),
        sum_e_below_one: r.sum_e_pico < 1_000_000_000_000,
        tied_pairs: r.tied_pairs,
        differing,
        differing_total,
    }
}

/// The audit's state file, as `psephos audit plan` writes it and the later commands extend it.
fn audit_section(path: PathBuf) -> rep::AuditSection {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return rep::AuditSection::NotFound { looked_for: shown };
        }
        Err(e) => return rep::AuditSection::Unreadable { path: shown, error: e.to_string() },
    };
    let state: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return rep::AuditSection::Unreadable { path: shown, error: e.to_string() },
    };
    let Some(plan) = state.get("plan").and_then(Value::as_object) else {
        return rep::AuditSection::Unreadable {
            path: shown,
            error: "not an audit state file (no plan)".to_owned(),
        };
    };
    let text_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let rounds = state.get("rounds").and_then(Value::as_array).cloned().unwrap_or_default();
    // The latest assessment of each contest: (status, risk, round).
    let mut assessed: Vec<(String, (rep::AuditStatus, String, u64))> = Vec::new();
    for round in &rounds {
        let n = round.get("round").and_then(Value::as_u64).unwrap_or(0);
        for c in round
            .get("assessment")
            .and_then(|a| a.get("contests"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = text_of(c.get("contest"));
            let entry =
                (rep::AuditStatus::parse(&text_of(c.get("status"))), text_of(c.get("risk")), n);
            match assessed.iter_mut().find(|(k, _)| *k == id) {
                Some(x) => x.1 = entry,
                None => assessed.push((id, entry)),
            }
        }
    }
    let contests = plan
        .get("contests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let id = text_of(c.get("contest"));
            let smallest_margin = c
                .get("assertions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|x| text_of(x.get("margin")).parse::<u64>().ok())
                .min();
            let round_1 = c
                .get("round_1_stations")
                .or_else(|| c.get("round_1_ballots"))
                .and_then(Value::as_u64);
            rep::AuditContest {
                seats: c.get("seats").and_then(Value::as_u64).unwrap_or(0),
                status: rep::AuditStatus::parse(&text_of(c.get("status"))),
                ballots: c.get("ballots").and_then(Value::as_u64).unwrap_or(0),
                stations: c.get("stations").and_then(Value::as_u64).unwrap_or(0),
                round_1,
                smallest_margin,
                assessed: assessed.iter().find(|(k, _)| *k == id).map(|(_, a)| a.clone()),
                contest: id,
            }
        })
        .collect();
    rep::AuditSection::Plan(rep::AuditPlan {
        file: shown,
        risk_limit: text_of(plan.get("risk_limit")),
        method: text_of(plan.get("method")),
        seed: state.get("seed").and_then(Value::as_str).map(str::to_owned),
        contests,
        skipped: plan
            .get("skipped")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|s| text_of(s.get("contest")))
            .collect(),
        rounds: rounds
            .iter()
            .map(|r| rep::AuditRound {
                round: r.get("round").and_then(Value::as_u64).unwrap_or(0),
                stations: r.get("stations").and_then(Value::as_array).map_or(0, |s| s.len() as u64),
                assessed: r.get("assessment").is_some_and(|a| !a.is_null()),
            })
            .collect(),
    })
}

/// The battery of `psephos forensics PACKAGE` (without the optional, slow or column-dependent
/// tests: same-area comparison, Rozenas' spikes, Klimek's model), its pictures and flagged
/// stations.
fn forensics_section(checked: &Checked, t: &Tabulation) -> rep::ForensicsSection {
    use psephos_forensics::fingerprint::{Weighting, fingerprint, histogram};
    let Some((rows, leader, cross)) = crate::forensics::checked_rows(checked, t) else {
        return rep::ForensicsSection::NotRun;
    };
    if rows.is_empty() {
        return rep::ForensicsSection::NotRun;
    }
    let report = crate::forensics::battery(&rows, DIGIT_CUT);
    let num = |v: &Value| v.as_f64().filter(|x| x.is_finite());
    let mut tests: Vec<Value> = report["tests"].as_array().cloned().unwrap_or_default();
    tests.push(cross);
    let tests: Vec<rep::ForensicTest> = tests
        .iter()
        .map(|x| rep::ForensicTest {
            name: x["name"].as_str().unwrap_or("").to_owned(),
            statistic: num(&x["statistic"]),
            p_value: num(&x["p_value"]),
            p_holm: num(&x["p_holm"]),
            effect: num(&x["effect"]),
            ci: x["ci"].as_array().and_then(|c| Some((num(c.first()?)?, num(c.get(1)?)?))),
            effect_is: x["effect_is"].as_str().unwrap_or("").to_owned(),
            assumptions: x["assumptions"].as_str().unwrap_or("").to_owned(),
        })
        .collect();
    let integer = report["tests"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "integer_percentages"))
        .and_then(|x| {
            Some(rep::IntegerExcess {
                observed: num(&x["observed"])?,
                expected: num(&x["expected"])?,
                excess: num(&x["excess"])?,
                z: num(&x["z"])?,
            })
        });
    let stations: Vec<psephos_forensics::Station> =
        rows.iter().map(crate::forensics::station).collect();
    let print = fingerprint(&stations, 100, Weighting::Stations);
    let ranking = crate::forensics::ranking(&rows);
    let flagged = ranking
        .iter()
        .take(rep::FLAGGED_SHOWN)
        .map(|r| {
            let reason = r["reason"].as_str().unwrap_or("");
            rep::FlaggedStation {
                id: r["id"].as_str().unwrap_or("").to_owned(),
                region: r["region"].as_str().map(str::to_owned),
                turnout_on_grid: reason.starts_with("turnout"),
                share_on_grid: reason.contains("leader share"),
                turnout: num(&r["turnout_percent"]),
                share: num(&r["leader_percent"]),
                null_probability: num(&r["null_probability"]).unwrap_or(f64::NAN),
            }
        })
        .collect();
    let regions_flagged = report["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| num(&r["q_value"]).is_some_and(|q| q < 0.05))
        .map(|r| rep::RegionFlag {
            region: r["region"].as_str().unwrap_or("").to_owned(),
            z: num(&r["z"]).unwrap_or(f64::NAN),
            q_value: num(&r["q_value"]).unwrap_or(f64::NAN),
        })
        .collect();
    rep::ForensicsSection::Results(Box::new(rep::Forensics {
        stations_read: report["stations"]["read"].as_u64().unwrap_or(0),
        stations_tested: report["stations"]["included_in_integer_test"].as_u64().unwrap_or(0),
        leader,
        tests,
        integer,
        fingerprint_bins: print.bins,
        fingerprint: print.cells,
        turnout_histogram: histogram(stations.iter().map(|s| (s.issued, s.registered)), 1000),
        share_histogram: histogram(stations.iter().map(|s| (s.leader, s.found)), 1000),
        flagged_total: ranking.len() as u64,
        flagged,
        regions_flagged,
    }))
}

/// The bundle's latest checkpoint (`BUNDLE/log/checkpoint`), if the ledger published one.
fn ledger_section(bundle: PathBuf) -> rep::LedgerSection {
    let path = bundle.join("log").join("checkpoint");
    match std::fs::read_to_string(&path) {
        Ok(checkpoint) => {
            rep::LedgerSection::Found { bundle: bundle.display().to_string(), checkpoint }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            rep::LedgerSection::NotFound { looked_for: path.display().to_string() }
        }
        Err(e) => rep::LedgerSection::Unreadable {
            path: path.display().to_string(),
            error: e.to_string(),
        },
    }
}
