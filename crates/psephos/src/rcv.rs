//! `psephos rcv`: ranked-choice counts. With `--rctab-config`, an RCTab contest configuration is
//! read as is (its CVR sources, candidates and rules) and counted as RCTab counts it, with
//! RCTab's result files.

use std::path::{Path, PathBuf};

use psephos_io::cvr::convert::{ConvertContest, ConvertSource, cdf_cvr_json, rctab_cvr_csv};
use psephos_io::cvr::{
    CvrRecord, CvrSource, ReadOptions, read_sources, read_sources_records, unrecognized_labels,
};
use psephos_io::rctab_config::{RctabConfig, parse_rctab_config};
use psephos_io::urcvt::{ReportMeta, Scope, summary_csv, summary_json};
use psephos_rcv::rctab::{SliceRequest, Tabulation, tabulate};

use crate::cli::{ConvertTo, IrishPapers, RcvArgs, RcvFormat, RcvMethod, RcvTiebreak};
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
    if let Some(path) = &args.ballots {
        return direct(args, path);
    }
    let Some(config_path) = &args.rctab_config else {
        eprint_lines("error: give a ballot file (BLT or PrefLib) or --rctab-config FILE\n");
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
    if let Some(to) = args.convert_to {
        return convert(args, to, config_path, &config, &base);
    }
    // The CDF export needs every record; reading them one by one costs more, so only then.
    let mut records = (args.out.is_some() && config.generate_cdf_json).then(Vec::new);
    let passes = match count_records(&config, &base, records.as_mut()) {
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
        let written = write_reports(dir, &stem, &config, &passes, &meta).and_then(|()| {
            let Some(records) = &records else { return Ok(()) };
            eprint_lines(
                "warning: the CDF JSON holds each record's original snapshot only; RCTab also writes one snapshot per round\n",
            );
            let text = conversion(ConvertTo::Cdf, &config, records);
            std::fs::write(dir.join(format!("{stem}_cdf_cvr.json")), text)
        });
        return match written {
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
            RcvFormat::Json => {
                out.push_str(&tabulation_json(&pass.tabulation, "rctab", &pass.rules));
                out.push('\n');
            }
            RcvFormat::Transcript => {
                eprint_lines("error: --format transcript is for --method meek\n");
                return Exit::Usage;
            }
        }
    }
    print!("{out}");
    Exit::Ok
}

/// The config's CVR sources. The error is the message to print.
fn sources_of(config: &RctabConfig) -> Result<Vec<CvrSource>, String> {
    let mut sources = Vec::new();
    let mut problems = String::new();
    for (i, v) in config.sources.iter().enumerate() {
        match serde_json::from_value::<CvrSource>(v.clone()) {
            Ok(s) => sources.push(s),
            Err(e) => problems.push_str(&format!("error: cvrFileSources[{i}]: {e}\n")),
        }
    }
    if problems.is_empty() { Ok(sources) } else { Err(problems) }
}

/// Reads the sources and counts every pass, also keeping every record as read (with its
/// source's index) when `records` is given. The error is the message to print.
fn count_records(
    config: &RctabConfig,
    base: &Path,
    records: Option<&mut Vec<(usize, CvrRecord)>>,
) -> Result<Vec<Pass>, String> {
    let sources = sources_of(config)?;
    let options = ReadOptions { max_rankings: config.max_rankings, verify_signatures: false };
    let (ballots, diags) = match records {
        None => read_sources(&sources, base, &options),
        Some(records) => read_sources_records(&sources, base, &options, &mut |i, r| {
            records.push((i, r.clone()));
        }),
    };
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

/// `--convert-to`: RCTab's conversion of the config's records, into `--out` or to standard
/// output.
fn convert(
    args: &RcvArgs,
    to: ConvertTo,
    config_path: &Path,
    config: &RctabConfig,
    base: &Path,
) -> Exit {
    let sources = match sources_of(config) {
        Ok(s) => s,
        Err(message) => {
            eprint_lines(&message);
            return Exit::InputErrors;
        }
    };
    let options = ReadOptions { max_rankings: config.max_rankings, verify_signatures: false };
    let mut records = Vec::new();
    let (ballots, mut diags) = read_sources_records(&sources, base, &options, &mut |i, r| {
        records.push((i, r.clone()));
    });
    let known = known_labels(config);
    diags.extend(unrecognized_labels(&ballots, |l| known.contains_key(l)));
    if diags.iter().any(|d| d.is_error()) {
        eprint_lines(&format!(
            "{}error: the cast vote records have errors; nothing was converted.\n",
            diagnostics_text(&diags)
        ));
        return Exit::InputErrors;
    }
    if !diags.is_empty() {
        eprint_lines(&diagnostics_text(&diags));
    }
    let text = conversion(to, config, &records);
    let Some(dir) = &args.out else {
        print!("{text}");
        return Exit::Ok;
    };
    let stem = stem_of(config_path);
    let name = match to {
        ConvertTo::Csv => format!("{stem}_rctab_cvr.csv"),
        ConvertTo::Cdf => format!("{stem}_cdf_cvr.json"),
    };
    match std::fs::create_dir_all(dir).and_then(|()| std::fs::write(dir.join(name), text)) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprint_lines(&format!("error: cannot write {}: {e}\n", dir.display()));
            Exit::Io
        }
    }
}

