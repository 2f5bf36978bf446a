//! validate, tabulate, allocate and init.

use std::path::Path;

use psephos_count::{Allocation, Tabulation};
use serde_json::json;

use crate::cli::{AllocateArgs, Format, InitArgs, Level, PackageArgs, TabulateArgs, Template};
use crate::output::{
    diagnostic_json, diagnostics_csv, diagnostics_text, percent, thousands, write_output,
};
use crate::pipeline::{Checked, Stop, check};
use crate::views;
use crate::{Exit, eprint_lines};

/// Registered voters of the station ballots without a form (a station counts each missing ballot).
pub(crate) fn missing_registered(c: &Checked) -> u64 {
    let e = &c.package.election;
    (0..e.stations.len())
        .map(|s| {
            let missing = c
                .selection
                .station_ballots(s)
                .filter(|b| matches!(b, psephos_count::StationStatus::Missing))
                .count() as u64;
            missing * u64::from(e.stations[s].registered)
        })
        .sum()
}

/// A one-paragraph account of what was checked.
pub(crate) fn summary(c: &Checked) -> String {
    let e = &c.package.election;
    let stations = e.stations.len() as u64;
    let missing = c.selection.missing() as u64;
    let held = c.selection.held() as u64;
    let missing_registered = missing_registered(c);
    let mut s = format!(
        "Checked {} form(s) in {} file(s) ({} row(s)) against {} stations, {} contests and {} candidates: {} error(s), {} warning(s).\n",
        thousands(c.forms.forms.len() as u64),
        c.files,
        thousands(c.rows),
        thousands(stations),
        e.contests.len(),
        thousands(e.candidates.len() as u64),
        thousands(c.errors() as u64),
        thousands(c.warnings() as u64),
    );
    // With ballot papers of their own for some contests, each station counts several ballots.
    let ballots = c.selection.ballots() as u64;
    s.push_str(&format!(
        "{} with a counted form under the {} policy: {} of {}",
        if ballots == stations { "Stations" } else { "Station ballots" },
        c.selection.policy.describe(),
        thousands(ballots - missing - held),
        thousands(ballots)
    ));
    if missing > 0 {
        s.push_str(&format!(
            "; {} without a form, holding {} registered voters ({}% of the register)",
            thousands(missing),
            thousands(missing_registered),
            percent(missing_registered, e.total_registered())
        ));
    }
    if held > 0 {
        s.push_str(&format!(
            "; {} held back because their latest form has errors",
            thousands(held)
        ));
    }
    s.push_str(".\n");
    s
}

fn stop(stop: Stop, format: Format, out: Option<&Path>) -> Exit {
    match stop {
        Stop::Usage(message) => {
            eprint_lines(&format!("error: {message}\n"));
            Exit::Usage
        }
        Stop::Package(diags) => {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let text = match format {
                Format::Json => {
                    json!({
                        "ok": false,
                        "errors": errors,
                        "warnings": diags.len() - errors,
                        "diagnostics": diags.iter().map(diagnostic_json).collect::<Vec<_>>(),
                    })
                    .to_string()
                        + "\n"
                }
                Format::Csv => diagnostics_csv(&diags),
                Format::Table => format!(
                    "{}The election package has {errors} error(s); fix them before its forms can be checked.\n",
                    diagnostics_text(&diags)
                ),
            };
            match write_output(out, &text) {
                Ok(()) => Exit::InputErrors,
                Err(e) => io_failed(out, &e),
            }
        }
    }
}

pub(crate) fn io_failed(out: Option<&Path>, e: &std::io::Error) -> Exit {
    let target = out.map_or("standard output".to_owned(), |p| p.display().to_string());
    eprint_lines(&format!("error: cannot write {target}: {e}\n"));
    Exit::Io
}

pub(crate) fn validate(args: &PackageArgs, quiet: bool) -> Exit {
    let out = args.out.as_deref();
    let checked = match check(&args.package, &args.results, args.phase.as_deref(), quiet) {
        Ok(c) => c,
        Err(s) => return stop(s, args.format, out),
    };
    let text = match args.format {
        Format::Table => format!("{}{}", diagnostics_text(&checked.diagnostics), summary(&checked)),
        Format::Csv => diagnostics_csv(&checked.diagnostics),
        Format::Json => validation_json(&checked).to_string() + "\n",
    };
    if let Err(e) = write_output(out, &text) {
        return io_failed(out, &e);
    }
    if checked.errors() > 0 { Exit::InputErrors } else { Exit::Ok }
}

