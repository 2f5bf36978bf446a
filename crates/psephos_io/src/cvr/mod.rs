//! Ranked ballots: cast-vote records (CVRs) read exactly as RCTab 2.0.1 reads them, and the BLT
//! and PrefLib ballot files that RCTab does not read.
//!
//! `docs/internals/cvr-formats.md` is the specification: every reader keeps the vendor's raw
//! strings (names, aliases, codes) because RCTab maps them to candidates only while counting, and
//! some of its rules compare raw strings. A record with any problem is reported and left out
//! whole; reading goes on so that one run reports every problem.

mod blt;
mod cdf;
mod clear_ballot;
pub mod convert;
mod dominion;
mod ess;
mod generic_csv;
mod hart;
mod json_split;
mod preflib;
mod source;
#[cfg(test)]
mod test_support;
mod xml;

use std::path::Path;

use psephos_model::{Code, Diagnostic};
use psephos_rcv::{BallotSet, BallotSetBuilder, Label, Mark};

pub use blt::{parse_blt, read_blt};
pub use preflib::{parse_preflib, read_preflib};
pub use source::{CvrSource, Provider};

/// RCTab's internal marker for an explicit overvote at a rank (`Tabulator.EXPLICIT_OVERVOTE_LABEL`).
pub const OVERVOTE: &str = "overvote";
/// RCTab's one pseudo-candidate for every undeclared write-in.
pub const UNDECLARED_WRITE_INS: &str = "Undeclared Write-ins";

/// More candidates than any ballot file could mean: a larger header count is refused rather than
/// allocated.
const MAX_CANDIDATES: usize = 100_000;

/// Contest-level settings that change how sources are read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// `rules.maxRankingsAllowed`: `None` for `"max"` (every rank allowed).
    pub max_rankings: Option<u32>,
    /// Whether the run requires signed Hart files (RCTab's certified builds do); psephos cannot
    /// check signatures, so such a source is reported as unsupported.
    pub verify_signatures: bool,
}

/// A ballot file that carries its own contest: BLT or PrefLib.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BallotFile {
    /// Labels are candidate numbers as text, `"1"` for the first candidate.
    pub ballots: BallotSet,
    pub candidates: Vec<String>,
    pub seats: Option<u32>,
    pub title: Option<String>,
    /// Withdrawn candidates, 0-based.
    pub withdrawn: Vec<usize>,
    /// The BLT `[tie]` order (0-based, first = first chosen by the lot), if the file gives one.
    pub tie_order: Option<Vec<usize>>,
}

/// One accepted cast-vote record as RCTab's `CastVoteRecord` holds it, for conversions: its ids,
/// slices and marks with their raw labels. Blank means "none" (RCTab's `null`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CvrRecord {
    /// The id the reader makes (ES&S `<file>-<n>`, CDF `<file>(<n>)`, generic CSV the row index).
    pub computed_id: String,
    /// The vendor's id (ES&S id column, CDF `BallotPrePrintedId`, Dominion `RecordId`, ...).
    pub supplied_id: String,
    pub contest_id: String,
    pub tabulator_id: String,
    pub batch: String,
    pub precinct: String,
    pub precinct_portion: String,
    /// `(rank, raw label)` by rank; a rank's marks keep the record's order.
    pub marks: Vec<(u32, String)>,
}

/// Receives every record a source accepts, in read order.
pub type RecordObserver<'o> = &'o mut dyn FnMut(&CvrRecord);

/// Reads one `cvrFileSources` entry into `builder`. `base_dir` is the config file's folder, which
/// relative paths start from. Returns every problem found; records with errors are left out.
pub fn read_source(
    source: &CvrSource,
    base_dir: &Path,
    builder: &mut BallotSetBuilder,
    options: &ReadOptions,
) -> Vec<Diagnostic> {
    read_source_with(source, base_dir, builder, options, None)
}