/// Every label a record may use, mapped to the candidate's name (RCTab's
/// `candidateAliasesToNameMap`): names, aliases, and the write-in and overvote tokens.
fn known_labels(config: &RctabConfig) -> std::collections::HashMap<String, String> {
    let mut known = std::collections::HashMap::new();
    for c in &config.contest.candidates {
        for a in &c.aliases {
            known.entry(a.clone()).or_insert_with(|| c.name.clone());
        }
    }
    for c in &config.contest.candidates {
        known.insert(c.name.clone(), c.name.clone());
    }
    let uwi = psephos_io::cvr::UNDECLARED_WRITE_INS;
    if config.contest.undeclared_write_ins {
        known.insert(uwi.to_owned(), uwi.to_owned());
    }
    known.insert(psephos_io::cvr::OVERVOTE.to_owned(), psephos_io::cvr::OVERVOTE.to_owned());
    known
}

/// The text of a conversion of these records.
fn conversion(to: ConvertTo, config: &RctabConfig, records: &[(usize, CvrRecord)]) -> String {
    let known = known_labels(config);
    let name_of = |l: &str| known.get(l).cloned();
    let mut names: Vec<String> = config.contest.candidates.iter().map(|c| c.name.clone()).collect();
    if config.contest.undeclared_write_ins {
        names.push(psephos_io::cvr::UNDECLARED_WRITE_INS.to_owned());
    }
    let declared = u32::try_from(config.contest.candidates.len()).unwrap_or(u32::MAX);
    let contest = ConvertContest {
        name: &config.contest_name,
        jurisdiction: &config.jurisdiction,
        candidate_names: &names,
        name_of: &name_of,
        max_rank: config.max_rankings.unwrap_or(declared),
        by_precinct: config.tabulate_by_precinct,
    };
    let text = |v: &serde_json::Value, key: &str| {
        v.get(key).and_then(serde_json::Value::as_str).unwrap_or_default().trim().to_owned()
    };
    let sources: Vec<ConvertSource> = config
        .sources
        .iter()
        .map(|v| ConvertSource {
            file_path: text(v, "filePath"),
            provider: text(v, "provider"),
            uwi_label: text(v, "undeclaredWriteInLabel"),
            overvote_label: text(v, "overvoteLabel"),
        })
        .collect();
    match to {
        ConvertTo::Csv => rctab_cvr_csv(&contest, &sources, records),
        ConvertTo::Cdf => cdf_cvr_json(&contest, &sources, records, &generated_date()),
    }
}

/// `GeneratedDate` as RCTab writes it (`yyyy-MM-dd'T'HH:mm:ssXXX`), in UTC.
fn generated_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

