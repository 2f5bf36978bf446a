//! Reading station result forms: wide CSV, long CSV, JSON and JSON Lines.
//!
//! The layouts are documented in `docs/results.md`. Every form with a problem is reported and
//! left out; every other form is returned exactly as written.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use psephos_model::{
    CandidateIdx, Code, ContestIdx, Diagnostic, Election, Form, FormKey, FormSet, Phase,
    RejectedForm, Source, StationIdx,
};
use rayon::prelude::*;

use crate::count_cell::{CountError, parse_count};

/// The fixed leading columns of the wide layout, in order.
pub(crate) const WIDE_FIXED: [&str; 7] =
    ["station", "contest", "phase", "version", "ballots_found", "blank", "invalid"];
/// The columns of the long layout.
pub(crate) const LONG_COLUMNS: [&str; 6] =
    ["station", "contest", "phase", "version", "candidate", "votes"];
/// Row kinds of the long layout: a `candidate` value naming a ballot count instead of a candidate.
pub(crate) const COUNT_FIELDS: [&str; 3] = ["ballots_found", "blank", "invalid"];

/// Forms read from a set of files, and every problem found in them.
#[derive(Debug, Default)]
pub struct ResultsRead {
    pub forms: FormSet,
    pub diagnostics: Vec<Diagnostic>,
    /// Data rows (CSV) or form objects (JSON) seen, accepted or not.
    pub rows: u64,
}

/// Expands files and directories (recursively) into the result files they hold: `*.csv`,
/// `*.json` and `*.jsonl`, sorted by path so that reading order never depends on the disk.
pub fn discover_results(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        if path.is_dir() {
            if let Err(e) = walk(path, &mut files, &mut diags) {
                diags.push(
                    Diagnostic::new(Code::MissingFile, format!("cannot list this directory: {e}"))
                        .in_file(path.display().to_string()),
                );
            }
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            diags.push(
                Diagnostic::new(
                    Code::MissingFile,
                    "no such file or directory; election.toml [tables] results (or the command line) names it",
                )
                .in_file(path.display().to_string()),
            );
        }
    }
    files.sort();
    files.dedup();
    (files, diags)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        // Hidden files and directories (.git, editor backups) are never results.
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
            continue;
        }
        if path.is_dir() {
            walk(&path, out, diags)?;
        } else if is_results_file(&path) {
            out.push(path);
        } else {
            diags.push(
                Diagnostic::new(
                    Code::IgnoredFile,
                    "not read: result files end in .csv, .json or .jsonl; move other files out of the results directory",
                )
                .in_file(path.display().to_string()),
            );
        }
    }
    Ok(())
}

/// Whether a path names a result file, whatever the case of its extension.
fn is_results_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["csv", "json", "jsonl"].iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Reads result files in parallel. `progress` is called with each file's size once it is read.
pub fn read_results(
    election: &Election,
    files: &[PathBuf],
    progress: &(dyn Fn(u64) + Sync),
) -> ResultsRead {
    // Files are read a few at a time and merged in order, so that at most one batch of forms
    // exists twice in memory.
    let mut all = ResultsRead::default();
    // Size the arenas once: a first pass counts rows and cells, which is cheap next to parsing
    // and saves the slack and copies of growing vectors of a million forms.
    let (rows, cells) = files
        .par_iter()
        .map(|path| std::fs::read(path).map_or((0, 0), |bytes| estimate_size(&bytes)))
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    all.forms.forms.reserve_exact(usize::try_from(rows).unwrap_or(0));
    all.forms.reserve_votes(usize::try_from(cells).unwrap_or(0));
    let batch = (rayon::current_num_threads() * 2).max(1);
    for paths in files.chunks(batch) {
        let parts: Vec<ResultsRead> = paths
            .par_iter()
            .map(|path| {
                let display = path.display().to_string();
                let read = match std::fs::read(path) {
                    Ok(bytes) => parse_results(election, &display, &bytes),
                    Err(e) => ResultsRead {
                        diagnostics: vec![
                            Diagnostic::new(
                                Code::MissingFile,
                                format!("cannot read this file: {e}"),
                            )
                            .in_file(display),
                        ],
                        ..ResultsRead::default()
                    },
                };
                progress(std::fs::metadata(path).map_or(0, |m| m.len()));
                read
            })
            .collect();
        for part in parts {
            all.forms.append(part.forms);
            all.diagnostics.extend(part.diagnostics);
            all.rows += part.rows;
        }
    }
    all
}

