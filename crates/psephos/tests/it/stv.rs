//! STV counts RCTab lacks, against reference transcripts: Scottish STV on the 21 Glasgow 2007
//! wards (and Droop's Scottish test elections), stage by stage against Droop's reports; the Irish
//! Dáil rules on the 2002 e-voting pilot constituencies, whose winners are the oracle.

use std::collections::BTreeMap;
use std::path::PathBuf;

use psephos_rcv::stv::irish::{self, IrishOptions, Papers};
use psephos_rcv::stv::{Action, CandidateOrder, StvCount, scottish};

fn tabulation_dir() -> PathBuf {
    let root = match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    root.join("tabulation")
}

/// One action block of a Droop report: the action line and each candidate's votes after it.
#[derive(Debug)]
struct Block {
    action: String,
    votes: BTreeMap<String, String>,
}

fn droop_report(text: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for line in text.lines() {
        if let Some(action) = line.strip_prefix("Action: ") {
            blocks.push(Block { action: action.to_owned(), votes: BTreeMap::new() });
            continue;
        }
        let Some(b) = blocks.last_mut() else { continue };
        let t = line.trim();
        for status in ["Hopeful:", "Elected:", "Defeated:", "Pending:"] {
            if let Some(rest) = t.strip_prefix(status) {
                let rest = rest.trim();
                if let Some((names, v)) = rest.rsplit_once(" (") {
                    // Candidates with equal votes share a line, comma-separated.
                    b.votes.insert(normal(names), v.trim_end_matches(')').to_owned());
                }
            }
        }
    }
    blocks
}