/// Counts a BLT or PrefLib ballot file by the method asked for.
fn direct(args: &RcvArgs, path: &Path) -> Exit {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let (file, diags) = match ext.as_str() {
        "blt" => psephos_io::read_blt(path),
        "soi" | "toi" | "soc" | "toc" => psephos_io::read_preflib(path),
        _ => {
            eprint_lines(&format!(
                "error: {}: give a BLT (.blt) or PrefLib (.soi, .toi, .soc, .toc) file, or an RCTab configuration with --rctab-config\n",
                path.display()
            ));
            return Exit::Usage;
        }
    };
    if !diags.is_empty() {
        eprint_lines(&diagnostics_text(&diags));
    }
    if diags.iter().any(|d| d.is_error()) {
        eprint_lines("error: the ballot file has errors; nothing was counted.\n");
        return Exit::InputErrors;
    }
    let seats = args.seats.or(file.seats).unwrap_or(1);
    if seats == 0 {
        eprint_lines("error: --seats must be at least 1\n");
        return Exit::Usage;
    }
    let out = match args.method {
        RcvMethod::ScottishStv => {
            let result = match args.tiebreak {
                RcvTiebreak::Order => {
                    let mut t = psephos_rcv::stv::CandidateOrder::default();
                    psephos_rcv::stv::scottish::count(
                        &file.ballots,
                        &file.candidates,
                        &file.withdrawn,
                        seats as usize,
                        &mut t,
                    )
                }
                RcvTiebreak::Lot => {
                    let mut t = psephos_rcv::stv::Lot::new(&args.seed);
                    psephos_rcv::stv::scottish::count(
                        &file.ballots,
                        &file.candidates,
                        &file.withdrawn,
                        seats as usize,
                        &mut t,
                    )
                }
            };
            let count = match result {
                Ok(c) => c,
                Err(e) => {
                    eprint_lines(&format!("error: {e}\n"));
                    return Exit::InputErrors;
                }
            };
            match args.format {
                RcvFormat::Json => format!("{}\n", stv_json(&count, "scottish-stv")),
                RcvFormat::Table => stv_table(&count),
                RcvFormat::Urcvt | RcvFormat::Csv | RcvFormat::Transcript => {
                    eprint_lines(
                        "error: --format urcvt and csv are RCTab's reports, for --method irv and stv; transcript is for meek\n",
                    );
                    return Exit::Usage;
                }
            }
        }
        RcvMethod::Irv | RcvMethod::Stv => {
            if args.method == RcvMethod::Irv && seats != 1 {
                eprint_lines("error: instant-runoff fills one seat; use --method stv for more\n");
                return Exit::Usage;
            }
            let seed = match args.tiebreak {
                RcvTiebreak::Lot => match args.seed.trim().parse::<i64>() {
                    Ok(s) => Some(s),
                    Err(_) => {
                        eprint_lines("error: --seed must be a whole number for irv and stv lots\n");
                        return Exit::Usage;
                    }
                },
                RcvTiebreak::Order => None,
            };
            let contest = psephos_rcv::rctab::Contest {
                candidates: file
                    .candidates
                    .iter()
                    .enumerate()
                    .map(|(i, name)| psephos_rcv::rctab::Candidate {
                        name: name.clone(),
                        aliases: vec![(i + 1).to_string()],
                        excluded: file.withdrawn.contains(&i),
                    })
                    .collect(),
                undeclared_write_ins: false,
            };
            let rules = psephos_rcv::rctab::Rules {
                mode: if args.method == RcvMethod::Irv {
                    psephos_rcv::rctab::WinnerMode::SingleWinnerMajority
                } else {
                    psephos_rcv::rctab::WinnerMode::MultiWinnerAllowMultipleWinnersPerRound
                },
                seats,
                // Equal preferences end a ballot, as an overvote does.
                overvote: psephos_rcv::rctab::OvervoteRule::ExhaustImmediately,
                tiebreak: if seed.is_some() {
                    psephos_rcv::rctab::TieBreakMode::Random
                } else {
                    psephos_rcv::rctab::TieBreakMode::UseCandidateOrder
                },
                random_seed: seed,
                ..psephos_rcv::rctab::Rules::default()
            };
            let t = match tabulate(&contest, &rules, &file.ballots, SliceRequest::default()) {
                Ok(t) => t,
                Err(e) => {
                    eprint_lines(&format!("error: {e}\n"));
                    return Exit::InputErrors;
                }
            };
            let meta = ReportMeta {
                contest: file.title.clone().unwrap_or_default(),
                generated_by: generated_by(),
                ..ReportMeta::default()
            };
            let method = if args.method == RcvMethod::Irv { "irv" } else { "stv" };
            match args.format {
                RcvFormat::Table => round_table(&t),
                RcvFormat::Json => format!("{}\n", tabulation_json(&t, method, &rules)),
                RcvFormat::Urcvt => {
                    format!("{}\n", summary_json(&t, &rules, &meta, Scope::Contest))
                }
                RcvFormat::Csv => summary_csv(&t, &rules, &meta, Scope::Contest, true),
                RcvFormat::Transcript => {
                    eprint_lines("error: --format transcript is for --method meek\n");
                    return Exit::Usage;
                }
            }
        }
        RcvMethod::Meek => match meek_output(args, &file, seats as usize) {
            Ok(text) => text,
            Err(exit) => return exit,
        },
        RcvMethod::Irish => match irish_output(args, &file, seats as usize) {
            Ok(text) => text,
            Err(exit) => return exit,
        },
    };
    print!("{out}");
    Exit::Ok
}

