//! `psephos export`: the counted election in a standard format, NIST SP 1500-100 v2 Election
//! Results Reporting JSON (`psephos_io::nist_err` writes it; this file gathers what was counted).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use psephos_count::{FormStatus, StationStatus};
use psephos_io::nist_err::{self, ErrError, ErrOptions, ErrResults, ListSeats, ReportStatus};

use crate::commands::{checked_to_file, counted, io_failed};
use crate::pipeline::Timer;
use crate::{Exit, eprint_lines};

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The election package: a directory with election.toml at its root.
    pub(crate) package: PathBuf,
    /// More result files or directories, read with the package's own.
    #[arg(long = "results", value_name = "PATH")]
    pub(crate) results: Vec<PathBuf>,
    /// Which forms count and are published: `latest`, one phase, or a precedence list such as
    /// `manual,electronic`. Forms of phases left out are not published. Default: the package's
    /// [phases] precedence.
    #[arg(long, value_name = "POLICY")]
    pub(crate) phase: Option<String>,
    /// The export format.
    #[arg(long, value_enum, default_value_t = ExportFormat::NistErr)]
    pub(crate) format: ExportFormat,
    /// The report's status. Default: unofficial-partial while some station ballot has no
    /// counted form, else unofficial-complete.
    #[arg(long, value_enum)]
    pub(crate) status: Option<StatusArg>,
    /// GeneratedDate: a date-time with zone (2025-11-11T21:30:00+03:00), a date (midnight UTC)
    /// or `now`. Default: the package's election date, at midnight UTC.
    #[arg(long, value_name = "ISO|now")]
    pub(crate) generated_date: Option<String>,
    /// SequenceStart..SequenceEnd: the range of the results log the report was built from.
    /// Default: 0..the number of forms read.
    #[arg(long, value_name = "START..END")]
    pub(crate) sequence: Option<String>,
    /// Issuer: the body that publishes the report.
    #[arg(long, default_value = "not stated")]
    pub(crate) issuer: String,
    /// IssuerAbbreviation. Default: the issuer.
    #[arg(long, value_name = "TEXT")]
    pub(crate) issuer_abbreviation: Option<String>,
    /// The language of the package's names, as a BCP 47 tag (ar, en, ku-Arab); `und` when not
    /// known.
    #[arg(long, default_value = "und", value_name = "TAG")]
    pub(crate) language: String,
    /// Mark the report as a test (IsTest), with an optional TestType.
    #[arg(long, value_name = "TYPE", num_args = 0..=1, default_missing_value = "")]
    pub(crate) test: Option<String>,
    /// Set aside forms with errors (listed) and export the rest, instead of stopping.
    #[arg(long)]
    pub(crate) quarantine: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// NIST SP 1500-100 v2 Election Results Reporting, JSON, precinct level.
    NistErr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    UnofficialPartial,
    UnofficialComplete,
    Recount,
    Correction,
    Certified,
}

impl StatusArg {
    fn status(self) -> ReportStatus {
        match self {
            StatusArg::UnofficialPartial => ReportStatus::UnofficialPartial,
            StatusArg::UnofficialComplete => ReportStatus::UnofficialComplete,
            StatusArg::Recount => ReportStatus::Recount,
            StatusArg::Correction => ReportStatus::Correction,
            StatusArg::Certified => ReportStatus::Certified,
        }
    }
}

fn usage(message: &str) -> Exit {
    eprint_lines(&format!("error: {message}\n"));
    Exit::Usage
}