/// [`read_source`], also handing every accepted record, whole, to `observer` (records read one
/// by one: the generic CSV reader then takes its `csv`-crate route).
pub fn read_source_records(
    source: &CvrSource,
    base_dir: &Path,
    builder: &mut BallotSetBuilder,
    options: &ReadOptions,
    observer: RecordObserver<'_>,
) -> Vec<Diagnostic> {
    read_source_with(source, base_dir, builder, options, Some(observer))
}

fn read_source_with(
    source: &CvrSource,
    base_dir: &Path,
    builder: &mut BallotSetBuilder,
    options: &ReadOptions,
    observer: Option<RecordObserver<'_>>,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let Some(settings) = source.settings(base_dir, &mut diags) else {
        return diags;
    };
    let check_limit = !matches!(settings.provider, Provider::Ess | Provider::Dominion);
    let mut sink = Sink::new(builder, settings.display.clone(), options.max_rankings, check_limit);
    sink.diags = diags;
    sink.observer = observer.map(|o| -> RecordObserver<'_> { o });
    match settings.provider {
        Provider::GenericCsv => generic_csv::read(&settings, &mut sink),
        Provider::ClearBallot => clear_ballot::read(&settings, &mut sink),
        Provider::Ess => ess::read(&settings, &mut sink, options),
        Provider::Dominion => dominion::read(&settings, &mut sink),
        Provider::Cdf => cdf::read(&settings, &mut sink),
        Provider::Hart => hart::read(&settings, &mut sink, options),
    }
    sink.diags
}

/// Reads every source of an RCTab config into one ballot set, as RCTab's session does: a failed
/// source does not stop the others, two sources with the same path are refused, and no record at
/// all is an error. Sources are read in parallel, each into its own set, and merged in config
/// order, so the result is the one a sequential read gives.
pub fn read_sources(
    sources: &[CvrSource],
    base_dir: &Path,
    options: &ReadOptions,
) -> (BallotSet, Vec<Diagnostic>) {
    use rayon::prelude::*;
    let duplicate = duplicates(sources, base_dir);
    let parts: Vec<(Option<BallotSet>, Vec<Diagnostic>)> = sources
        .par_iter()
        .zip(duplicate)
        .map(|(source, dup)| match dup {
            Some(d) => (None, vec![d]),
            None => {
                let mut b = BallotSetBuilder::new();
                let diags = read_source(source, base_dir, &mut b, options);
                (Some(b.build()), diags)
            }
        })
        .collect();
    let mut builder = BallotSetBuilder::new();
    let mut diags = Vec::new();
    for (set, d) in parts {
        if let Some(set) = set {
            merge(&mut builder, &set);
        }
        diags.extend(d);
    }
    let set = builder.build();
    no_records(&set, sources, &mut diags);
    (set, diags)
}

/// [`read_sources`], one source after the other, handing every accepted record to `observer`
/// with the index of its source in `sources`. The ballots are those `read_sources` gives.
pub fn read_sources_records(
    sources: &[CvrSource],
    base_dir: &Path,
    options: &ReadOptions,
    observer: &mut dyn FnMut(usize, &CvrRecord),
) -> (BallotSet, Vec<Diagnostic>) {
    let duplicate = duplicates(sources, base_dir);
    let mut builder = BallotSetBuilder::new();
    let mut diags = Vec::new();
    for (i, (source, dup)) in sources.iter().zip(duplicate).enumerate() {
        match dup {
            Some(d) => diags.push(d),
            None => {
                let mut each = |r: &CvrRecord| observer(i, r);
                diags.extend(read_source_records(
                    source,
                    base_dir,
                    &mut builder,
                    options,
                    &mut each,
                ));
            }
        }
    }
    let set = builder.build();
    no_records(&set, sources, &mut diags);
    (set, diags)
}

fn no_records(set: &BallotSet, sources: &[CvrSource], diags: &mut Vec<Diagnostic>) {
    if set.total() == 0 && !sources.is_empty() {
        diags.push(Diagnostic::new(
            Code::CvrNoRecords,
            "no cast vote records found in any source; check the paths and contestId",
        ));
    }
}