fn validation_json(c: &Checked) -> serde_json::Value {
    let e = &c.package.election;
    let missing_registered = missing_registered(c);
    json!({
        "ok": c.errors() == 0,
        "errors": c.errors(),
        "warnings": c.warnings(),
        "files": c.files,
        "rows": c.rows,
        "forms": c.forms.forms.len(),
        "phase_policy": c.selection.policy.describe(),
        "stations": {
            "expected": c.selection.ballots(),
            "counted": c.selection.ballots() - c.selection.missing() - c.selection.held(),
            "missing": c.selection.missing(),
            "held": c.selection.held(),
            "missing_registered": missing_registered,
            "missing_registered_percent": crate::output::percent_json(missing_registered, e.total_registered()),
        },
        "diagnostics": c.diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
        "apportionment": views::apportionment_json(e),
    })
}

/// [`checked_for_counting`] for commands that write a file of their own (`report`, `export`):
/// the package's problems, if any, are listed as a table on standard output.
pub(crate) fn checked_to_file(
    package: &std::path::Path,
    results: &[std::path::PathBuf],
    phase: &Option<String>,
    quarantine: bool,
    quiet: bool,
) -> Result<Checked, Exit> {
    let args = PackageArgs {
        package: package.to_path_buf(),
        results: results.to_vec(),
        phase: phase.clone(),
        format: Format::Table,
        out: None,
    };
    checked_for_counting(&args, quarantine, quiet)
}

/// Checks, then either stops on errors or reports what is quarantined and goes on.
pub(crate) fn checked_for_counting(
    args: &PackageArgs,
    quarantine: bool,
    quiet: bool,
) -> Result<Checked, Exit> {
    let out = args.out.as_deref();
    let checked = check(&args.package, &args.results, args.phase.as_deref(), quiet)
        .map_err(|s| stop(s, args.format, out))?;
    let errors = checked.errors();
    if errors > 0 && !quarantine {
        // The output is the list of problems, in the format asked for; nothing is counted.
        let text = match args.format {
            Format::Json => validation_json(&checked).to_string() + "\n",
            Format::Csv => diagnostics_csv(&checked.diagnostics),
            Format::Table => diagnostics_text(&checked.diagnostics),
        };
        if let Err(e) = write_output(out, &text) {
            return Err(io_failed(out, &e));
        }
        eprint_lines(&format!(
            "error: the input has {errors} error(s); nothing was counted. Fix them (see `psephos validate`), or pass --quarantine to set the faulty forms aside.\n"
        ));
        return Err(Exit::InputErrors);
    }
    let mut notes = String::new();
    if errors > 0 {
        for d in checked.diagnostics.iter().filter(|d| d.is_error()) {
            notes.push_str(&d.to_string());
            notes.push('\n');
        }
        let quarantined = checked
            .validation
            .status
            .iter()
            .filter(|s| **s == psephos_count::FormStatus::Invalid)
            .count();
        notes.push_str(&format!(
            "warning: quarantined {quarantined} form(s) with errors and every row that could not be read ({errors} error(s) above); {} station(s) held back.\n",
            checked.selection.held()
        ));
    }
    let warnings = checked.warnings();
    if warnings > 0 {
        notes.push_str(&format!("note: {warnings} warning(s); `psephos validate` lists them.\n"));
    }
    let stations = checked.package.election.stations.len();
    let counted = checked.selection.counted().count();
    // Ranked contests are counted from their ballots, whatever the stations.
    let ranked = !checked.ranked.is_empty();
    if counted == 0 && !ranked {
        eprint_lines(&notes);
        eprint_lines(&format!(
            "error: no station has a form that the {} policy counts; there is nothing to count.\n",
            checked.selection.policy.describe()
        ));
        return Err(Exit::InputErrors);
    }
    let ballots = checked.selection.ballots();
    for r in checked.ranked.iter().filter(|r| r.errors) {
        notes.push_str(&format!(
            "warning: the ballots of ranked contest {} have errors: records with errors are left out of its count, and a ballot naming an unknown candidate stops it (its seats are then left empty).\n",
            checked.package.election.contest(r.contest).id
        ));
    }
    if counted < ballots {
        notes.push_str(&format!(
            "note: provisional: {} of {} {} counted.\n",
            thousands(counted as u64),
            thousands(ballots as u64),
            if ballots == stations { "stations" } else { "station ballots" }
        ));
    }
    eprint_lines(&notes);
    Ok(checked)
}

