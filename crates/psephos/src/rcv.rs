//! `psephos rcv`: ranked-choice counts. With `--rctab-config`, an RCTab contest configuration is
//! read as is (its CVR sources, candidates and rules) and counted as RCTab counts it, with
//! RCTab's result files.

use std::path::{Path, PathBuf};

use psephos_io::cvr::{CvrSource, ReadOptions, read_sources};
use psephos_io::rctab_config::{RctabConfig, parse_rctab_config};
use psephos_io::urcvt::{ReportMeta, Scope, summary_csv, summary_json};
use psephos_rcv::rctab::{SliceRequest, Tabulation, tabulate};

use crate::cli::{RcvArgs, RcvFormat};
use crate::output::diagnostics_text;
use crate::{Exit, eprint_lines};

/// What psephos says it is in the reports' `generatedBy`.
fn generated_by() -> String {
    format!("psephos {}", env!("CARGO_PKG_VERSION"))
}

/// One counted pass (a multi-pass IRV count has one per seat).
pub(crate) struct Pass {
    pub(crate) tabulation: Tabulation,
    pub(crate) rules: psephos_rcv::rctab::Rules,
}

pub(crate) fn rcv(args: &RcvArgs) -> Exit {
    let Some(config_path) = &args.rctab_config else {
        eprint_lines(
            "error: give --rctab-config FILE (counting a ballot file directly with --method is not available yet)\n",
        );
        return Exit::Usage;
    };
    let text = match std::fs::read_to_string(config_path) {
        Ok(t) => t,
        Err(e) => {
            eprint_lines(&format!("error: cannot read {}: {e}\n", config_path.display()));
            return Exit::InputErrors;
        }
    };
    let config = match parse_rctab_config(&text) {
        Ok(c) => c,
        Err(problems) => {
            let mut out = String::new();
            for p in problems {
                out.push_str(&format!("{}: error: {p}\n", config_path.display()));
            }
            out.push_str("Contest config validation failed: nothing was counted.\n");
            eprint_lines(&out);
            return Exit::InputErrors;
        }
    };
    let base = config_path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let passes = match count(&config, &base) {
        Ok(p) => p,
        Err(message) => {
            eprint_lines(&message);
            return Exit::InputErrors;
        }
    };
    let meta = ReportMeta {
        contest: config.contest_name.clone(),
        date: config.contest_date.clone(),
        jurisdiction: config.jurisdiction.clone(),
        office: config.office.clone(),
        generated_by: generated_by(),
    };
    if let Some(dir) = &args.out {
        let stem = stem_of(config_path);
        return match write_reports(dir, &stem, &config, &passes, &meta) {
            Ok(()) => Exit::Ok,
            Err(e) => {
                eprint_lines(&format!("error: cannot write {}: {e}\n", dir.display()));
                Exit::Io
            }
        };
    }
    let mut out = String::new();
    for pass in &passes {
        match args.format {
            RcvFormat::Urcvt => {
                out.push_str(&summary_json(&pass.tabulation, &pass.rules, &meta, Scope::Contest));
                out.push('\n');
            }
            RcvFormat::Csv => {
                out.push_str(&summary_csv(
                    &pass.tabulation,
                    &pass.rules,
                    &meta,
                    Scope::Contest,
                    true,
                ));
            }
            RcvFormat::Table => out.push_str(&round_table(&pass.tabulation)),
        }
    }
    print!("{out}");
    Exit::Ok
}