/// For each source, the diagnostic that refuses it when an earlier source reads the same file.
fn duplicates(sources: &[CvrSource], base_dir: &Path) -> Vec<Option<Diagnostic>> {
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let p = source.file_path.as_deref().filter(|p| !p.trim().is_empty())?;
            let resolved = base_dir.join(p);
            let key = resolved.canonicalize().unwrap_or(resolved);
            if seen.contains(&key) {
                let msg = format!(
                    "cvrFileSources[{i}]: another source already reads {p}; list each file once"
                );
                return Some(Diagnostic::new(Code::CvrConfig, msg).field("filePath"));
            }
            seen.push(key);
            None
        })
        .collect()
}

/// Adds every ballot of `set` to `builder`, interning its labels, precincts and batches in their
/// order, so that merging sets read apart equals reading them one after the other.
fn merge(builder: &mut BallotSetBuilder, set: &BallotSet) {
    let labels: Vec<Label> = set.labels.iter().map(|l| builder.label(l)).collect();
    let precincts: Vec<u32> = set.precincts.iter().map(|p| builder.precinct(p)).collect();
    let batches: Vec<u32> = set.batches.iter().map(|b| builder.batch(b)).collect();
    let mut marks = Vec::new();
    for d in set.distinct() {
        marks.clear();
        marks.extend(
            set.marks(d).iter().map(|m| Mark { rank: m.rank, label: labels[m.label.0 as usize] }),
        );
        builder.add(&marks, d.count, precincts[d.precinct as usize], batches[d.batch as usize]);
    }
}

/// Counts, for each label the ballots use, how often it is marked (every mark of every ballot, as
/// RCTab counts), and reports those that `known` rejects, as RCTab's unrecognized-candidate check
/// does after reading. Labels interned for records that were left out are not counted.
pub fn unrecognized_labels(set: &BallotSet, known: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut uses = vec![0u64; set.labels.len()];
    for d in set.distinct() {
        for m in set.marks(d) {
            if let Some(u) = uses.get_mut(m.label.0 as usize) {
                *u += d.count;
            }
        }
    }
    set.labels
        .iter()
        .zip(uses)
        .filter(|(l, n)| *n > 0 && !known(l))
        .map(|(l, n)| {
            Diagnostic::new(
                Code::CvrUnknownCandidate,
                format!(
                    "unrecognized candidate \"{l}\" appears {n} time(s); add it (or an alias) to the config's candidates"
                ),
            )
        })
        .collect()
}

/// Collects the marks of one record and adds the record whole, or not at all.
pub(crate) struct Sink<'b> {
    builder: &'b mut BallotSetBuilder,
    pub(crate) diags: Vec<Diagnostic>,
    /// The file as reported in diagnostics.
    pub(crate) file: String,
    max_rankings: Option<u32>,
    check_limit: bool,
    marks: Vec<Mark>,
    bad_rank: Option<i64>,
    /// Records added from this source.
    pub(crate) records: u64,
    /// Who wants each record whole (conversions); `None` on the counting path.
    observer: Option<RecordObserver<'b>>,
    /// The ids of the record being built, set by readers when [`Sink::observing`].
    pub(crate) meta: CvrRecord,
}