pub(crate) fn tabulate(args: &TabulateArgs, quiet: bool) -> Exit {
    let c = &args.common;
    let checked = match checked_for_counting(c, args.quarantine, quiet) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let e = &checked.package.election;
    let t = psephos_count::tabulate(e, &checked.forms, &checked.selection);
    let text = match c.format {
        Format::Json => views::tabulation_json(e, &t, &checked.selection).to_string() + "\n",
        Format::Csv => views::tabulation_csv(e, &t, args.level.unwrap_or(Level::Candidate)),
        Format::Table => views::tabulation_table(e, &t, &checked.selection, args.level),
    };
    match write_output(c.out.as_deref(), &text) {
        Ok(()) => Exit::Ok,
        Err(err) => io_failed(c.out.as_deref(), &err),
    }
}

pub(crate) fn counted(checked: &Checked) -> (Tabulation, Allocation) {
    let e = &checked.package.election;
    let t = psephos_count::tabulate(e, &checked.forms, &checked.selection);
    let aliases = &checked.package.aliases;
    let a = psephos_count::allocate_with_ranked(e, &t, &checked.ranked, &|c| {
        aliases.get(c.index()).cloned().unwrap_or_default()
    });
    (t, a)
}

pub(crate) fn allocate(args: &AllocateArgs, quiet: bool) -> Exit {
    let c = &args.common;
    let checked = match checked_for_counting(c, args.quarantine, quiet) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let e = &checked.package.election;
    let (t, a) = counted(&checked);
    let text = match c.format {
        Format::Json => {
            serde_json::to_string_pretty(&views::allocation_json(e, &t, &a, &checked.selection))
                .unwrap_or_default()
                + "\n"
        }
        Format::Csv => views::allocation_csv(e, &a),
        Format::Table => views::allocation_table(e, &t, &a, args.seats),
    };
    match write_output(c.out.as_deref(), &text) {
        Ok(()) => Exit::Ok,
        Err(err) => io_failed(c.out.as_deref(), &err),
    }
}

pub(crate) fn init(args: &InitArgs) -> Exit {
    if args.dir.join(psephos_io::ELECTION_TOML).exists() && !args.force {
        eprint_lines(&format!(
            "error: {} already holds an election package; choose another directory or pass --force to overwrite it\n",
            args.dir.display()
        ));
        return Exit::Io;
    }
    let parts = match args.template {
        // The seed is drawn in public before the count; until then it is empty (warning W011).
        Template::Iraq2021 => psephos_synth::iraq::iraq_2021(""),
        Template::Iraq2018 => psephos_synth::templates::iraq_2018(""),
        Template::Spain => psephos_synth::templates::spain(""),
        Template::Norway => psephos_synth::templates::norway(""),
        Template::UsHouse => psephos_synth::templates::us_house(""),
        Template::Bundestag2017 => psephos_synth::templates::bundestag_2017(""),
    };
    let election = psephos_model::Election::new(parts);
    match psephos_io::write_package(&args.dir, &election) {
        Ok(()) => {
            eprint_lines(&format!(
                "Wrote an empty {} package to {}: {} contests ({} seats) in election.toml and contests.csv; add parties, coalitions, candidates and stations, then result forms under results/.\n",
                match args.template {
                    Template::Iraq2021 => "iraq-2021",
                    Template::Iraq2018 => "iraq-2018",
                    Template::Spain => "spain",
                    Template::Norway => "norway",
                    Template::UsHouse => "us-house",
                    Template::Bundestag2017 => "bundestag-2017",
                },
                args.dir.display(),
                election.contests.len(),
                election.total_seats()
            ));
            Exit::Ok
        }
        Err(e) => {
            eprint_lines(&format!("error: cannot write {}: {e}\n", args.dir.display()));
            Exit::Io
        }
    }
}
