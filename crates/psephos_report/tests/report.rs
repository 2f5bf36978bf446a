//! The report of a small hand-made election in both languages: snapshots of the hemicycle SVG
//! and of the whole page (compared byte for byte; `PSEPHOS_BLESS=1` rewrites them from the
//! actual output, then review the diff), the self-containment check, escaping and determinism.

use std::path::PathBuf;

use psephos_model::{Gender, Method, Phase};
use psephos_report::hemicycle::{Group, Style, SvgText};
use psephos_report::*;

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("PSEPHOS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{}: {e}; run with PSEPHOS_BLESS=1 to write it", path.display())
    });
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b);
        let at = line.unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\nexpected: {:?}\nactual:   {:?}\n(PSEPHOS_BLESS=1 rewrites it)",
            path.display(),
            at + 1,
            expected.lines().nth(at),
            actual.lines().nth(at)
        );
    }
}

fn totals(expected: u64, reporting: u64, registered: u64, found: u64, votes: u64) -> Totals {
    Totals {
        stations_expected: expected,
        stations_reporting: reporting,
        stations_held: 0,
        registered,
        registered_reporting: registered,
        ballots_found: found,
        blank: 3,
        invalid: found.saturating_sub(votes + 3),
        votes,
    }
}

fn candidate(
    id: &str,
    name: &str,
    gender: Gender,
    party: Option<&str>,
    votes: u64,
) -> CandidateRow {
    CandidateRow {
        id: id.into(),
        name: name.into(),
        gender,
        party: party.map(Into::into),
        votes,
        seat: None,
    }
}

fn won(mut c: CandidateRow, reason: SeatReason, margin: Option<u64>) -> CandidateRow {
    c.seat = Some(SeatWon { reason, replaced: None, margin });
    c
}