/// An Irish Dáil count of a ballot file, as a table or psephos's JSON.
fn irish_output(
    args: &RcvArgs,
    file: &psephos_io::BallotFile,
    seats: usize,
) -> Result<String, Exit> {
    use psephos_rcv::stv::irish::{self, IrishOptions, Papers};
    let options = IrishOptions {
        papers: match args.irish_papers {
            IrishPapers::Last => Papers::Last,
            IrishPapers::First => Papers::First,
            IrishPapers::Fraction => Papers::Fraction,
        },
        multiple_exclusion: !args.no_multiple_exclusion,
        defer_surpluses: args.defer_surpluses,
    };
    let result = match args.tiebreak {
        RcvTiebreak::Order => {
            let mut t = psephos_rcv::stv::CandidateOrder::default();
            irish::count(&file.ballots, &file.candidates, &file.withdrawn, seats, &options, &mut t)
        }
        RcvTiebreak::Lot => {
            let mut t = psephos_rcv::stv::Lot::new(&args.seed);
            irish::count(&file.ballots, &file.candidates, &file.withdrawn, seats, &options, &mut t)
        }
    };
    let count = result.map_err(|e| {
        eprint_lines(&format!("error: {e}\n"));
        Exit::InputErrors
    })?;
    match args.format {
        RcvFormat::Json => Ok(format!("{}\n", stv_json(&count, "irish"))),
        RcvFormat::Table => Ok(stv_table(&count)),
        _ => {
            eprint_lines("error: --method irish writes --format table or json\n");
            Err(Exit::Usage)
        }
    }
}

/// A Meek count of a ballot file, in the format asked for.
fn meek_output(
    args: &RcvArgs,
    file: &psephos_io::BallotFile,
    seats: usize,
) -> Result<String, Exit> {
    use psephos_rcv::stv::meek::{self, EqualRanks, MeekOptions};
    if args.omega_exponent > 9 {
        eprint_lines("error: --omega-exponent must be at most 9 (values have 9 decimals)\n");
        return Err(Exit::Usage);
    }
    let options = MeekOptions {
        equal_ranks: if args.equalize { EqualRanks::Equalize } else { EqualRanks::Droop },
        force_positive_surplus: args.force_positive_surplus,
        omega_exponent: args.omega_exponent,
    };
    // A lot gives every candidate a SHA-256 ticket; the lowest ticket among the tied is
    // defeated, which is the same as one order of all candidates by ticket.
    let lot_order: Option<Vec<usize>> = match args.tiebreak {
        RcvTiebreak::Order => file.tie_order.clone(),
        RcvTiebreak::Lot => {
            let mut all: Vec<usize> = (0..file.candidates.len()).collect();
            let mut lot = psephos_rcv::stv::Lot::new(&args.seed);
            psephos_rcv::stv::Tiebreak::order(&mut lot, &mut all, &file.candidates);
            Some(all)
        }
    };
    let count = meek::count(
        &file.ballots,
        &file.candidates,
        &file.withdrawn,
        seats,
        lot_order.as_deref(),
        options,
    )
    .map_err(|e| {
        eprint_lines(&format!("error: {e}\n"));
        Exit::InputErrors
    })?;
    let title = file.title.clone().unwrap_or_default();
    Ok(match args.format {
        RcvFormat::Transcript => meek::transcript(&count, &title, "Implementation: STV-rs"),
        RcvFormat::Table => meek::transcript(&count, &title, "Implementation: psephos"),
        RcvFormat::Json => format!("{}\n", meek_json(&count)),
        RcvFormat::Urcvt | RcvFormat::Csv => {
            eprint_lines(
                "error: --format urcvt and csv are RCTab's reports, for --method irv and stv\n",
            );
            return Err(Exit::Usage);
        }
    })
}

