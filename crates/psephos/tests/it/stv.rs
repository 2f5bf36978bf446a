//! STV counts RCTab lacks, against reference transcripts: Scottish STV on the 21 Glasgow 2007
//! wards (and Droop's Scottish test elections), stage by stage against Droop's reports.

use std::collections::BTreeMap;
use std::path::PathBuf;

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