impl<'b> Sink<'b> {
    pub(crate) fn new(
        builder: &'b mut BallotSetBuilder,
        file: String,
        max_rankings: Option<u32>,
        check_limit: bool,
    ) -> Sink<'b> {
        Sink {
            builder,
            diags: Vec::new(),
            file,
            max_rankings,
            check_limit,
            marks: Vec::new(),
            bad_rank: None,
            records: 0,
            observer: None,
            meta: CvrRecord::default(),
        }
    }

    /// Whether records are observed one by one: readers then fill [`Sink::meta`] before each
    /// commit, and take no path that counts identical records together.
    pub(crate) fn observing(&self) -> bool {
        self.observer.is_some()
    }

    /// Hands the record being added to the observer, with `meta`'s ids (then cleared).
    fn observe(&mut self, marks: &[Mark], precinct: &str, batch: &str) {
        let Some(observer) = self.observer.as_mut() else { return };
        let mut record = std::mem::take(&mut self.meta);
        let mut sorted: Vec<&Mark> = marks.iter().collect();
        sorted.sort_by_key(|m| m.rank);
        record.marks = sorted
            .into_iter()
            .map(|m| (m.rank, self.builder.label_text(m.label).to_owned()))
            .collect();
        precinct.clone_into(&mut record.precinct);
        batch.clone_into(&mut record.batch);
        observer(&record);
    }

    pub(crate) fn label(&mut self, text: &str) -> Label {
        self.builder.label(text)
    }

    /// Marks `text` at `rank`; a rank below 1 spoils the record (reported at commit).
    pub(crate) fn mark(&mut self, rank: i64, text: &str) {
        let label = self.builder.label(text);
        self.mark_label(rank, label);
    }

    pub(crate) fn mark_label(&mut self, rank: i64, label: Label) {
        push_mark(&mut self.marks, &mut self.bad_rank, rank, label);
    }

    /// Drops the record being built.
    pub(crate) fn discard(&mut self) {
        self.marks.clear();
        self.bad_rank = None;
        self.meta = CvrRecord::default();
    }

    pub(crate) fn error(
        &mut self,
        line: Option<u64>,
        code: Code,
        field: Option<&str>,
        msg: String,
    ) {
        let mut d = Diagnostic::new(code, msg).in_file(self.file.clone());
        d.line = line;
        if let Some(f) = field {
            d = d.field(f);
        }
        self.diags.push(d);
    }

    /// Adds the record (once) unless a rank is below 1 or, where the provider checks it, above
    /// `maxRankingsAllowed`; `id` names the record in the diagnostic. Returns whether it was added.
    pub(crate) fn commit(
        &mut self,
        id: impl FnOnce() -> String,
        line: Option<u64>,
        precinct: &str,
        batch: &str,
    ) -> bool {
        let limit = if self.check_limit { self.max_rankings } else { None };
        if let Some(problem) = RecordProblem::of(&self.marks, self.bad_rank, limit) {
            let (code, msg) = problem.diagnosis(&id());
            self.error(line, code, None, msg);
            self.discard();
            return false;
        }
        if self.observer.is_some() {
            let marks = std::mem::take(&mut self.marks);
            self.observe(&marks, precinct, batch);
            self.marks = marks;
        }
        let p = self.builder.precinct(precinct);
        let b = self.builder.batch(batch);
        self.builder.add(&self.marks, 1, p, b);
        self.marks.clear();
        self.records += 1;
        true
    }

    /// Whether this source checks `maxRankingsAllowed`, and against what.
    pub(crate) fn rank_limit(&self) -> Option<u32> {
        if self.check_limit { self.max_rankings } else { None }
    }

    /// Adds `count` records with these marks, already checked (see [`RecordProblem`]).
    pub(crate) fn add_checked(&mut self, marks: &[Mark], count: u64, precinct: &str, batch: &str) {
        if self.observer.is_some() {
            for _ in 0..count {
                self.observe(marks, precinct, batch);
            }
        }
        let p = self.builder.precinct(precinct);
        let b = self.builder.batch(batch);
        self.builder.add(marks, count, p, b);
        self.records += count;
    }

    /// Adds `count` records with these marks, already checked (see [`RecordProblem`]); returns
    /// the distinct ballot that counts them, for [`Sink::add_to`].
    pub(crate) fn add_distinct(
        &mut self,
        marks: &[Mark],
        count: u64,
        precinct: &str,
        batch: &str,
    ) -> u32 {
        let p = self.builder.precinct(precinct);
        let b = self.builder.batch(batch);
        self.records += count;
        self.builder.add_distinct(marks, count, p, b)
    }

    /// Adds `count` more records to a distinct ballot [`Sink::add_distinct`] returned.
    pub(crate) fn add_to(&mut self, distinct: u32, count: u64) {
        self.builder.add_to(distinct, count);
        self.records += count;
    }
}