/// Rows and vote cells of a wide CSV file (an upper bound for other layouts' rows).
fn estimate_size(bytes: &[u8]) -> (u64, u64) {
    let lines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    let header_end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len());
    let columns = memchr::memchr_iter(b',', &bytes[..header_end]).count() as u64 + 1;
    let rows = lines.saturating_sub(1);
    (rows, rows * columns.saturating_sub(WIDE_FIXED.len() as u64))
}

/// Parses one result file's bytes. The format follows the name's extension (`.json`, `.jsonl`,
/// otherwise CSV) and, for CSV, the header.
pub fn parse_results(election: &Election, file: &str, bytes: &[u8]) -> ResultsRead {
    let bytes = crate::strip_bom(bytes);
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".jsonl") {
        crate::json_forms::parse_json_lines(election, file, bytes)
    } else if lower.ends_with(".json") {
        crate::json_forms::parse_json_array(election, file, bytes)
    } else {
        parse_csv(election, file, bytes)
    }
}

fn parse_csv(election: &Election, file: &str, bytes: &[u8]) -> ResultsRead {
    let header_end = memchr::memchr(b'\n', bytes).map_or(bytes.len(), |i| i + 1);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..header_end]);
    let mut header = csv::StringRecord::new();
    let header: Vec<String> = match reader.read_record(&mut header) {
        Ok(true) => header.iter().map(|h| h.trim().to_owned()).collect(),
        Ok(false) => {
            return only(
                Diagnostic::new(
                    Code::ResultsLayout,
                    "the file is empty; a results file starts with a header row",
                )
                .at(file, 1),
            );
        }
        Err(e) => {
            return only(
                Diagnostic::new(Code::CsvSyntax, format!("cannot read the header: {e}"))
                    .at(file, 1),
            );
        }
    };
    let is_wide = header.len() >= WIDE_FIXED.len() && header[..WIDE_FIXED.len()] == WIDE_FIXED;
    let is_long = LONG_COLUMNS.iter().all(|c| header.iter().any(|h| h == c))
        && !header.iter().any(|h| h == "ballots_found");
    if is_wide {
        parse_wide(election, file, bytes, header_end, &header)
    } else if is_long {
        parse_long(election, file, bytes, &header)
    } else {
        only(
            Diagnostic::new(
                Code::ResultsLayout,
                format!(
                    "the header is neither layout: the wide layout starts with the columns {} followed by one column per candidate id; the long layout has the columns {}",
                    WIDE_FIXED.join(","),
                    LONG_COLUMNS.join(",")
                ),
            )
            .at(file, 1),
        )
    }
}

fn only(d: Diagnostic) -> ResultsRead {
    ResultsRead { diagnostics: vec![d], ..ResultsRead::default() }
}

// ---------------------------------------------------------------------------------------------
// Field resolution shared by all layouts.

/// Context for reporting one form's problems.
pub(crate) struct At<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: u64,
    pub(crate) station: &'a str,
}

impl At<'_> {
    pub(crate) fn diag(&self, code: Code, field: &str, message: String) -> Diagnostic {
        Diagnostic::new(code, message).at(self.file, self.line).station(self.station).field(field)
    }
}