/// psephos's JSON for a Meek count (shared with `allocate`'s ranked contests).
fn meek_json(c: &psephos_rcv::stv::meek::MeekCount) -> String {
    let name = |k: usize| c.candidates[k].clone();
    serde_json::to_string_pretty(&crate::ranked::meek_value(c, &name)).unwrap_or_default()
}

/// psephos's JSON for a round-by-round count.
fn tabulation_json(t: &Tabulation, method: &str, rules: &psephos_rcv::rctab::Rules) -> String {
    let name = |c: usize| t.names.get(c).cloned().unwrap_or_default();
    let v = tabulation_value(t, method, serde_json::json!(rules.seats), &name);
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The JSON of a round-by-round count with candidates named by `name` (their names for `psephos
/// rcv`, their ids in a package's `allocate` output).
pub(crate) fn tabulation_value(
    t: &Tabulation,
    method: &str,
    seats: serde_json::Value,
    name: &dyn Fn(usize) -> String,
) -> serde_json::Value {
    use psephos_rcv::rctab::{Status, Target};
    use serde_json::json;
    let a = &t.arith;
    let rounds: Vec<serde_json::Value> = t
        .rounds
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let f = &r.contest;
            let tally: serde_json::Map<String, serde_json::Value> =
                f.tally.iter().map(|&(c, v)| (name(c), json!(a.text(v)))).collect();
            // What this round's decisions passed on: the next round's moves.
            let mut transfers = serde_json::Map::new();
            if let Some(next) = t.rounds.get(i + 1) {
                for &c in r.elected.iter().chain(&r.eliminated) {
                    let moves: serde_json::Map<String, serde_json::Value> = next
                        .contest
                        .transfers_from(c)
                        .into_iter()
                        .map(|(to, v)| {
                            let key = match to {
                                Target::Candidate(k) => name(k),
                                Target::Exhausted => "exhausted".to_owned(),
                                Target::ResidualSurplus => "residual surplus".to_owned(),
                            };
                            (key, json!(a.text(v)))
                        })
                        .collect();
                    transfers.insert(name(c), serde_json::Value::Object(moves));
                }
            }
            json!({
                "round": r.number,
                "threshold": a.text(r.threshold),
                "tally": tally,
                "elected": r.elected.iter().map(|&c| name(c)).collect::<Vec<_>>(),
                "eliminated": r.eliminated.iter().map(|&c| name(c)).collect::<Vec<_>>(),
                "decided_by_tiebreak": r.by_tiebreak.iter().map(|&c| name(c)).collect::<Vec<_>>(),
                "transfers": transfers,
                "inactive": {
                    "overvotes": a.text(f.status(Status::Overvote)),
                    "skipped_rankings": a.text(f.status(Status::SkippedRankings)),
                    "exhausted_choices": a.text(f.status(Status::ExhaustedChoices)),
                    "repeated_rankings": a.text(f.status(Status::RepeatedRankings)),
                    "final_round_surplus": a.text(f.status(Status::FinalRoundSurplus)),
                },
                "residual_surplus": a.text(r.residual),
            })
        })
        .collect();
    json!({
        "method": method,
        "seats": seats,
        "candidates": (0..t.names.len()).map(name).collect::<Vec<_>>(),
        "ballots": t.total_ballots,
        "undervotes": t.undervotes,
        "rounds": rounds,
        "winners": t.winners.iter().map(|&w| name(w)).collect::<Vec<_>>(),
    })
}

fn stv_value(v: u64, unit: u64) -> String {
    if unit <= 1 {
        return v.to_string();
    }
    let places = unit.ilog10() as usize;
    format!("{}.{:0places$}", v / unit, v % unit)
}