fn parse_sequence(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--sequence {text:?}: write START..END with whole numbers, START <= END");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) =
        (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

/// The current time in UTC, as `YYYY-MM-DDThh:mm:ssZ` (only when the user asks for `now`).
fn now_utc() -> String {
    utc(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()))
}

/// Seconds since 1970 as `YYYY-MM-DDThh:mm:ssZ`.
fn utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

pub(crate) fn export(args: &ExportArgs, quiet: bool) -> Exit {
    let ExportFormat::NistErr = args.format;
    let sequence = match args.sequence.as_deref().map(parse_sequence).transpose() {
        Ok(s) => s,
        Err(m) => return usage(&m),
    };
    let generated = match args.generated_date.as_deref() {
        Some("now") => Some(now_utc()),
        Some(text) => match nist_err::date_time_with_zone(text) {
            Some(d) => Some(d),
            None => {
                return usage(&format!(
                    "--generated-date {text:?} is not a date-time with zone such as 2025-11-11T21:30:00+03:00, a date or now"
                ));
            }
        },
        None => None,
    };
    if args.language.is_empty()
        || !args.language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return usage(&format!(
            "--language {:?} is not a language tag such as ar or en",
            args.language
        ));
    }
    let checked =
        match checked_to_file(&args.package, &args.results, &args.phase, args.quarantine, quiet) {
            Ok(c) => c,
            Err(exit) => return exit,
        };
    let timer = Timer::start();
    let e = &checked.package.election;
    let generated = match generated {
        Some(d) => d,
        None => match nist_err::iso_date(&e.meta.date).and_then(nist_err::date_time_with_zone) {
            Some(d) => d,
            None => {
                return usage(&format!(
                    "the package's date {:?} is not YYYY-MM-DD; give --generated-date",
                    e.meta.date
                ));
            }
        },
    };
    let (_, allocation) = counted(&checked);
    timer.lap("tabulate and allocate");

    let policy = &checked.selection.policy;
    let forms = &checked.forms;
    let published: Vec<u32> = (0..forms.forms.len())
        .filter(|&i| {
            checked.validation.status.get(i) == Some(&FormStatus::Ok)
                && policy.rank(forms.forms[i].key.phase).is_some()
        })
        .map(|i| i as u32)
        .collect();
    let counted_slots: Vec<Option<u32>> = (0..e.stations.len())
        .flat_map(|s| checked.selection.station_ballots(s))
        .map(|status| match status {
            StationStatus::Counted(i) => Some(i),
            StationStatus::Held | StationStatus::Missing => None,
        })
        .collect();
    let mut candidate_seats = vec![0u32; e.candidates.len()];
    for seat in allocation.seats() {
        candidate_seats[seat.candidate.index()] += 1;
    }
    let list_seats: Vec<ListSeats> = allocation
        .contests
        .iter()
        .flat_map(|c| {
            c.lists.iter().filter_map(move |l| {
                Some(ListSeats { contest: c.contest, party: l.party?, seats: l.seats + l.leveling })
            })
        })
        .collect();
    let status = args.status.map_or_else(
        || {
            if checked.selection.missing() + checked.selection.held() > 0 {
                ReportStatus::UnofficialPartial
            } else {
                ReportStatus::UnofficialComplete
            }
        },
        StatusArg::status,
    );
    let (sequence_start, sequence_end) = sequence.unwrap_or((0, forms.forms.len() as u64));
    let options = ErrOptions {
        status,
        generated_date: generated,
        sequence_start,
        sequence_end,
        issuer: args.issuer.clone(),
        issuer_abbreviation: args
            .issuer_abbreviation
            .clone()
            .unwrap_or_else(|| args.issuer.clone()),
        vendor_application_id: format!("psephos {}", env!("CARGO_PKG_VERSION")),
        language: args.language.clone(),
        test: args.test.clone(),
        policy: policy.describe(),
    };
    let results = ErrResults {
        forms,
        published: &published,
        counted: &counted_slots,
        candidate_seats: &candidate_seats,
        list_seats: &list_seats,
    };
    let out = args.out.as_deref();
    let written = match out {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => nist_err::write_err(file, e, &results, &options),
            Err(err) => return io_failed(out, &err),
        },
        None => nist_err::write_err(std::io::stdout(), e, &results, &options),
    };
    timer.lap("export");
    match written {
        Ok(()) => Exit::Ok,
        Err(ErrError::Io(err)) => io_failed(out, &err),
        Err(ErrError::Input(m)) => {
            eprint_lines(&format!("error: cannot export: {m}\n"));
            Exit::InputErrors
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences() {
        assert_eq!(parse_sequence("0..12"), Ok((0, 12)));
        assert_eq!(parse_sequence("5..5"), Ok((5, 5)));
        assert!(parse_sequence("6..5").is_err());
        assert!(parse_sequence("6").is_err());
        assert!(parse_sequence("-1..5").is_err());
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_762_896_600), "2025-11-11T21:30:00Z");
    }

    #[test]
    fn now_is_a_date_time_with_zone() {
        let now = now_utc();
        assert_eq!(nist_err::date_time_with_zone(&now).as_deref(), Some(now.as_str()));
    }
}
