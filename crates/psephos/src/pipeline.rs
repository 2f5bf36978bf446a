//! The shared front of validate, tabulate and allocate: load the package, read every form,
//! validate, select.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use psephos_count::{Selection, Validation};
use psephos_io::Package;
use psephos_model::{Diagnostic, FormSet, Phase, PhasePolicy};

/// Everything known after reading and checking.
pub(crate) struct Checked {
    pub(crate) package: Package,
    pub(crate) forms: FormSet,
    pub(crate) files: usize,
    pub(crate) rows: u64,
    pub(crate) validation: Validation,
    pub(crate) selection: Selection,
    /// The ballots of the ranked contests (instant-runoff, STV), as read.
    pub(crate) ranked: Vec<psephos_count::RankedBallots>,
    /// Every diagnostic: package warnings, reading, validation, missing stations; sorted.
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub(crate) fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
    pub(crate) fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }
}

/// Why the pipeline stopped before it could check the forms.
pub(crate) enum Stop {
    /// The package definition has errors (all listed).
    Package(Vec<Diagnostic>),
    /// The command line is wrong.
    Usage(String),
}

/// Parses `--phase`: `latest`, a phase, or a comma-separated precedence.
pub(crate) fn parse_policy(text: &str) -> Result<PhasePolicy, String> {
    if text == "latest" {
        return Ok(PhasePolicy::latest());
    }
    let mut precedence = Vec::new();
    for part in text.split(',').map(str::trim) {
        let phase = Phase::parse(part).ok_or_else(|| {
            format!("--phase: {part:?} is not a phase; use latest, electronic, manual, recount, correction or a list such as manual,electronic")
        })?;
        if !precedence.contains(&phase) {
            precedence.push(phase);
        }
    }
    Ok(PhasePolicy { precedence })
}

/// A progress bar counting bytes, hidden when `quiet`.
pub(crate) fn spinner(quiet: bool, len: u64, what: &'static str) -> ProgressBar {
    styled_bar(quiet, len, what, "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {elapsed}")
}

/// A progress bar counting items (`pos/len`), hidden when `quiet`.
pub(crate) fn bar(quiet: bool, len: u64, what: &'static str) -> ProgressBar {
    styled_bar(quiet, len, what, "{msg:>10} [{bar:40}] {human_pos}/{human_len} {elapsed}")
}

fn styled_bar(quiet: bool, len: u64, what: &'static str, template: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

/// Loads the package and its forms, validates them and selects the form per station.
pub(crate) fn check(
    package_dir: &Path,
    extra_results: &[PathBuf],
    phase: Option<&str>,
    quiet: bool,
) -> Result<Checked, Stop> {
    let policy = phase.map(parse_policy).transpose().map_err(Stop::Usage)?;
    let timer = Timer::start();
    let package =
        psephos_io::load_package(package_dir).map_err(|e| Stop::Package(e.diagnostics))?;
    timer.lap("load package");
    let mut paths = package.results.clone();
    paths.extend(extra_results.iter().cloned());
    let (files, discovered) = psephos_io::discover_results(&paths);
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).sum();
    let bar = spinner(quiet, total, "reading");
    let mut read = psephos_io::read_results(&package.election, &files, &|n| bar.inc(n));
    bar.finish_and_clear();
    timer.lap("read results");
    read.diagnostics.splice(0..0, discovered);
    check_read(package, read, files.len(), policy, &timer)
}

/// Validates forms already read (from files or from a ledger) and selects the form per
/// station, exactly as [`check`] does.
pub(crate) fn check_read(
    package: Package,
    read: psephos_io::ResultsRead,
    files: usize,
    policy: Option<PhasePolicy>,
    timer: &Timer,
) -> Result<Checked, Stop> {
    let mut diagnostics = Vec::new();
    let election = &package.election;
    let validation = psephos_count::validate(election, &read.forms);
    timer.lap("validate");
    let policy = policy.unwrap_or_else(|| election.phase_policy.clone());
    let selection = psephos_count::select(election, &read.forms, &validation, &policy);
    timer.lap("select");
    let (ranked, ranked_diagnostics) = psephos_io::read_ranked_ballots(&package);
    if !ranked.is_empty() {
        timer.lap("read ranked ballots");
    }

    diagnostics.extend(package.warnings.iter().cloned());
    diagnostics.extend(read.diagnostics);
    diagnostics.extend(validation.diagnostics.iter().cloned());
    diagnostics.extend(ranked_diagnostics);
    let stations_file = package.stations_file.clone();
    for d in &selection.diagnostics {
        let mut d = d.clone();
        if let Some(line) = d.station.as_deref().and_then(|s| package.station_line(s)) {
            d = d.at(stations_file.clone(), line);
        }
        diagnostics.push(d);
    }
    diagnostics.sort();
    Ok(Checked {
        files,
        rows: read.rows,
        forms: read.forms,
        package,
        validation,
        selection,
        ranked,
        diagnostics,
    })
}

/// Phase timings on standard error when `PSEPHOS_TIMINGS` is set (for benchmarks).
pub(crate) struct Timer {
    start: Option<std::time::Instant>,
}

impl Timer {
    pub(crate) fn start() -> Timer {
        Timer { start: std::env::var_os("PSEPHOS_TIMINGS").map(|_| std::time::Instant::now()) }
    }

    pub(crate) fn lap(&self, what: &str) {
        if let Some(start) = self.start {
            let memory = std::fs::read_to_string("/proc/self/status")
                .map(|status| {
                    status
                        .lines()
                        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            // utime and stime, in clock ticks (fields 14 and 15 of /proc/self/stat; the name
            // in field 2 may hold spaces, so count from its closing parenthesis).
            let cpu = std::fs::read_to_string("/proc/self/stat")
                .ok()
                .and_then(|stat| {
                    let fields: Vec<u64> = stat
                        .rsplit_once(')')?
                        .1
                        .split_whitespace()
                        .skip(11)
                        .take(2)
                        .filter_map(|f| f.parse().ok())
                        .collect();
                    Some(fields.iter().sum::<u64>() as f64 / 100.0)
                })
                .unwrap_or(0.0);
            crate::eprint_lines(&format!(
                "timing: {what} done at {:.3} s, {cpu:.2} s of CPU ({memory})\n",
                start.elapsed().as_secs_f64()
            ));
        }
    }
}