/// Two districts and a reserved seat; Arabic and Latin names; a quota replacement, a tie, a
/// differing station, an audit plan, the forensic battery and a checkpoint.
fn fixture() -> Report {
    let mut quota = won(
        candidate("B3", "زينب كاظم", Gender::Female, Some("Tasmim <Alliance>"), 310),
        SeatReason::Quota,
        Some(41),
    );
    if let Some(s) = &mut quota.seat {
        s.replaced = Some("Ali Hassan".into());
    }
    let d1 = ContestReport {
        id: "BAS-01".into(),
        name: "البصرة ١".into(),
        governorate: Some("Basra".into()),
        seats: 3,
        method: Method::Sntv,
        reserved_for: None,
        totals: totals(4, 4, 2000, 1420, 1352),
        candidates: vec![
            won(
                candidate("B1", "محمد علي", Gender::Male, Some("State of Law"), 420),
                SeatReason::Rank,
                Some(112),
            ),
            won(
                candidate("B2", "Sarah O'Neil & Co", Gender::Female, None, 311),
                SeatReason::Lot,
                Some(1),
            ),
            quota,
            candidate("B4", "Ali Hassan", Gender::Male, Some("State of Law"), 311),
            candidate("B5", "كريم عباس", Gender::Other, Some("Tasmim <Alliance>"), 0),
        ],
        lists: Vec::new(),
        quotas: vec![QuotaRow {
            rule: "women".into(),
            minimum: 1,
            won_on_votes: 0,
            replacements: vec![("زينب كاظم".into(), "Ali Hassan".into())],
            unmet: 0,
        }],
        ties: vec![TieRow {
            candidates: vec!["Sarah O'Neil & Co".into(), "Ali Hassan".into()],
            chosen: vec!["Sarah O'Neil & Co".into()],
            votes: 311,
            seed: "2021-10-10 public dice".into(),
        }],
        empty_seats: 0,
        margin: MarginStatus::Computed(Some(1)),
    };
    let r1 = ContestReport {
        id: "CHR".into(),
        name: "Christian seat (Baghdad)".into(),
        governorate: None,
        seats: 1,
        method: Method::Sntv,
        reserved_for: Some("christian".into()),
        totals: totals(6, 5, 2600, 1480, 60),
        candidates: vec![
            won(
                candidate("C1", "يوسف متي", Gender::Male, None, 40),
                SeatReason::Reserved,
                Some(21),
            ),
            candidate("C2", "Maryam Toma", Gender::Female, Some("Babylon"), 20),
        ],
        lists: Vec::new(),
        quotas: Vec::new(),
        ties: Vec::new(),
        empty_seats: 0,
        margin: MarginStatus::Computed(Some(21)),
    };
    Report {
        election: ElectionInfo {
            id: "fixture-2021".into(),
            name: "مجلس النواب — fixture".into(),
            date: "2021-10-10".into(),
            country: "IQ".into(),
        },
        package: "fixture/package".into(),
        phase_policy: vec![Phase::Correction, Phase::Recount, Phase::Manual, Phase::Electronic],
        nation: Totals {
            stations_expected: 6,
            stations_reporting: 5,
            stations_held: 0,
            registered: 2600,
            registered_reporting: 2300,
            ballots_found: 1480,
            blank: 3,
            invalid: 65,
            votes: 1412,
        },
        registered_missing: 300,
        governorates: vec![
            AreaTotals { name: "Basra".into(), totals: totals(4, 4, 2000, 1420, 1352) },
            AreaTotals { name: "بغداد".into(), totals: totals(2, 1, 600, 60, 60) },
        ],
        blocs: vec![
            Bloc {
                id: "SOL".into(),
                name: "State of Law".into(),
                independents: false,
                seats: 1,
                votes: 731,
                women: 0,
                quota: 0,
                reserved: 0,
                parties: vec![PartyRow { id: "SOL".into(), name: "State of Law".into(), votes: 731, seats: 1 }],
            },
            Bloc {
                id: "TAS".into(),
                name: "Tasmim <Alliance>".into(),
                independents: false,
                seats: 1,
                votes: 310,
                women: 1,
                quota: 1,
                reserved: 0,
                parties: Vec::new(),
            },
            Bloc {
                id: "independents".into(),
                name: "Independents".into(),
                independents: true,
                seats: 2,
                votes: 351,
                women: 1,
                quota: 0,
                reserved: 1,
                parties: Vec::new(),
            },
            Bloc {
                id: "BAB".into(),
                name: "Babylon".into(),
                independents: false,
                seats: 0,
                votes: 20,
                women: 0,
                quota: 0,
                reserved: 0,
                parties: Vec::new(),
            },
        ],
        contests: vec![d1, r1],
        reconciliation: Reconciliation {
            tolerance: 0,
            pairs: vec![PhasePair {
                from: Phase::Electronic,
                to: Phase::Manual,
                stations: 2,
                identical: 1,
                within_tolerance: 0,
                discrepant: 1,
                votes_changed: 2,
                largest: 1,
            }],
            seat_changes: Vec::new(),
            compared: 2,
            sum_e: "0.012500".into(),
            sum_e_below_one: true,
            tied_pairs: 1,
            differing: vec![DifferingStation {
                station: "S-0002".into(),
                contest: "BAS-01".into(),
                from: Phase::Electronic,
                to: Phase::Manual,
                discrepant: true,
                largest: 1,
                ballots: (275, 275),
                changes: vec![("محمد علي".into(), 105, 104), ("Ali Hassan".into(), 77, 78)],
            }],
            differing_total: 1,
        },
        audit: AuditSection::Plan(AuditPlan {
            file: "audit-plan.json".into(),
            risk_limit: "0.05".into(),
            method: "macro".into(),
            seed: None,
            contests: vec![
                AuditContest {
                    contest: "BAS-01".into(),
                    seats: 3,
                    status: AuditStatus::FullHandCount,
                    ballots: 1100,
                    stations: 4,
                    round_1: Some(4),
                    smallest_margin: Some(1),
                    assessed: None,
                },
                AuditContest {
                    contest: "CHR".into(),
                    seats: 1,
                    status: AuditStatus::Audit,
                    ballots: 900,
                    stations: 5,
                    round_1: Some(2),
                    smallest_margin: Some(20),
                    assessed: Some((AuditStatus::Confirmed, "0.031".into(), 1)),
                },
            ],
            skipped: vec!["LIST-1".into()],
            rounds: vec![AuditRound { round: 1, stations: 2, assessed: true }],
        }),
        forensics: ForensicsSection::Results(Box::new(Forensics {
            stations_read: 5,
            stations_tested: 4,
            leader: "State of Law".into(),
            tests: vec![
                ForensicTest {
                    name: "integer_percentages".into(),
                    statistic: Some(2.0),
                    p_value: Some(0.0000123),
                    p_holm: Some(0.0000369),
                    effect: Some(1.25),
                    ci: Some((-0.5, 3.0)),
                    effect_is: "excess stations with an integer turnout or leader share".into(),
                    assumptions: "Null: binomial redraws.".into(),
                },
                ForensicTest {
                    name: "last_digit_leader_votes".into(),
                    statistic: Some(7.5),
                    p_value: Some(0.58),
                    p_holm: Some(1.0),
                    effect: Some(-0.01),
                    ci: Some((-0.2, 0.18)),
                    effect_is: "share of counts ending in 0 or 5, observed minus expected".into(),
                    assumptions: "Null: redrawn. Counts: leader votes of ballots found, cut 100.".into(),
                },
                ForensicTest {
                    name: "a_future_test".into(),
                    statistic: Some(3.0),
                    p_value: None,
                    p_holm: None,
                    effect: None,
                    ci: None,
                    effect_is: "something new".into(),
                    assumptions: "Written by a newer battery.".into(),
                },
            ],
            integer: Some(IntegerExcess { observed: 2.0, expected: 0.75, excess: 1.25, z: 1.6 }),
            fingerprint_bins: 4,
            fingerprint: vec![0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            turnout_histogram: vec![0, 1, 1, 3, 0, 0, 0, 0, 0, 0],
            share_histogram: vec![0, 0, 2, 2, 1, 0, 0, 0, 0, 0],
            flagged_total: 1,
            flagged: vec![FlaggedStation {
                id: "S-0003".into(),
                region: Some("Basra".into()),
                turnout_on_grid: true,
                share_on_grid: false,
                turnout: Some(50.0),
                share: Some(38.2),
                null_probability: 0.004,
            }],
            regions_flagged: vec![RegionFlag { region: "Basra".into(), z: 3.27, q_value: 0.01 }],
        })),
        ledger: LedgerSection::Found {
            bundle: "fixture/bundle".into(),
            checkpoint: "psephos.example/log\n42\nq6K7OvEe1+3T8KYlUZgkzFkZOXkxwzWX9xzWdRikHjk=\n\n— psephos.example/log abcd1234\n".into(),
        },
        generator: "psephos 0.0.0-test".into(),
        command: "psephos report fixture/package".into(),
    }
}

#[test]
fn hemicycle_snapshots() {
    let groups = |sizes: &[u64]| -> Vec<Group> {
        sizes
            .iter()
            .enumerate()
            .map(|(k, &s)| Group {
                name: format!("Bloc {k} <&>"),
                seats: s,
                style: Style::nth(k * 4),
            })
            .collect()
    };
    let text = |n: u64| SvgText {
        title: format!("{n} seats"),
        desc: "Blocs from the left".into(),
        total: n.to_string(),
        group_titles: (0..12).map(|k| format!("Bloc {k}")).collect(),
    };
    // Iraq 2021's 329 seats, twelve blocs: every colour and mark.
    let iraq = [73, 37, 33, 31, 18, 17, 16, 15, 9, 9, 5, 66];
    snapshot("hemicycle-329.svg", &hemicycle::svg(&groups(&iraq), &text(329), "h").unwrap());
    snapshot("hemicycle-7.svg", &hemicycle::svg(&groups(&[3, 1, 3]), &text(7), "h").unwrap());
}

#[test]
fn page_snapshots_in_english_and_arabic() {
    let report = fixture();
    let en = render_html(&report, Lang::En).unwrap();
    let ar = render_html(&report, Lang::Ar).unwrap();
    snapshot("fixture-en.html", &en);
    snapshot("fixture-ar.html", &ar);
    assert!(en.starts_with("<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\">"));
    assert!(ar.starts_with("<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">"));
}

#[test]
fn nothing_leaves_the_page() {
    let report = fixture();
    for lang in [Lang::En, Lang::Ar] {
        let html = render_html(&report, lang).unwrap();
        assert_eq!(check::external_references(&html), Vec::<String>::new(), "{lang:?}");
    }
    // The check itself finds a reference planted in the same page.
    let html = render_html(&report, Lang::En)
        .unwrap()
        .replace("</main>", "<img src=\"http://example.org/x.png\"></main>");
    assert_eq!(check::external_references(&html).len(), 1);
}

#[test]
fn names_are_escaped_and_isolated() {
    let html = render_html(&fixture(), Lang::Ar).unwrap();
    // The template escapes with numeric references, the hand-built parts with named ones.
    assert!(html.contains("<bdi>Tasmim &#60;Alliance&#62;</bdi>"));
    assert!(html.contains("<bdi>Sarah O&#39;Neil &#38; Co</bdi>"));
    assert!(html.contains("<bdi>Sarah O&#39;Neil &amp; Co</bdi>"));
    assert!(!html.contains("Tasmim <Alliance>"));
    assert!(html.contains("<bdi>زينب كاظم</bdi>"));
    // Arabic-Indic digits and separators; the package's own ids stay as written.
    assert!(html.contains("٢٬٦٠٠"));
    assert!(html.contains("S-0002"));
    assert!(!html.contains(">2,600<"));
}

#[test]
fn the_same_report_gives_the_same_bytes() {
    let a = render_html(&fixture(), Lang::Ar).unwrap();
    let b = render_html(&fixture(), Lang::Ar).unwrap();
    assert_eq!(a, b);
}

#[test]
fn absent_sections_say_so() {
    let mut report = fixture();
    report.audit = AuditSection::NotFound { looked_for: "elsewhere/audit-plan.json".into() };
    report.ledger =
        LedgerSection::NotFound { looked_for: "elsewhere/bundle/log/checkpoint".into() };
    report.forensics = ForensicsSection::NotRun;
    report.reconciliation = Reconciliation::default();
    let html = render_html(&report, Lang::En).unwrap();
    assert!(
        html.contains(
            "No audit plan was found (<code dir=\"ltr\">elsewhere/audit-plan.json</code>)"
        )
    );
    assert!(html.contains(
        "No ledger was found (<code dir=\"ltr\">elsewhere/bundle/log/checkpoint</code>)"
    ));
    assert!(html.contains("The forensic battery did not run"));
    assert!(html.contains("there is nothing to reconcile"));
}