/// Reads the sources and counts every pass. The error is the message to print.
pub(crate) fn count(config: &RctabConfig, base: &Path) -> Result<Vec<Pass>, String> {
    let mut sources = Vec::new();
    let mut problems = String::new();
    for (i, v) in config.sources.iter().enumerate() {
        match serde_json::from_value::<CvrSource>(v.clone()) {
            Ok(s) => sources.push(s),
            Err(e) => problems.push_str(&format!("error: cvrFileSources[{i}]: {e}\n")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let options = ReadOptions { max_rankings: config.max_rankings, verify_signatures: false };
    let (ballots, diags) = read_sources(&sources, base, &options);
    if diags.iter().any(|d| d.is_error()) {
        return Err(format!(
            "{}error: the cast vote records have errors; nothing was counted.\n",
            diagnostics_text(&diags)
        ));
    }
    let slices = SliceRequest {
        by_precinct: config.tabulate_by_precinct,
        by_batch: config.tabulate_by_batch,
    };
    if slices.by_precinct && ballots.precincts.len() <= 1 {
        return Err(
            "error: \"Tabulate by Precinct\" enabled, but CVRs don't list precincts.\n".into()
        );
    }
    if slices.by_batch && ballots.batches.len() <= 1 {
        return Err("error: \"Tabulate by Batch\" enabled, but CVRs don't list batches.\n".into());
    }
    let mut passes = Vec::new();
    let mut contest = config.contest.clone();
    for pass in 0..config.passes {
        let rules = config.rules.clone();
        let t = tabulate(&contest, &rules, &ballots, slices)
            .map_err(|e| format!("error: pass {}: {e}\n", pass + 1))?;
        if config.passes > 1 {
            if t.winners.len() != 1 {
                return Err(format!(
                    "error: pass {} of the multi-pass count elected {} candidates instead of 1\n",
                    pass + 1,
                    t.winners.len()
                ));
            }
            // Earlier winners are excluded from the later passes.
            let w = t.winners[0];
            if let Some(c) = contest.candidates.get_mut(w) {
                c.excluded = true;
            }
        }
        passes.push(Pass { tabulation: t, rules });
    }
    Ok(passes)
}

fn stem_of(config: &Path) -> String {
    let name = config.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    name.strip_suffix("_config").map(str::to_owned).unwrap_or(name)
}

/// RCTab's file-name form of a slice id: characters outside `[A-Za-z0-9_.-]` become `_`.
pub(crate) fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
        .collect()
}

/// Writes RCTab's files: `<stem>[_<pass>]_detailed_report.{json,csv}`, the summary CSV, and the
/// per-precinct or per-batch reports in their sub-directories.
fn write_reports(
    dir: &Path,
    stem: &str,
    config: &RctabConfig,
    passes: &[Pass],
    meta: &ReportMeta,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (k, pass) in passes.iter().enumerate() {
        let prefix = if passes.len() > 1 { format!("{stem}_{}", k + 1) } else { stem.to_owned() };
        let t = &pass.tabulation;
        std::fs::write(
            dir.join(format!("{prefix}_detailed_report.json")),
            summary_json(t, &pass.rules, meta, Scope::Contest),
        )?;
        std::fs::write(
            dir.join(format!("{prefix}_detailed_report.csv")),
            summary_csv(t, &pass.rules, meta, Scope::Contest, true),
        )?;
        std::fs::write(
            dir.join(format!("{prefix}_summary_report.csv")),
            summary_csv(t, &pass.rules, meta, Scope::Contest, false),
        )?;
        for (kind, folder, enabled) in [
            ("precinct", "Tabulate by Precinct", config.tabulate_by_precinct),
            ("batch", "Tabulate by Batch", config.tabulate_by_batch),
        ] {
            if !enabled {
                continue;
            }
            let sub: PathBuf = dir.join(folder);
            std::fs::create_dir_all(&sub)?;
            for (index, id) in slice_ids(config, t, kind) {
                let scope = Scope::Slice { index, kind, id: &id };
                let name = format!("{prefix}_{}_{kind}_detailed_report", sanitize(&id));
                std::fs::write(
                    sub.join(format!("{name}.json")),
                    summary_json(t, &pass.rules, meta, scope),
                )?;
                std::fs::write(
                    sub.join(format!("{name}.csv")),
                    summary_csv(t, &pass.rules, meta, scope, true),
                )?;
            }
        }
    }
    Ok(())
}

/// The slices of one kind with ballots, as (index into `Round::slices`, id).
pub(crate) fn slice_ids(config: &RctabConfig, t: &Tabulation, kind: &str) -> Vec<(usize, String)> {
    let precincts = if config.tabulate_by_precinct { t.precinct_ids.len() } else { 0 };
    match kind {
        "precinct" => {
            t.precinct_ids.iter().enumerate().skip(1).map(|(i, id)| (i, id.clone())).collect()
        }
        _ => t
            .batch_ids
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, id)| (precincts + i, id.clone()))
            .collect(),
    }
}

/// A plain round-by-round table for people.
fn round_table(t: &Tabulation) -> String {
    let a = &t.arith;
    let mut out = String::new();
    for r in &t.rounds {
        out.push_str(&format!("Round {} (threshold {})\n", r.number, a.text(r.threshold)));
        let mut tally = r.contest.tally.clone();
        tally.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (c, v) in tally {
            out.push_str(&format!("  {:<40} {}\n", t.names[c], a.text(v)));
        }
        for &c in &r.elected {
            out.push_str(&format!("  elected: {}\n", t.names[c]));
        }
        for &c in &r.eliminated {
            out.push_str(&format!("  eliminated: {}\n", t.names[c]));
        }
    }
    let winners: Vec<&str> = t.winners.iter().map(|&w| t.names[w].as_str()).collect();
    out.push_str(&format!("Winners: {}\n", winners.join(", ")));
    out
}