/// Adds a mark at `rank` to a record's marks, or remembers the first rank below 1 (which spoils
/// the record, as RCTab's `CandidateRankingsList` does).
pub(crate) fn push_mark(
    marks: &mut Vec<Mark>,
    bad_rank: &mut Option<i64>,
    rank: i64,
    label: Label,
) {
    match u32::try_from(rank) {
        Ok(r) if r >= 1 => marks.push(Mark { rank: r, label }),
        _ => {
            bad_rank.get_or_insert(rank);
        }
    }
}

/// Why a record whose cells all read cannot be counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecordProblem {
    /// A rank below 1 (the first one found).
    BadRank(i64),
    /// A rank above `maxRankingsAllowed`.
    OverLimit { top: u32, max: u32 },
}

impl RecordProblem {
    /// The problem of a record with these marks (and first rank below 1), if any; `limit` is
    /// `maxRankingsAllowed` where the provider checks it.
    pub(crate) fn of(marks: &[Mark], bad_rank: Option<i64>, limit: Option<u32>) -> Option<Self> {
        if let Some(rank) = bad_rank {
            return Some(RecordProblem::BadRank(rank));
        }
        let max = limit?;
        let top = marks.iter().map(|m| m.rank).max()?;
        (top > max).then_some(RecordProblem::OverLimit { top, max })
    }

    /// The code and message for the record with this id.
    pub(crate) fn diagnosis(self, id: &str) -> (Code, String) {
        match self {
            RecordProblem::BadRank(rank) => (
                Code::CvrBadRank,
                format!("CVR \"{id}\" has rank {rank}; rankings must start at 1"),
            ),
            RecordProblem::OverLimit { top, max } => (
                Code::CvrRankLimit,
                format!(
                    "CVR \"{id}\" has a ranking {top}, but the contest allows at most {max} (maxRankingsAllowed)"
                ),
            ),
        }
    }
}

/// A `Read` that counts the line breaks read into a shared counter: serde_json reads its input
/// byte by byte, so the count is the line the parser is on.
pub(crate) struct CountLines<R> {
    pub(crate) inner: R,
    pub(crate) lines: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let nl = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        if nl > 0 {
            self.lines.set(self.lines.get() + nl);
        }
        Ok(n)
    }
}

/// Java's `String.trim()`: strips code points up to U+0020 only (not NBSP or other spaces).
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= '\u{20}')
}

/// Java's `String.isBlank()`: empty or only `Character.isWhitespace` characters.
pub(crate) fn java_is_blank(s: &str) -> bool {
    s.chars().all(java_is_whitespace)
}

fn java_is_whitespace(c: char) -> bool {
    matches!(c, '\u{9}'..='\u{d}' | '\u{1c}'..='\u{1f}')
        || (c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}'))
}

/// Java's `Integer.parseInt` on ASCII text: an optional sign, then decimal digits, in `i32` range.
pub(crate) fn java_parse_int(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let digits = match b.first()? {
        b'+' | b'-' => &b[1..],
        _ => b,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse::<i32>().ok()
}

/// Java's `String.split(Pattern.quote(delim))`: trailing empty parts are dropped, but a leading
/// or inner empty part is kept; an empty input gives one empty part.
pub(crate) fn java_split<'a>(s: &'a str, delim: &str) -> Vec<&'a str> {
    if s.is_empty() {
        return vec![""];
    }
    let mut parts: Vec<&str> = s.split(delim).collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        // Only delimiters: Java returns an empty array.
        parts.clear();
    }
    parts
}

/// RCTab's `sanitizeStringForOutput`: every character but letters, digits, `_`, `-` and `.`
/// becomes `_` (used in computed record ids).
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' })
        .collect()
}

/// A reader over a file that skips a UTF-8 byte-order mark.
pub(crate) fn open_text(path: &Path) -> std::io::Result<std::io::BufReader<std::fs::File>> {
    use std::io::BufRead;
    let mut r = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let head = r.fill_buf()?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        r.consume(3);
    }
    Ok(r)
}