pub(crate) fn resolve_station(
    election: &Election,
    raw: &str,
    at: &At<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<StationIdx> {
    resolve_station_near(election, raw, usize::MAX, at, diags)
}

/// [`resolve_station`], trying the station at `hint` first.
pub(crate) fn resolve_station_near(
    election: &Election,
    raw: &str,
    hint: usize,
    at: &At<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<StationIdx> {
    if raw.is_empty() {
        diags.push(at.diag(Code::MissingValue, "station", "the station id is empty".to_owned()));
        return None;
    }
    let s = election.station_id_near(raw, hint);
    if s.is_none() {
        diags.push(at.diag(
            Code::UnknownStation,
            "station",
            format!("station {raw:?} is not in stations.csv; check the id on the paper form"),
        ));
    }
    s
}

pub(crate) fn resolve_contest(
    election: &Election,
    raw: &str,
    at: &At<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<ContestIdx> {
    let c = election.contest_id(raw);
    if c.is_none() {
        diags.push(at.diag(
            Code::UnknownContest,
            "contest",
            format!("contest {raw:?} is not in contests.csv"),
        ));
    }
    c
}

pub(crate) fn resolve_phase(raw: &str, at: &At<'_>, diags: &mut Vec<Diagnostic>) -> Option<Phase> {
    let p = Phase::parse(raw);
    if p.is_none() {
        diags.push(at.diag(
            Code::UnknownPhase,
            "phase",
            format!("phase {raw:?} is not one of electronic, manual, recount, correction"),
        ));
    }
    p
}

pub(crate) fn resolve_version(raw: &[u8], at: &At<'_>, diags: &mut Vec<Diagnostic>) -> Option<u32> {
    match parse_count(raw) {
        Ok(v) if v >= 1 => Some(v),
        _ => {
            diags.push(at.diag(
                Code::BadVersion,
                "version",
                format!(
                    "version is {:?}; number a station's forms of one phase 1, 2, 3, ...",
                    String::from_utf8_lossy(raw).trim()
                ),
            ));
            None
        }
    }
}

pub(crate) fn count_diag(
    at: &At<'_>,
    field: &str,
    what: &str,
    e: CountError,
    raw: &[u8],
) -> Diagnostic {
    at.diag(e.code(), field, e.message(what, raw))
}

/// The ballot a rejected form was for, if the station counts it (else it holds back them all).
fn rejected_ballot(
    election: &Election,
    station: StationIdx,
    contest: Option<ContestIdx>,
) -> Option<ContestIdx> {
    contest.filter(|&c| election.station_ballot_index(station, c).is_some())
}

/// Checks that a form's station counts its contest's ballot.
pub(crate) fn check_station_contest(
    election: &Election,
    station: StationIdx,
    contest: ContestIdx,
    at: &At<'_>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if !election.has_ballot(contest) {
        diags.push(at.diag(
            Code::WrongContest,
            "contest",
            format!(
                "contest {} has no ballot of its own: its candidates are counted on district ballots; record their votes on the form of the station's district",
                election.contest(contest).id
            ),
        ));
        return false;
    }
    if election.station_ballot_index(station, contest).is_none() {
        let ballots: Vec<&str> =
            election.station_ballots(station).map(|c| election.contest(c).id.as_str()).collect();
        diags.push(at.diag(
            Code::WrongContest,
            "contest",
            format!(
                "station {} counts the ballot of {}, not {}",
                election.station_label(station),
                ballots.join(" and "),
                election.contest(contest).id
            ),
        ));
        return false;
    }
    true
}

/// A cell as text; bytes that are not UTF-8 are shown replaced (and then match no id).
fn text(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(cell),
    }
}

/// An empty cell, or a zero: no votes.
fn is_blank_or_zero(cell: &[u8]) -> bool {
    let cell = cell.trim_ascii();
    cell.is_empty() || parse_count(cell) == Ok(0)
}

/// Interns candidate layouts within one [`FormSet`].
#[derive(Default)]
pub(crate) struct Layouts {
    ids: HashMap<Box<[CandidateIdx]>, u32>,
    /// The layout interned last: forms of one contest tend to come together, and comparing
    /// with it is cheaper than hashing.
    last: Option<u32>,
}

impl Layouts {
    pub(crate) fn intern(&mut self, set: &mut FormSet, layout: &[CandidateIdx]) -> u32 {
        if let Some(last) = self.last
            && set.layouts.get(last as usize).is_some_and(|l| **l == *layout)
        {
            return last;
        }
        let id = match self.ids.get(layout) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(set.layouts.len()).unwrap_or(u32::MAX);
                set.layouts.push(layout.into());
                self.ids.insert(layout.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Wide layout: one row per form, one column per candidate.

enum WideColumn {
    Candidate(CandidateIdx),
    /// Unknown or repeated: a form giving it votes cannot be accepted.
    Bad,
}

/// How the columns of a file map onto one contest's ballot.
struct ContestPlan {
    /// Columns of candidates on the ballot, in header order.
    ballot_columns: Vec<usize>,
    layout: Box<[CandidateIdx]>,
    /// Ballot candidates the header has no column for.
    missing: Vec<CandidateIdx>,
    /// Columns of candidates not on this ballot: must be empty.
    off_ballot: Vec<usize>,
}

struct WideChunk {
    read: ResultsRead,
    /// Per contest with missing columns: (first line, forms rejected).
    missing: HashMap<ContestIdx, (u64, u64)>,
    /// Per bad column: forms rejected because they gave it votes.
    bad_column_forms: Vec<u64>,
}

fn parse_wide(
    election: &Election,
    file: &str,
    bytes: &[u8],
    header_end: usize,
    header: &[String],
) -> ResultsRead {
    let mut diags = Vec::new();
    let mut columns = Vec::with_capacity(header.len());
    let mut seen = HashMap::new();
    for (i, name) in header.iter().enumerate().skip(WIDE_FIXED.len()) {
        let column = match election.candidate_id(name) {
            Some(c) if seen.insert(c, i).is_none() => WideColumn::Candidate(c),
            Some(_) => WideColumn::Bad,
            None => WideColumn::Bad,
        };
        columns.push(column);
    }
    let bad_columns: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c, WideColumn::Bad))
        .map(|(i, _)| i + WIDE_FIXED.len())
        .collect();

    // One plan per contest that has a ballot.
    let plans: Vec<Option<ContestPlan>> = (0..election.contests.len())
        .map(|ci| {
            let contest = ContestIdx::from_index(ci);
            if !election.has_ballot(contest) {
                return None;
            }
            let mut ballot_columns = Vec::new();
            let mut layout = Vec::new();
            let mut off_ballot = Vec::new();
            let mut present = vec![false; election.ballot(contest).candidates.len()];
            for (i, column) in columns.iter().enumerate() {
                if let WideColumn::Candidate(c) = column {
                    match election.ballot_position(contest, *c) {
                        Some(pos) => {
                            present[pos] = true;
                            ballot_columns.push(i + WIDE_FIXED.len());
                            layout.push(*c);
                        }
                        None => off_ballot.push(i + WIDE_FIXED.len()),
                    }
                }
            }
            let missing = election
                .ballot(contest)
                .candidates
                .iter()
                .zip(&present)
                .filter(|(_, p)| !**p)
                .map(|(c, _)| *c)
                .collect();
            Some(ContestPlan { ballot_columns, layout: layout.into(), missing, off_ballot })
        })
        .collect();

    // Split the body at line ends so the chunks parse in parallel. Quoted fields may hold line
    // breaks, so a file with any quote is read in one piece.
    let body = &bytes[header_end..];
    let chunk_count = if memchr::memchr(b'"', body).is_some() || body.len() < (1 << 20) {
        1
    } else {
        (rayon::current_num_threads() * 4).max(1)
    };
    let mut chunks = Vec::with_capacity(chunk_count);
    let mut start = 0;
    for k in 1..=chunk_count {
        let target = body.len() * k / chunk_count;
        let end = if k == chunk_count {
            body.len()
        } else if target <= start {
            continue;
        } else {
            memchr::memchr(b'\n', &body[target..]).map_or(body.len(), |i| target + i + 1)
        };
        if end > start {
            chunks.push(start..end);
            start = end;
        }
    }
    // Line of each chunk's first row: the header is line 1.
    let mut first_lines = Vec::with_capacity(chunks.len());
    let mut line = 2u64;
    for r in &chunks {
        first_lines.push(line);
        line += memchr::memchr_iter(b'\n', &body[r.clone()]).count() as u64;
    }
    let ncols = header.len();
    let parsed: Vec<WideChunk> = chunks
        .par_iter()
        .zip(first_lines.par_iter())
        .map(|(range, &first_line)| {
            parse_wide_chunk(
                election,
                file,
                &body[range.clone()],
                first_line,
                ncols,
                header,
                &plans,
                &bad_columns,
            )
        })
        .collect();

    let mut read = ResultsRead::default();
    let mut missing: HashMap<ContestIdx, (u64, u64)> = HashMap::new();
    let mut bad_column_forms = vec![0u64; bad_columns.len()];
    for chunk in parsed {
        read.forms.append(chunk.read.forms);
        read.diagnostics.extend(chunk.read.diagnostics);
        read.rows += chunk.read.rows;
        for (c, (line, n)) in chunk.missing {
            let e = missing.entry(c).or_insert((line, 0));
            e.0 = e.0.min(line);
            e.1 += n;
        }
        for (total, n) in bad_column_forms.iter_mut().zip(chunk.bad_column_forms) {
            *total += n;
        }
    }
    // File-level problems, reported once each.
    for (k, &col) in bad_columns.iter().enumerate() {
        let name = &header[col];
        let what = if election.candidate_id(name).is_some() {
            format!("candidate {name:?} has a second column; keep one column per candidate")
        } else {
            format!("column {name:?} is not a candidate id in candidates.csv")
        };
        let code = if bad_column_forms[k] == 0 {
            // Nobody is given votes in it: a stray column, not a wrong count.
            diags.push(
                Diagnostic::new(
                    Code::UnusedColumn,
                    format!("{what}; no form gives it votes, so it is ignored"),
                )
                .at(file, 1)
                .field(name.clone()),
            );
            continue;
        } else if election.candidate_id(name).is_some() {
            Code::DuplicateEntry
        } else {
            Code::UnknownCandidate
        };
        diags.push(
            Diagnostic::new(
                code,
                format!(
                    "{what}; {} form(s) in this file give it votes and are not accepted",
                    bad_column_forms[k]
                ),
            )
            .at(file, 1)
            .field(name.clone()),
        );
    }
    let mut missing: Vec<_> = missing.into_iter().collect();
    missing.sort();
    for (contest, (line, n)) in missing {
        let plan = plans[contest.index()].as_ref();
        let names: Vec<&str> = plan
            .map(|p| p.missing.iter().map(|&c| election.candidate(c).id.as_str()).collect())
            .unwrap_or_default();
        diags.push(
            Diagnostic::new(
                Code::MissingCandidate,
                format!(
                    "the header has no column for {} on the ballot of {}: {}; add the column(s) with each station's count; {n} form(s) of {} in this file are not accepted",
                    if names.len() == 1 { "a candidate" } else { "candidates" },
                    election.contest(contest).id,
                    names.join(", "),
                    election.contest(contest).id
                ),
            )
            .at(file, line)
            .field("header"),
        );
    }
    read.diagnostics.extend(diags);
    read
}

#[allow(clippy::too_many_arguments)]
fn parse_wide_chunk(
    election: &Election,
    file: &str,
    chunk: &[u8],
    first_line: u64,
    ncols: usize,
    header: &[String],
    plans: &[Option<ContestPlan>],
    bad_columns: &[usize],
) -> WideChunk {
    let mut out = WideChunk {
        read: ResultsRead::default(),
        missing: HashMap::new(),
        bad_column_forms: vec![0; bad_columns.len()],
    };
    out.read.forms.files.push(file.to_owned());
    let mut rows = WideRows {
        election,
        file,
        ncols,
        header,
        plans,
        bad_columns,
        layouts: Layouts::default(),
        layout_of: HashMap::new(),
        last_contest: (Vec::new(), None),
        next_station: usize::MAX,
        scratch: Vec::new(),
    };
    if crate::split::is_quote_free(chunk) {
        crate::split::for_each_record(chunk, |line, fields| {
            rows.row(&mut out, first_line - 1 + line, fields);
        });
        return out;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(chunk);
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = first_line - 1 + e.position().map_or(1, |p| p.line());
                out.read.diagnostics.push(
                    Diagnostic::new(Code::CsvSyntax, format!("cannot read this row: {e}"))
                        .at(file, line),
                );
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        let line = first_line - 1 + record.position().map_or(1, |p| p.line());
        let fields: Vec<&[u8]> = record.iter().collect();
        rows.row(&mut out, line, &fields);
    }
    out
}

/// What the rows of one chunk of a wide file share while they are read.
struct WideRows<'a> {
    election: &'a Election,
    file: &'a str,
    ncols: usize,
    header: &'a [String],
    plans: &'a [Option<ContestPlan>],
    bad_columns: &'a [usize],
    layouts: Layouts,
    layout_of: HashMap<ContestIdx, u32>,
    last_contest: (Vec<u8>, Option<ContestIdx>),
    /// The station after the last one read: usually the next row's.
    next_station: usize,
    /// The votes of the row being read.
    scratch: Vec<u32>,
}

impl WideRows<'_> {
    fn row(&mut self, out: &mut WideChunk, line: u64, record: &[&[u8]]) {
        let (election, file, header) = (self.election, self.file, self.header);
        let diags = &mut out.read.diagnostics;
        let set = &mut out.read.forms;
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            return; // a blank line
        }
        out.read.rows += 1;
        let station_raw = text(record[0].trim_ascii());
        let at = At { file, line, station: &station_raw };
        if record.len() != self.ncols {
            diags.push(
                Diagnostic::new(
                    Code::CsvSyntax,
                    format!(
                        "this row has {} fields but the header has {}; check for a missing or extra comma",
                        record.len(),
                        self.ncols
                    ),
                )
                .at(file, line)
                .station(station_raw.as_ref()),
            );
            return;
        }
        let errors_before = diags.len();
        let station = resolve_station_near(election, &station_raw, self.next_station, &at, diags);
        if let Some(s) = station {
            self.next_station = s.index() + 1;
        }
        let contest_raw = record[1].trim_ascii();
        let contest =
            if contest_raw == self.last_contest.0.as_slice() && self.last_contest.1.is_some() {
                self.last_contest.1
            } else {
                let c = resolve_contest(election, &text(contest_raw), &at, diags);
                self.last_contest = (contest_raw.to_vec(), c);
                c
            };
        let phase = resolve_phase(&text(record[2].trim_ascii()), &at, diags);
        let version = resolve_version(record[3], &at, diags);
        let mut counts = [0u32; 3];
        for (k, count) in counts.iter_mut().enumerate() {
            let field = record[4 + k];
            match parse_count(field) {
                Ok(v) => *count = v,
                Err(e) => {
                    diags.push(count_diag(&at, WIDE_FIXED[4 + k], WIDE_FIXED[4 + k], e, field))
                }
            }
        }
        let mut ok = true;
        for (k, &col) in self.bad_columns.iter().enumerate() {
            if !is_blank_or_zero(record[col]) {
                out.bad_column_forms[k] += 1;
                ok = false;
            }
        }
        self.scratch.clear();
        let mut plan = contest.and_then(|c| self.plans[c.index()].as_ref());
        if let (Some(station), Some(contest)) = (station, contest)
            && !check_station_contest(election, station, contest, &at, diags)
        {
            // The wrong ballot: its candidates cannot be checked against it either.
            ok = false;
            plan = None;
        }
        match (contest, plan) {
            (Some(contest), Some(plan)) => {
                if !plan.missing.is_empty() {
                    let e = out.missing.entry(contest).or_insert((line, 0));
                    e.1 += 1;
                    ok = false;
                }
                for &col in &plan.ballot_columns {
                    match parse_count(record[col]) {
                        Ok(v) => self.scratch.push(v),
                        Err(e) => diags.push(count_diag(
                            &at,
                            &header[col],
                            &format!("the votes of candidate {}", header[col]),
                            e,
                            record[col],
                        )),
                    }
                }
                for &col in &plan.off_ballot {
                    // Exports that fill every cell write 0 for candidates not on the ballot.
                    if !is_blank_or_zero(record[col]) {
                        diags.push(at.diag(
                            Code::CandidateNotOnBallot,
                            &header[col],
                            format!(
                                "candidate {} does not stand in {} and is not on its ballot; leave the cell empty or correct the contest",
                                header[col],
                                election.contest(contest).id
                            ),
                        ));
                    }
                }
            }
            _ => {
                // Without a ballot to check against, still report every count that is unreadable.
                for col in WIDE_FIXED.len()..self.ncols {
                    let cell = record[col];
                    if cell.trim_ascii().is_empty() {
                        continue;
                    }
                    if let Err(e) = parse_count(cell) {
                        diags.push(count_diag(
                            &at,
                            &header[col],
                            &format!("the votes of candidate {}", header[col]),
                            e,
                            cell,
                        ));
                    }
                }
            }
        }
        let accepted = ok && diags.len() == errors_before;
        match (accepted, station, contest, phase, version, plan) {
            (true, Some(station), Some(contest), Some(phase), Some(version), Some(plan)) => {
                let layouts = &mut self.layouts;
                let layout = *self
                    .layout_of
                    .entry(contest)
                    .or_insert_with(|| layouts.intern(set, &plan.layout));
                let votes = set.push_votes(&self.scratch);
                set.forms.push(Form {
                    key: FormKey { station, contest, phase, version },
                    ballots_found: counts[0],
                    blank: counts[1],
                    invalid: counts[2],
                    layout,
                    votes,
                    source: Source::new(0, line),
                });
            }
            (_, Some(station), contest, Some(phase), Some(version), _) => {
                let contest = rejected_ballot(election, station, contest);
                set.rejected.push(RejectedForm { station, contest, phase, version });
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Long layout: one row per candidate (or ballot count) per form.

/// A form being assembled from several rows or JSON fields.
pub(crate) struct Pending {
    pub(crate) line: u64,
    pub(crate) station: String,
    pub(crate) contest: String,
    pub(crate) phase: String,
    pub(crate) version: Vec<u8>,
    pub(crate) counts: [Option<u32>; 3],
    /// Candidate, its votes, the line it was given on.
    pub(crate) votes: Vec<(CandidateIdx, u32, u64)>,
    /// A row or field of this form had a problem already reported.
    pub(crate) broken: bool,
    /// The votes as a whole could not be read (already reported): do not list every candidate
    /// as missing too.
    pub(crate) votes_unreadable: bool,
    /// Station, contest, phase, version: already reported as unreadable, not to be resolved.
    pub(crate) reported: [bool; 4],
}

impl Pending {
    pub(crate) fn new(
        line: u64,
        station: String,
        contest: String,
        phase: String,
        version: Vec<u8>,
    ) -> Self {
        Pending {
            line,
            station,
            contest,
            phase,
            version,
            counts: [None; 3],
            votes: Vec::new(),
            broken: false,
            votes_unreadable: false,
            reported: [false; 4],
        }
    }
}

/// Resolves a pending form and, if it has no problem, adds it to `set`.
pub(crate) fn finish(
    election: &Election,
    file: &str,
    p: Pending,
    set: &mut FormSet,
    layouts: &mut Layouts,
    diags: &mut Vec<Diagnostic>,
) {
    let at = At { file, line: p.line, station: &p.station };
    let before = diags.len();
    let [r_station, r_contest, r_phase, r_version] = p.reported;
    let station = if r_station { None } else { resolve_station(election, &p.station, &at, diags) };
    let contest = if r_contest { None } else { resolve_contest(election, &p.contest, &at, diags) };
    let phase = if r_phase { None } else { resolve_phase(&p.phase, &at, diags) };
    let version = if r_version { None } else { resolve_version(&p.version, &at, diags) };
    for (k, count) in p.counts.iter().enumerate() {
        if count.is_none() {
            diags.push(at.diag(
                Code::MissingValue,
                COUNT_FIELDS[k],
                format!("the form has no {}; give it from the paper form", COUNT_FIELDS[k]),
            ));
        }
    }
    let (Some(station), Some(contest), Some(phase), Some(version)) =
        (station, contest, phase, version)
    else {
        if let (Some(station), Some(phase), Some(version)) = (station, phase, version) {
            let contest = rejected_ballot(election, station, contest);
            set.rejected.push(RejectedForm { station, contest, phase, version });
        }
        return;
    };
    if !check_station_contest(election, station, contest, &at, diags) {
        set.rejected.push(RejectedForm { station, contest: None, phase, version });
        return;
    }
    let ballot = &election.ballot(contest).candidates;
    let mut by_position: Vec<Option<u32>> = vec![None; ballot.len()];
    for (i, &(candidate, votes, line)) in p.votes.iter().enumerate() {
        let at = At { file, line, station: &p.station };
        // Forms mostly list the candidates in ballot order: try the same position first.
        let position = if ballot.get(i) == Some(&candidate) {
            Some(i)
        } else {
            election.ballot_position(contest, candidate)
        };
        match position {
            Some(pos) if by_position[pos].is_none() => by_position[pos] = Some(votes),
            Some(_) => diags.push(at.diag(
                Code::DuplicateEntry,
                "candidate",
                format!(
                    "candidate {} is given twice in this form; keep one count",
                    election.candidate(candidate).id
                ),
            )),
            None => diags.push(at.diag(
                Code::CandidateNotOnBallot,
                "candidate",
                format!(
                    "candidate {} does not stand in {} and is not on its ballot",
                    election.candidate(candidate).id,
                    election.contest(contest).id
                ),
            )),
        }
    }
    let missing: Vec<&str> = ballot
        .iter()
        .zip(&by_position)
        .filter(|(_, v)| v.is_none())
        .map(|(&c, _)| election.candidate(c).id.as_str())
        .collect();
    if !missing.is_empty() && !p.votes_unreadable {
        diags.push(at.diag(
            Code::MissingCandidate,
            "candidate",
            format!(
                "the form has no count for {} on the ballot of {}: {}; give every candidate's count, 0 if none",
                if missing.len() == 1 { "a candidate" } else { "candidates" },
                election.contest(contest).id,
                missing.join(", ")
            ),
        ));
    }
    if p.broken || diags.len() != before {
        set.rejected.push(RejectedForm { station, contest: Some(contest), phase, version });
        return;
    }
    let layout = layouts.intern(set, ballot);
    let votes: Vec<u32> = by_position.iter().map(|v| v.unwrap_or(0)).collect();
    let votes = set.push_votes(&votes);
    set.forms.push(Form {
        key: FormKey { station, contest, phase, version },
        ballots_found: p.counts[0].unwrap_or(0),
        blank: p.counts[1].unwrap_or(0),
        invalid: p.counts[2].unwrap_or(0),
        layout,
        votes,
        source: Source::new(0, p.line),
    });
}

fn parse_long(election: &Election, file: &str, bytes: &[u8], header: &[String]) -> ResultsRead {
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or(0);
    let [c_station, c_contest, c_phase, c_version, c_candidate, c_votes] = LONG_COLUMNS.map(col);
    let mut read = ResultsRead::default();
    read.forms.files.push(file.to_owned());
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut index: HashMap<[Vec<u8>; 4], usize> = HashMap::new();
    let diags = &mut read.diagnostics;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                diags.push(
                    Diagnostic::new(Code::CsvSyntax, format!("cannot read this row: {e}"))
                        .at(file, line),
                );
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    continue;
                }
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].trim_ascii().is_empty() {
            continue;
        }
        read.rows += 1;
        let station =
            String::from_utf8_lossy(record.get(c_station).unwrap_or_default().trim_ascii())
                .into_owned();
        if record.len() != header.len() {
            diags.push(
                Diagnostic::new(
                    Code::CsvSyntax,
                    format!(
                        "this row has {} fields but the header has {}; check for a missing or extra comma",
                        record.len(),
                        header.len()
                    ),
                )
                .at(file, line)
                .station(station),
            );
            continue;
        }
        let field = |c: usize| record[c].trim_ascii().to_vec();
        let key = [field(c_station), field(c_contest), field(c_phase), field(c_version)];
        let slot = *index.entry(key).or_insert_with(|| {
            pending.push(Pending::new(
                line,
                station.clone(),
                String::from_utf8_lossy(record[c_contest].trim_ascii()).into_owned(),
                String::from_utf8_lossy(record[c_phase].trim_ascii()).into_owned(),
                record[c_version].trim_ascii().to_vec(),
            ));
            pending.len() - 1
        });
        let p = &mut pending[slot];
        let at = At { file, line, station: &station };
        let candidate = String::from_utf8_lossy(record[c_candidate].trim_ascii()).into_owned();
        let votes = match parse_count(&record[c_votes]) {
            Ok(v) => Some(v),
            Err(e) => {
                let what = if COUNT_FIELDS.contains(&candidate.as_str()) {
                    candidate.clone()
                } else {
                    format!("the votes of candidate {candidate}")
                };
                diags.push(count_diag(&at, "votes", &what, e, &record[c_votes]));
                p.broken = true;
                None
            }
        };
        if let Some(k) = COUNT_FIELDS.iter().position(|f| *f == candidate) {
            if p.counts[k].is_some() {
                diags.push(at.diag(
                    Code::DuplicateEntry,
                    "candidate",
                    format!("{candidate} is given twice in this form; keep one row"),
                ));
                p.broken = true;
            } else if let Some(v) = votes {
                p.counts[k] = Some(v);
            } else {
                p.counts[k] = Some(0); // already reported; avoid a second "missing" message
            }
        } else if let Some(c) = election.candidate_id(&candidate) {
            // An unreadable count (reported above) still shows the candidate is on the form.
            p.votes.push((c, votes.unwrap_or(0), line));
        } else {
            diags.push(at.diag(
                Code::UnknownCandidate,
                "candidate",
                if candidate.is_empty() {
                    "the candidate is empty; give a candidate id or one of ballots_found, blank, invalid".to_owned()
                } else {
                    format!("candidate {candidate:?} is not in candidates.csv")
                },
            ));
            p.broken = true;
        }
    }
    let mut layouts = Layouts::default();
    for p in pending {
        finish(election, file, p, &mut read.forms, &mut layouts, &mut read.diagnostics);
    }
    read
}
