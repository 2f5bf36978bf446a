//! `psephos demo`: generate, write, then read back and count like any package.

use std::collections::BTreeMap;
use std::path::Path;

use psephos_model::{ContestIdx, Gender, Phase};
use rayon::prelude::*;

use crate::cli::{DemoArgs, Format};
use crate::commands::{counted, summary};
use crate::output::{percent, thousands, write_output};
use crate::pipeline::{Stop, check};
use crate::views;
use crate::{Exit, eprint_lines};

/// Marks a directory as written by `psephos demo`, so that a later run may replace it.
const MARKER: &str = ".psephos-demo";

pub(crate) fn demo(args: &DemoArgs, quiet: bool) -> Exit {
    let package_dir = args.out.join("package");
    if package_dir.exists() {
        if !package_dir.join(MARKER).exists() {
            eprint_lines(&format!(
                "error: {} exists and was not written by psephos demo; choose another --out\n",
                package_dir.display()
            ));
            return Exit::Io;
        }
        if let Err(e) = std::fs::remove_dir_all(&package_dir) {
            eprint_lines(&format!("error: cannot replace {}: {e}\n", package_dir.display()));
            return Exit::Io;
        }
    }
    let config = psephos_synth::DemoConfig {
        seed: args.seed,
        stations: args.stations,
        candidates: args.candidates,
        stuffing_percent: args.stuffing,
    };
    let districts = 83;
    let progress = crate::pipeline::bar(quiet, districts, "generating");
    let demo = psephos_synth::generate(&config, &|n| progress.inc(n));
    progress.finish_and_clear();
    if let Err(e) = write_demo(&package_dir, &demo, quiet) {
        eprint_lines(&format!(
            "error: cannot write the demo package to {}: {e}\n",
            package_dir.display()
        ));
        return Exit::Io;
    }

    // Read it back like any package.
    let checked = match check(&package_dir, &[], None, quiet) {
        Ok(c) => c,
        Err(Stop::Package(diags)) => {
            eprint_lines(&crate::output::diagnostics_text(&diags));
            return Exit::InputErrors;
        }
        Err(Stop::Usage(m)) => {
            eprint_lines(&format!("error: {m}\n"));
            return Exit::Usage;
        }
    };
    if checked.errors() > 0 {
        eprint_lines(&crate::output::diagnostics_text(&checked.diagnostics));
        return Exit::InputErrors;
    }
    let e = &checked.package.election;
    let (t, a) = counted(&checked);
    let seats_json = views::allocation_json(e, &t, &a, &checked.selection);
    let seats_path = args.out.join("seats.json");
    if let Err(err) = std::fs::write(
        &seats_path,
        serde_json::to_string_pretty(&seats_json).unwrap_or_default() + "\n",
    ) {
        eprint_lines(&format!("error: cannot write {}: {err}\n", seats_path.display()));
        return Exit::Io;
    }
    // A station-level audit plan for every district at a 5 % risk limit (`psephos audit plan`).
    let audit_path = args.out.join("audit-plan.json");
    let audit_summary = match crate::audit_workflow::plan_from_checked(&checked, 0.05, None) {
        Ok((state, summary)) => {
            if let Err(err) = std::fs::write(&audit_path, crate::audit_workflow::state_text(&state))
            {
                eprint_lines(&format!("error: cannot write {}: {err}\n", audit_path.display()));
                return Exit::Io;
            }
            summary.lines().next().unwrap_or_default().to_owned()
        }
        Err(exit) => return exit,
    };
    // The signed ledger and the published bundle (`psephos verify DIR/bundle`).
    let ledger = match crate::ledger::demo_ledger(&args.out, &package_dir, &checked, args.seed) {
        Ok(l) => l,
        Err(failure) => return failure.report(),
    };
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&seats_json).unwrap_or_default() + "\n",
        Format::Csv => views::allocation_csv(e, &a),
        Format::Table => {
            let women = e.candidates.iter().filter(|c| c.gender == Gender::Female).count() as u64;
            let centres = &e.centres;
            let manual =
                demo.forms.forms.iter().filter(|f| f.key.phase == Phase::Manual).count() as u64;
            let recount =
                demo.forms.forms.iter().filter(|f| f.key.phase == Phase::Recount).count() as u64;
            let mut s = format!(
                "{} (synthetic, seed {}): {} governorates, {} contests, {} seats; {} candidates ({} women); {} stations in {} centres; {} registered.\n",
                e.meta.name,
                args.seed,
                e.governorates.len(),
                e.contests.len(),
                e.total_seats(),
                thousands(e.candidates.len() as u64),
                thousands(women),
                thousands(e.stations.len() as u64),
                thousands(centres.len() as u64),
                thousands(e.total_registered()),
            );
            s.push_str(&format!(
                "Wrote {} (electronic forms for every station, manual forms for {} stations drawn one per centre, recount forms for {} stations) and {}.\n",
                package_dir.display(),
                thousands(manual),
                thousands(recount),
                seats_path.display()
            ));
            s.push_str(&format!("{audit_summary} Wrote {}.\n", audit_path.display()));
            s.push_str(&format!(
                "Signed ledger: {} entries (genesis and every form, each signed by its station's device or the national centre's operator), {} witnessed checkpoints, root {}; wrote {}, {} and {} demo keys under {}. Check it with `psephos verify {}`.\n",
                thousands(ledger.entries),
                ledger.checkpoints,
                ledger.root,
                args.out.join("ledger").display(),
                args.out.join("bundle").display(),
                ledger.keys,
                args.out.join("keys").display(),
                args.out.join("bundle").display(),
            ));
            s.push_str(&summary(&checked));
            s.push_str(&format!(
                "Turnout {}% ({} ballots of {} registered); {} blank, {} invalid.\n\n",
                percent(t.nation.ballots_found, t.nation.registered_reporting),
                thousands(t.nation.ballots_found),
                thousands(t.nation.registered_reporting),
                thousands(t.nation.blank),
                thousands(t.nation.invalid),
            ));
            s.push_str(&views::allocation_table(e, &t, &a, false));
            s
        }
    };
    match write_output(None, &text) {
        Ok(()) => Exit::Ok,
        Err(_) => Exit::Io,
    }
}

/// Writes the package and one wide CSV per district and phase under `results/<phase>/`.
fn write_demo(dir: &Path, demo: &psephos_synth::Demo, quiet: bool) -> std::io::Result<()> {
    psephos_io::write_package(dir, &demo.election)?;
    std::fs::write(
        dir.join(MARKER),
        "written by psephos demo; a later run may replace this directory\n",
    )?;
    let mut groups: BTreeMap<(Phase, ContestIdx), Vec<usize>> = BTreeMap::new();
    for (i, f) in demo.forms.forms.iter().enumerate() {
        groups.entry((f.key.phase, f.key.contest)).or_default().push(i);
    }
    for phase in groups.keys().map(|k| k.0).collect::<std::collections::BTreeSet<_>>() {
        std::fs::create_dir_all(dir.join("results").join(phase.as_str()))?;
    }
    let progress = crate::pipeline::bar(quiet, groups.len() as u64, "writing");
    let groups: Vec<_> = groups.into_iter().collect();
    groups.par_iter().try_for_each(|((phase, contest), forms)| {
        let path = dir
            .join("results")
            .join(phase.as_str())
            .join(format!("{}.csv", demo.election.contest(*contest).id));
        let r = psephos_io::write_forms_wide(&path, &demo.election, *contest, &demo.forms, forms);
        progress.inc(1);
        r
    })?;
    progress.finish_and_clear();
    Ok(())
}