/// A name with runs of spaces collapsed, as Droop prints names.
fn normal(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn units(v: u64, unit: u64) -> String {
    format!("{}.{:05}", v / unit, v % unit)
}

/// Compares our stages with the report's blocks of the same action; `Err` names the first
/// difference.
fn compare_scottish(count: &StvCount, report: &[Block]) -> Result<usize, String> {
    let name = |c: usize| normal(&count.candidates[c]);
    let mut ours: Vec<(String, &psephos_rcv::stv::Stage)> = Vec::new();
    for s in &count.stages {
        let key = match s.action {
            Action::FirstCount => "Begin Count".to_owned(),
            Action::TransferSurplus(c, _) => format!("Surplus transferred: {}", name(c)),
            Action::TransferExcluded(c) => format!("Transfer defeated: {}", name(c)),
            _ => continue,
        };
        ours.push((key, s));
    }
    let theirs: Vec<&Block> = report
        .iter()
        .filter(|b| {
            b.action == "Begin Count"
                || b.action.starts_with("Surplus transferred: ")
                || b.action.starts_with("Transfer defeated: ")
        })
        .collect();
    for (k, (b, (key, stage))) in theirs.iter().zip(&ours).enumerate() {
        // Droop appends the surplus to the action line: "Surplus transferred: X (60.12945)".
        let action = b.action.rsplit_once(" (").map_or(b.action.as_str(), |x| x.0);
        if action.trim() != key {
            return Err(format!("stage {k}: Droop {:?}, psephos {key:?}", b.action));
        }
        for (names, v) in &b.votes {
            // One name, or several sharing the line.
            let whole = (0..count.candidates.len()).find(|&c| name(c) == *names);
            let cands: Vec<Option<usize>> = match whole {
                Some(c) => vec![Some(c)],
                None => names
                    .split(", ")
                    .map(|n| (0..count.candidates.len()).find(|&c| name(c) == n))
                    .collect(),
            };
            for c in cands {
                let ours = c.map(|c| units(stage.votes[c], count.unit));
                if ours.as_deref() != Some(v.as_str()) {
                    return Err(format!("{key}: {names} Droop {v}, psephos {ours:?}"));
                }
            }
        }
    }
    if theirs.len() != ours.len() {
        return Err(format!("Droop has {} stages, psephos {}", theirs.len(), ours.len()));
    }
    Ok(ours.len())
}

#[test]
fn scottish_stv_matches_droop() {
    let dir = tabulation_dir().join("glasgow_2007_droop");
    let winners: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            dir.join("glasgow_2007_scottish_stv_droop_reference_winners.json"),
        )
        .expect("reference winners"),
    )
    .expect("json");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir.join("blt/scotland"))
        .expect("scotland blt")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "blt"))
        .collect();
    for extra in ["42", "42t", "42u", "513", "M135", "SC", "SCw", "SCwopt", "SC-Vm-12"] {
        cases.push(dir.join(format!("blt/{extra}.blt")));
    }
    cases.sort();
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    let mut wards_matching = 0;
    for blt in &cases {
        let stem = blt.file_stem().unwrap().to_string_lossy().into_owned();
        let (file, diags) = psephos_io::read_blt(blt);
        assert!(diags.iter().all(|d| !d.is_error()), "{stem}: {diags:?}");
        let seats = file.seats.unwrap_or(1) as usize;
        // Droop settles ties left by earlier stages in the file's candidate order.
        let mut lot = CandidateOrder::default();
        let count = match scottish::count(
            &file.ballots,
            &file.candidates,
            &file.withdrawn,
            seats,
            &mut lot,
        ) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{stem}: {e}"));
                continue;
            }
        };
        let report_path = if blt.parent().is_some_and(|p| p.ends_with("scotland")) {
            dir.join(format!("ref/report/scotland/{stem}-scotland-fixed-p5-d5.txt"))
        } else {
            dir.join(format!("ref/report/{stem}-scotland-fixed-p5-d5.txt"))
        };
        let stages = match std::fs::read_to_string(&report_path) {
            Ok(text) => compare_scottish(&count, &droop_report(&text)),
            Err(_) => Err(format!("no Droop report at {}", report_path.display())),
        };
        let mut elected: Vec<String> =
            count.elected.iter().map(|&c| normal(&count.candidates[c])).collect();
        elected.sort();
        if let Some(w) = winners.get(&stem) {
            let mut expected: Vec<String> = w["elected"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| normal(x.as_str().unwrap()))
                .collect();
            expected.sort();
            if expected == elected {
                wards_matching += 1;
            } else {
                failures.push(format!("{stem}: elected {elected:?}, Droop {expected:?}"));
            }
        }
        match stages {
            Ok(n) => lines.push(format!("{stem}: {n} stages as Droop")),
            Err(e) => failures.push(format!("{stem}: {e}")),
        }
    }
    let wards = winners.as_object().map_or(0, |o| o.len());
    eprintln!(
        "Scottish STV: {wards_matching} of {wards} Glasgow 2007 wards elect Droop's winners; {} of {} elections match Droop's report stage by stage",
        lines.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A candidate's surname: the last word before the party in brackets.
fn surname(name: &str) -> String {
    let name = name.split(" (").next().unwrap_or(name);
    name.split_whitespace().last().unwrap_or("").to_owned()
}

fn irish_count(stem: &str, options: &IrishOptions) -> StvCount {
    let blt = tabulation_dir().join(format!("irish_2002/{stem}2002.blt"));
    let (file, diags) = psephos_io::read_blt(&blt);
    assert!(diags.iter().all(|d| !d.is_error()), "{stem}: {diags:?}");
    let seats = file.seats.unwrap_or(1) as usize;
    let mut lot = CandidateOrder::default();
    irish::count(&file.ballots, &file.candidates, &file.withdrawn, seats, options, &mut lot)
        .unwrap_or_else(|e| panic!("{stem}: {e}"))
}

#[test]
fn irish_2002_elects_the_dail_winners_under_every_variant() {
    let oracle: [(&str, &[&str]); 3] = [
        ("DublinNorth", &["Sargent", "Ryan", "Glennon", "Wright"]),
        ("DublinWest", &["Lenihan", "Higgins", "Burton"]),
        ("Meath", &["Dempsey", "Bruton", "Wallace", "English", "Brady"]),
    ];
    let mut cases = 0;
    let mut failures = Vec::new();
    for (stem, winners) in oracle {
        let mut expected: Vec<String> = winners.iter().map(|w| (*w).to_owned()).collect();
        expected.sort();
        for papers in [Papers::Last, Papers::First, Papers::Fraction] {
            for multiple_exclusion in [true, false] {
                for defer_surpluses in [false, true] {
                    let options = IrishOptions { papers, multiple_exclusion, defer_surpluses };
                    let count = irish_count(stem, &options);
                    let mut elected: Vec<String> =
                        count.elected.iter().map(|&c| surname(&count.candidates[c])).collect();
                    elected.sort();
                    cases += 1;
                    if elected != expected {
                        failures.push(format!(
                            "{stem} {options:?}: elected {elected:?}, expected {expected:?}"
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "Irish Dáil STV: {} of {cases} counts (3 constituencies × 12 variants) elect the 2002 winners",
        cases - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Dublin West with the default options, count by count. The figures are those of the reference
/// in docs/internals/stv-variants.md (Appendix A) once its last parcel is every paper received at
/// the count that brought the candidate over the quota, and with s.124's last-vacancy rule. As
/// printed, the appendix files each ballot line of an exclusion as a parcel of its own, so
/// Higgins' surplus (351) examines one line and moves one paper; that is where §4.3's "Burton
/// 6,304 vs Terry 5,817" comes from (the printed script gives Terry 5,822).
#[test]
fn irish_dublin_west_count_by_count() {
    let count = irish_count("DublinWest", &IrishOptions::default());
    let name = |c: usize| surname(&count.candidates[c]);
    assert_eq!(count.quota, 7498);
    assert_eq!(count.unit, 1);
    let index = |s: &str| (0..count.candidates.len()).find(|&c| name(c) == s).unwrap();
    let counts: Vec<(String, Vec<u64>)> = count
        .stages
        .iter()
        .filter_map(|s| {
            let what = match s.action {
                Action::FirstCount => "first".to_owned(),
                Action::TransferSurplus(c, v) => format!("surplus {} {v}", name(c)),
                Action::TransferExcluded(c) => format!("exclude {}", name(c)),
                Action::TransferExcludedTogether(n) => format!("exclude {n} together"),
                Action::ElectLastVacancy(c) => format!("last vacancy {}", name(c)),
                _ => return None,
            };
            Some((what, s.votes.clone()))
        })
        .collect();
    let actions: Vec<&str> = counts.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "first",
            "surplus Lenihan 588",
            "exclude 2 together",
            "exclude Donald",
            "surplus Higgins 351",
            "exclude Morrissey",
            "exclude Ryan",
            "last vacancy Burton",
        ]
    );
    // Candidates in file order: Bonnie, Burton, Doherty Ryan, Higgins, Lenihan, Mc Donald,
    // Morrissey, Smyth, Terry.
    let expected: [[u64; 9]; 7] = [
        [748, 3810, 2300, 6442, 8086, 2404, 2370, 134, 3694],
        [756, 3867, 2609, 6512, 7498, 2429, 2443, 135, 3739],
        [0, 4077, 2695, 6730, 7498, 2523, 2553, 0, 3837],
        [0, 4371, 3043, 7849, 7498, 0, 2672, 0, 3996],
        [0, 4555, 3128, 7498, 7498, 0, 2712, 0, 4038],
        [0, 5311, 3785, 7498, 7498, 0, 0, 0, 4978],
        [0, 6554, 0, 7498, 7498, 0, 0, 0, 5898],
    ];
    for (k, want) in expected.iter().enumerate() {
        assert_eq!(counts[k].1, want, "after {}", counts[k].0);
    }
    let (burton, terry) = (index("Burton"), index("Terry"));
    assert!(counts[6].1[burton] > counts[6].1[terry]);
    let elected: Vec<String> = count.elected.iter().map(|&c| name(c)).collect();
    assert_eq!(elected, ["Lenihan", "Higgins", "Burton"]);
}