/// Whether a text file ends its first line with CRLF. The `csv` crate then reports each record
/// after the first one line early (it starts the record at the `\n`), so readers add one.
pub(crate) fn starts_crlf(r: &mut std::io::BufReader<std::fs::File>) -> bool {
    use std::io::BufRead;
    r.fill_buf().is_ok_and(|b| memchr::memchr(b'\n', b).is_some_and(|i| i > 0 && b[i - 1] == b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_helpers() {
        assert_eq!(java_trim("\u{a0} A \t"), "\u{a0} A");
        assert_eq!(java_split("A|", "|"), ["A"]);
        assert_eq!(java_split("|A", "|"), ["", "A"]);
        assert_eq!(java_split("A||B", "|"), ["A", "", "B"]);
        assert_eq!(java_split("", "|"), [""]);
        assert!(java_split("||", "|").is_empty());
        assert_eq!(java_parse_int("+7"), Some(7));
        assert_eq!(java_parse_int("-0"), Some(0));
        assert_eq!(java_parse_int("1.0"), None);
        assert_eq!(java_parse_int("2147483648"), None);
        assert!(java_is_blank(" \t\u{2003}"));
        assert!(!java_is_blank("\u{a0}"));
        assert_eq!(sanitize("simple ess(1).xlsx"), "simple_ess_1_.xlsx");
    }

    #[test]
    fn unrecognized_labels_counts_every_mark() {
        let mut b = BallotSetBuilder::new();
        let (a, x, unused) = (b.label("A"), b.label("X"), b.label("Y"));
        let m = |rank, label| Mark { rank, label };
        b.add(&[m(1, a), m(1, x)], 3, 0, 0);
        b.add(&[m(1, x), m(2, x)], 2, 0, 0);
        let _ = unused;
        let set = b.build();
        let diags = unrecognized_labels(&set, |l| l == "A");
        assert_eq!(diags.len(), 1);
        assert!(diags[0].message.contains("\"X\" appears 7 time(s)"), "{}", diags[0]);
    }

    #[test]
    fn observed_records_give_the_same_ballots() {
        for case in ["generic_csv_test", "conversions_from_ess", "test_set_8_multi_cdf"] {
            let dir = test_support::suite_dir().join(case);
            let text = std::fs::read_to_string(dir.join(format!("{case}_config.json"))).unwrap();
            let config: serde_json::Value = serde_json::from_str(&text).unwrap();
            let sources: Vec<CvrSource> =
                serde_json::from_value(config["cvrFileSources"].clone()).unwrap();
            let options = ReadOptions::default();
            let (set, diags) = read_sources(&sources, &dir, &options);
            let mut records = Vec::new();
            let (observed, odiags) = read_sources_records(&sources, &dir, &options, &mut |i, r| {
                records.push((i, r.clone()));
            });
            assert_eq!(diags, odiags, "{case}");
            assert_eq!(set, observed, "{case}");
            assert_eq!(records.len() as u64, set.total(), "{case}");
            assert!(records.iter().all(|(_, r)| !r.computed_id.is_empty()), "{case}");
        }
    }

    #[test]
    fn parallel_read_equals_sequential_read() {
        let dir = test_support::suite_dir().join("test_set_8_multi_cdf");
        let text = std::fs::read_to_string(dir.join("test_set_8_multi_cdf_config.json")).unwrap();
        let config: serde_json::Value = serde_json::from_str(&text).unwrap();
        let sources: Vec<CvrSource> =
            serde_json::from_value(config["cvrFileSources"].clone()).unwrap();
        assert_eq!(sources.len(), 2);
        let options = ReadOptions::default();
        let mut b = BallotSetBuilder::new();
        for s in &sources {
            assert!(read_source(s, &dir, &mut b, &options).is_empty());
        }
        let (set, diags) = read_sources(&sources, &dir, &options);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(set, b.build());
        // The same file twice is refused.
        let twice = [sources[0].clone(), sources[0].clone()];
        let (set, diags) = read_sources(&twice, &dir, &options);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::CvrConfig);
        assert_eq!(set.total(), 12);
    }
}