/// psephos's JSON for a stage-by-stage STV count.
fn stv_json(c: &psephos_rcv::stv::StvCount, method: &str) -> String {
    let name = |k: usize| c.candidates.get(k).cloned().unwrap_or_default();
    let v = stv_value_json(c, method, serde_json::json!(c.seats), &name);
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// The JSON of a stage-by-stage STV count (Scottish, Irish) with candidates named by `name`.
pub(crate) fn stv_value_json(
    c: &psephos_rcv::stv::StvCount,
    method: &str,
    seats: serde_json::Value,
    name: &dyn Fn(usize) -> String,
) -> serde_json::Value {
    use psephos_rcv::stv::Action;
    use serde_json::json;
    let value = |v: u64| stv_value(v, c.unit);
    let stages: Vec<serde_json::Value> = c
        .stages
        .iter()
        .map(|s| {
            let (action, who, amount) = match s.action {
                Action::FirstCount => ("first count", None, None),
                Action::Elect(k) => ("elected", Some(k), None),
                Action::ElectRemaining(k) => ("elected as one of the last hopefuls", Some(k), None),
                Action::TransferSurplus(k, v) => ("surplus transferred", Some(k), Some(v)),
                Action::Exclude(k) => ("excluded", Some(k), None),
                Action::TransferExcluded(k) => {
                    ("excluded candidate's ballots transferred", Some(k), None)
                }
                Action::TransferExcludedTogether(_) => {
                    ("ballots of the candidates just excluded transferred together", None, None)
                }
                Action::ElectLastVacancy(k) => ("elected to the last vacancy", Some(k), None),
            };
            let votes: serde_json::Map<String, serde_json::Value> = (0..c.candidates.len())
                .filter(|&k| s.status.get(k) != Some(&psephos_rcv::stv::Status::Withdrawn))
                .map(|k| (name(k), json!(value(s.votes.get(k).copied().unwrap_or(0)))))
                .collect();
            json!({
                "action": action,
                "candidate": who.map(name),
                "surplus": amount.map(value),
                "votes": votes,
                "nontransferable": value(s.nontransferable),
                "residual": value(s.residual),
            })
        })
        .collect();
    json!({
        "method": method,
        "seats": seats,
        "quota": value(c.quota),
        "candidates": (0..c.candidates.len()).map(name).collect::<Vec<_>>(),
        "stages": stages,
        "elected": c.elected.iter().map(|&k| name(k)).collect::<Vec<_>>(),
    })
}

/// A stage-by-stage table for people.
fn stv_table(c: &psephos_rcv::stv::StvCount) -> String {
    use psephos_rcv::stv::Action;
    let mut out = format!("Quota {}\n", stv_value(c.quota, c.unit));
    for (i, s) in c.stages.iter().enumerate() {
        let line = match s.action {
            Action::FirstCount => "First count".to_owned(),
            Action::Elect(k) => format!("Elected: {}", c.candidates[k]),
            Action::ElectRemaining(k) => format!("Elected (last hopefuls): {}", c.candidates[k]),
            Action::TransferSurplus(k, v) => {
                format!("Surplus of {} transferred: {}", c.candidates[k], stv_value(v, c.unit))
            }
            Action::Exclude(k) => format!("Excluded: {}", c.candidates[k]),
            Action::TransferExcluded(k) => format!("Ballots of {} transferred", c.candidates[k]),
            Action::TransferExcludedTogether(n) => {
                let names: Vec<&str> = c.stages[..i]
                    .iter()
                    .rev()
                    .take(n)
                    .rev()
                    .filter_map(|p| match p.action {
                        Action::Exclude(k) => Some(c.candidates[k].as_str()),
                        _ => None,
                    })
                    .collect();
                format!("Ballots of {} transferred together", names.join(", "))
            }
            Action::ElectLastVacancy(k) => format!("Elected (last vacancy): {}", c.candidates[k]),
        };
        out.push_str(&line);
        out.push('\n');
        if matches!(
            s.action,
            Action::FirstCount
                | Action::TransferSurplus(..)
                | Action::TransferExcluded(_)
                | Action::TransferExcludedTogether(_)
        ) {
            for k in 0..c.candidates.len() {
                if s.status[k] == psephos_rcv::stv::Status::Withdrawn {
                    continue;
                }
                out.push_str(&format!(
                    "  {:<40} {}\n",
                    c.candidates[k],
                    stv_value(s.votes[k], c.unit)
                ));
            }
            out.push_str(&format!(
                "  {:<40} {}\n",
                "non-transferable",
                stv_value(s.nontransferable, c.unit)
            ));
        }
    }
    let elected: Vec<&str> = c.elected.iter().map(|&k| c.candidates[k].as_str()).collect();
    out.push_str(&format!("Elected: {}\n", elected.join(", ")));
    out
}
