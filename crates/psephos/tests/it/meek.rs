//! Meek STV against stv-rs's transcripts (`$PSEPHOS_CONFORMANCE/tabulation/stv_rs_meek/meek`):
//! every fixed-point transcript reproduced byte for byte, with stv-rs's package line and, as
//! stv-rs's CI does, with Droop's. Transcripts that cannot be run are listed with the reason.

use std::path::{Path, PathBuf};

use psephos_rcv::stv::meek::{self, EqualRanks, MeekOptions};

fn meek_dir() -> PathBuf {
    let root = match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    root.join("tabulation/stv_rs_meek")
}

fn logs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            logs(&p, out);
        } else if p.extension().is_some_and(|e| e == "log") {
            out.push(p);
        }
    }
}

/// Counts a BLT file as stv-rs would with these options; the transcript with `implementation`.
fn run(blt: &Path, options: MeekOptions, implementation: &str) -> Result<String, String> {
    let (file, diags) = psephos_io::read_blt(blt);
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(format!("rejected: {}", d.message));
    }
    let seats = file.seats.unwrap_or(1) as usize;
    let count = meek::count(
        &file.ballots,
        &file.candidates,
        &file.withdrawn,
        seats,
        file.tie_order.as_deref(),
        options,
    )
    .map_err(|e| e.to_string())?;
    Ok(meek::transcript(&count, file.title.as_deref().unwrap_or(""), implementation))
}

#[test]
fn stv_rs_meek_transcripts() {
    let base = meek_dir();
    let mut all = Vec::new();
    logs(&base.join("meek"), &mut all);
    assert!(!all.is_empty(), "no transcripts under {}", base.display());
    let (mut passed, mut failed, mut not_run) = (0, Vec::new(), Vec::new());
    for log in &all {
        let rel = log.strip_prefix(base.join("meek")).unwrap_or(log).display().to_string();
        let expected = std::fs::read_to_string(log).unwrap_or_default();
        let stem = rel.trim_end_matches(".log");
        let (case, arith) = stem.rsplit_once('.').unwrap_or((stem, ""));
        let (case, equalize) = match case.strip_suffix(".equalize") {
            Some(c) => (c, true),
            None => (case, false),
        };
        if arith == "approx" {
            not_run.push(format!("{rel}: exact-rational (approx) arithmetic is not implemented"));
            continue;
        }
        if expected.is_empty() {
            not_run.push(format!(
                "{rel}: empty (stv-rs overflowed its 64-bit fixed point; the bigfixed9 twin is the oracle)"
            ));
            continue;
        }
        if case == "bigint/ballot_sum_overflows" {
            not_run.push(format!(
                "{rel}: stv-rs wraps the ballot total (2^64 + 1) to 1; psephos refuses the file \
                 (ballot_sum_past_u64_is_refused)"
            ));
            continue;
        }
        // The forced-positive twin of below_quota; crash transcripts are all made with the flag.
        let (ballots, force) = match case {
            "negative_surplus/force_positive_surplus" => ("negative_surplus/below_quota", true),
            c => (c, c.starts_with("crashes/")),
        };
        let blt = base.join("ballots").join(format!("{ballots}.blt"));
        if !blt.exists() {
            not_run.push(format!("{rel}: no ballot file {ballots}.blt here (stv-rs generates it)"));
            continue;
        }
        let options = MeekOptions {
            equal_ranks: if equalize { EqualRanks::Equalize } else { EqualRanks::Droop },
            force_positive_surplus: force,
            omega_exponent: 6,
        };
        match run(&blt, options, "Implementation: STV-rs") {
            Ok(ours) if ours == expected => {
                passed += 1;
                // stv-rs's CI diffs the same transcript against Droop with its package line.
                if !equalize {
                    let droop =
                        run(&blt, options, "Droop package: droop v0.14").unwrap_or_default();
                    assert_eq!(
                        droop,
                        expected.replace("Implementation: STV-rs", "Droop package: droop v0.14"),
                        "{rel}: the Droop package line changes more than that line"
                    );
                }
            }
            Ok(ours) => {
                let line = ours
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, b)| a != b)
                    .map_or(ours.lines().count().min(expected.lines().count()), |l| l);
                failed.push(format!(
                    "{rel}: differs at line {}: ours {:?}, stv-rs {:?}",
                    line + 1,
                    ours.lines().nth(line).unwrap_or("<end>"),
                    expected.lines().nth(line).unwrap_or("<end>")
                ));
            }
            Err(e) => failed.push(format!("{rel}: {e}")),
        }
    }
    eprintln!(
        "stv-rs Meek transcripts: {passed} of {} reproduced byte for byte; {} not run:",
        passed + failed.len(),
        not_run.len()
    );
    for n in &not_run {
        eprintln!("  not run: {n}");
    }
    for f in &failed {
        eprintln!("  FAILED: {f}");
    }
    assert!(failed.is_empty(), "{} Meek transcripts differ", failed.len());
    assert!(passed >= 30, "only {passed} transcripts ran");
}

/// The order of the ballots never changes a Meek count: stv-rs's re-ordered copies of
/// `rand_hypergeometric` give its transcript.
#[test]
fn ballot_order_does_not_matter() {
    let base = meek_dir();
    let expected = std::fs::read_to_string(base.join("meek/random/rand_hypergeometric.fixed9.log"))
        .unwrap_or_default();
    assert!(!expected.is_empty());
    let mut checked = 0;
    for name in
        ["rand_sorted_by_lexico_product", "rand_sorted_by_product", "rand_sorted_lexicographically"]
    {
        let blt = base.join(format!("shuffle_ballots/{name}.blt"));
        let ours = run(&blt, MeekOptions::default(), "Implementation: STV-rs").unwrap_or_default();
        // The title may differ; everything from the first action on must not.
        let from = |t: &str| t.find("Action:").map(|i| t[i..].to_owned()).unwrap_or_default();
        assert_eq!(from(&ours), from(&expected), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// stv-rs sums ballot weights in a machine word and wraps; psephos refuses a total past 2^64 − 1
/// with a diagnostic instead of counting a wrong number of ballots.
#[test]
fn ballot_sum_past_u64_is_refused() {
    let blt = meek_dir().join("ballots/bigint/ballot_sum_overflows.blt");
    let err = run(&blt, MeekOptions::default(), "Implementation: STV-rs").unwrap_err();
    assert!(err.contains("total past"), "{err}");
}
