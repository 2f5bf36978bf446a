//! Generic CSV (`genericCsv`): candidates in header columns, ranks in cells (spec §8).
//!
//! The file is read whole. The header always goes through the `csv` crate. When the rows hold no
//! quote character and no carriage return except before a line feed, they are split on `\n` and
//! `,` directly, in parallel parts merged in file order, and each distinct raw row (its ranking
//! cells, precinct and batch) is read once and then only counted again: identical rows give
//! identical ballots. Rows with a problem are read again afterwards, in file order, with their
//! line and record index, for their diagnostics. Anything else goes through the `csv` crate row by
//! row. Both paths share [`read_row`], so they give the same ballots and the same diagnostics.

use std::borrow::Cow;
use std::ops::Range;

use hashbrown::HashMap;
use psephos_model::{Code, Diagnostic};
use psephos_rcv::{BallotSetBuilder, Label, Mark};

use super::source::Settings;
use super::{
    RecordProblem, Sink, UNDECLARED_WRITE_INS, java_is_blank, java_parse_int, java_trim, push_mark,
};

/// Placeholders RCTab 2.0.1 writes for an empty precinct or batch cell.
const NO_PRECINCT: &str = "no precinct id";
const NO_BATCH: &str = "no batch id";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Rows per distinct-row table in one part at most; past it, new rows are still read and counted,
/// only not remembered (so memory stays bounded when every row differs).
const MAX_REMEMBERED: usize = 1 << 18;
/// Files below this size are read in one part.
const MIN_PARALLEL: usize = 1 << 18;

pub(super) fn read(s: &Settings, sink: &mut Sink) {
    let t0 = std::time::Instant::now();
    let data = match std::fs::read(&s.path) {
        Ok(d) => d,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return;
        }
    };
    eprintln!("TIMING read file {:?}", t0.elapsed());
    read_bytes(s, &data, sink, true);
    eprintln!("TIMING total {:?}", t0.elapsed());
}

/// Reads a whole file's bytes; `fast` allows the split path (tests compare both).
fn read_bytes(s: &Settings, data: &[u8], sink: &mut Sink, fast: bool) {
    let body = data.strip_prefix(BOM).unwrap_or(data);
    let crlf = u64::from(starts_crlf(data));
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
    let mut rec = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => {
            sink.error(
                Some(1),
                Code::CvrStructure,
                None,
                "the file is empty: no header row".into(),
            );
            return;
        }
        Err(e) => {
            sink.error(Some(1), Code::CvrSyntax, None, format!("malformed CSV: {e}"));
            return;
        }
    }
    let mut header = Vec::with_capacity(rec.len());
    for (col, cell) in rec.iter().enumerate() {
        match std::str::from_utf8(cell) {
            Ok(t) => header.push(t.to_owned()),
            Err(_) => {
                let field = (col + 1).to_string();
                sink.error(
                    Some(1),
                    Code::CvrSyntax,
                    Some(&field),
                    "header cell is not UTF-8".into(),
                );
                return;
            }
        }
    }
    // RCTab finds the write-in column anywhere in the header, first match.
    let uwi_col = s.uwi_label.as_ref().and_then(|l| header.iter().position(|h| h == l));
    let mut names: Vec<&str> = Vec::new();
    let mut labels: Vec<Label> = Vec::new();
    for (col, name) in header.iter().enumerate().skip(s.first_col) {
        if name.is_empty() {
            let field = (col + 1).to_string();
            sink.error(
                Some(1),
                Code::CvrStructure,
                Some(&field),
                format!("candidate name on column {} cannot be empty", col + 1),
            );
            return;
        }
        let name = if Some(col) == uwi_col { UNDECLARED_WRITE_INS } else { name };
        names.push(name);
        labels.push(sink.label(name));
    }
    if s.first_row != 1 {
        sink.diags.push(
            Diagnostic::new(
                Code::CvrSetting,
                format!(
                    "firstVoteRowIndex is {}: psephos starts reading on that row, RCTab 2.0.1 on row 2 whatever the setting",
                    s.first_row + 1
                ),
            )
            .in_file(sink.file.clone())
            .field("firstVoteRowIndex"),
        );
    }
    let cols = Columns {
        first: s.first_col,
        precinct: s.precinct_col,
        batch: s.batch_col,
        id: s.id_col,
        header_len: header.len(),
        labels: &labels,
        limit: sink.rank_limit(),
    };
    let skip = s.first_row.saturating_sub(1);
    let start = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX).min(body.len());
    let rows = Rows { body, start, line: rdr.position().line(), crlf };
    let t0 = std::time::Instant::now();
    let pl = plain(&body[start..]);
    eprintln!("TIMING plain {:?}", t0.elapsed());
    if fast && pl {
        read_split(&rows, &cols, &names, skip, sink);
    } else {
        read_records(rdr, &cols, skip, crlf, sink);
    }
}

/// What a data row needs from the settings and header.
struct Columns<'h> {
    first: usize,
    precinct: Option<usize>,
    batch: Option<usize>,
    id: Option<usize>,
    /// Cells in the header row.
    header_len: usize,
    /// The label of each candidate column, from `first` on.
    labels: &'h [Label],
    /// `maxRankingsAllowed`, checked for this provider.
    limit: Option<u32>,
}

/// Where a row's problems go, with what names the row.
struct Report<'r> {
    diags: &'r mut Vec<Diagnostic>,
    file: &'r str,
    line: Option<u64>,
    /// The record's 1-based index among the rows read (its id when there is no id cell).
    index: u64,
}

impl Report<'_> {
    fn push(&mut self, code: Code, field: Option<String>, msg: String) {
        let mut d = Diagnostic::new(code, msg).in_file(self.file.to_owned());
        d.line = self.line;
        if let Some(f) = field {
            d = d.field(f);
        }
        self.diags.push(d);
    }
}

fn lossy(cell: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(cell),
    }
}

/// Reads one data row into `marks`. Returns its precinct and batch when the row can be counted,
/// `None` when it has a problem: without a `report`, at the first problem; with one, after
/// reporting every problem as RCTab would meet them.
fn read_row<'c>(
    cols: &Columns,
    cells: &[&'c [u8]],
    marks: &mut Vec<Mark>,
    mut report: Option<&mut Report>,
) -> Option<(Cow<'c, str>, Cow<'c, str>)> {
    marks.clear();
    let mut bad_rank = None;
    let mut spoiled = false;
    for (col, &cell) in cells.iter().enumerate().skip(cols.first) {
        let text = lossy(cell);
        if is_blank(cell, &text) {
            continue;
        }
        let t = java_trim(&text);
        let Some(rank) = java_parse_int(t) else {
            let r = report.as_deref_mut()?;
            let row = lossy(cells.first().copied().unwrap_or_default());
            r.push(
                Code::CvrBadRank,
                Some((col + 1).to_string()),
                format!(
                    "row {row}: expected a rank (a whole number) in column {}, found \"{t}\"",
                    col + 1
                ),
            );
            spoiled = true;
            continue;
        };
        match cols.labels.get(col - cols.first) {
            Some(&label) => push_mark(marks, &mut bad_rank, i64::from(rank), label),
            None => {
                let r = report.as_deref_mut()?;
                r.push(
                    Code::CvrInvalidRecord,
                    Some((col + 1).to_string()),
                    format!(
                        "rank {t} in column {}, but the header names only {} columns",
                        col + 1,
                        cols.header_len
                    ),
                );
                spoiled = true;
            }
        }
    }
    if spoiled {
        return None;
    }
    let cell = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(|b| lossy(b));
    let slice = |c: Option<usize>, missing: &'static str| match c {
        None => Cow::Borrowed(""),
        Some(_) => cell(c).filter(|v| !java_is_blank(v)).unwrap_or(Cow::Borrowed(missing)),
    };
    if let Some(problem) = RecordProblem::of(marks, bad_rank, cols.limit) {
        if let Some(r) = report {
            let id = cell(cols.id)
                .filter(|v| !v.is_empty())
                .map(Cow::into_owned)
                .unwrap_or_else(|| r.index.to_string());
            let (code, msg) = problem.diagnosis(&id);
            r.push(code, None, msg);
        }
        return None;
    }
    Some((slice(cols.precinct, NO_PRECINCT), slice(cols.batch, NO_BATCH)))
}

/// Blank as Java's `isBlank`, without decoding plain ASCII cells.
fn is_blank(cell: &[u8], text: &str) -> bool {
    if cell.is_ascii() {
        cell.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f))
    } else {
        java_is_blank(text)
    }
}

/// Whether the text's first line (within the first 64 KiB, as a buffered reader sees it) ends
/// with CRLF. The `csv` crate then reports each record after the first one line early (it starts
/// the record at the `\n`), so the line is corrected by one.
fn starts_crlf(data: &[u8]) -> bool {
    let head = &data[..data.len().min(1 << 16)];
    let head = head.strip_prefix(BOM).unwrap_or(head);
    memchr::memchr(b'\n', head).is_some_and(|i| i > 0 && head[i - 1] == b'\r')
}

/// The rows through the `csv` crate, one record at a time.
fn read_records(
    mut rdr: csv::Reader<&[u8]>,
    cols: &Columns,
    skip: usize,
    crlf: u64,
    sink: &mut Sink,
) {
    let mut rec = csv::ByteRecord::new();
    let mut spare: Vec<&[u8]> = Vec::new();
    let mut marks = Vec::new();
    let mut index: u64 = 0;
    let mut skipped = 0;
    let file = sink.file.clone();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                sink.error(line, Code::CvrSyntax, None, format!("malformed CSV: {e}"));
                break;
            }
        }
        if skipped < skip {
            skipped += 1;
            continue;
        }
        index += 1;
        let line = rec.position().map(|p| p.line() + crlf);
        let mut cells = reuse(spare);
        cells.extend(rec.iter());
        let mut report = Report { diags: &mut sink.diags, file: &file, line, index };
        if let Some((precinct, batch)) = read_row(cols, &cells, &mut marks, Some(&mut report)) {
            sink.add_checked(&marks, 1, &precinct, &batch);
        }
        spare = reuse(cells);
    }
}

/// An empty vector on the allocation of `v`, for borrows of another lifetime.
fn reuse<'b>(mut v: Vec<&[u8]>) -> Vec<&'b [u8]> {
    v.clear();
    v.into_iter().map(|_| &[][..]).collect()
}

/// Whether rows split on `\n` and `,` are the records the `csv` crate reads: no quote, and no
/// carriage return but one just before a line feed or at the very end.
fn plain(rows: &[u8]) -> bool {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 20;
    let ok = |range: Range<usize>| {
        memchr::memchr2_iter(b'"', b'\r', &rows[range.clone()]).all(|i| {
            let at = range.start + i;
            rows[at] == b'\r' && rows.get(at + 1).is_none_or(|&b| b == b'\n')
        })
    };
    if rows.len() <= MIN_PARALLEL {
        return ok(0..rows.len());
    }
    (0..rows.len().div_ceil(BLOCK))
        .into_par_iter()
        .all(|k| ok(k * BLOCK..((k + 1) * BLOCK).min(rows.len())))
}

/// The rows after the header, for the split path.
struct Rows<'a> {
    /// The file without its byte-order mark.
    body: &'a [u8],
    /// Where the `csv` crate stopped reading the header.
    start: usize,
    /// The `csv` crate's line count there.
    line: u64,
    crlf: u64,
}

/// One line from `pos`: its text without a final `\r`, and where the next begins.
fn line_at(body: &[u8], pos: usize, end: usize) -> (&[u8], usize) {
    let (stop, next) = match memchr::memchr(b'\n', &body[pos..end]) {
        Some(i) => (pos + i, pos + i + 1),
        None => (end, end),
    };
    let line = &body[pos..stop];
    (line.strip_suffix(b"\r").unwrap_or(line), next)
}

impl Rows<'_> {
    /// The line the `csv` crate gives the record whose line begins at `at`: its count of `\n`
    /// read when the previous record ended (at that record's `\r` or `\n`, or the header's end),
    /// plus the CRLF correction. `cursor` carries a count forward between calls in file order.
    fn line_of(&self, at: usize, cursor: &mut (usize, u64)) -> u64 {
        let body = self.body;
        let mut e = at;
        let end_prev = loop {
            if e <= self.start {
                break self.start;
            }
            let nl = e - 1;
            let begin = memchr::memrchr(b'\n', &body[self.start..nl])
                .map_or(self.start, |i| self.start + i + 1);
            let cr = nl > begin && body[nl - 1] == b'\r';
            if nl - usize::from(cr) > begin {
                break if cr { nl } else { nl + 1 };
            }
            e = begin;
        };
        let (pos, count) = cursor;
        if end_prev >= *pos {
            *count += memchr::memchr_iter(b'\n', &body[*pos..end_prev]).count() as u64;
            *pos = end_prev;
        } else {
            *count = memchr::memchr_iter(b'\n', &body[self.start..end_prev]).count() as u64;
            *pos = end_prev;
        }
        self.line + *count + self.crlf
    }
}

/// The split path: the rows in parallel parts, merged in file order.
fn read_split(rows: &Rows, cols: &Columns, names: &[&str], skip: usize, sink: &mut Sink) {
    use rayon::prelude::*;
    let body = rows.body;
    // Skipped rows (firstVoteRowIndex > 2) are records all the same.
    let mut pos = rows.start;
    let mut skipped = 0;
    while skipped < skip && pos < body.len() {
        let (line, next) = line_at(body, pos, body.len());
        if !line.is_empty() {
            skipped += 1;
        }
        pos = next;
    }
    let t0 = std::time::Instant::now();
    let parts = split_lines(body, pos, if body.len() - pos <= MIN_PARALLEL { 1 } else { 0 });
    let parts: Vec<Part> = parts
        .into_par_iter()
        .map(|range| {
            let mut part = Part::new(names);
            part.scan(cols, body, range);
            part
        })
        .collect();
    eprintln!("TIMING parts {:?} {}", t0.elapsed(), parts.len());
    let mut index = 0;
    let mut cursor = (rows.start, 0);
    let mut cells = Vec::new();
    let mut marks = Vec::new();
    let file = sink.file.clone();
    for part in parts {
        sink.add_set(&part.builder.build());
        for &(at, n) in &part.bad {
            let line = rows.line_of(at, &mut cursor);
            let (text, _) = line_at(body, at, body.len());
            cells.clear();
            cells.extend(text.split(|&b| b == b','));
            let mut report =
                Report { diags: &mut sink.diags, file: &file, line: Some(line), index: index + n };
            let counted = read_row(cols, &cells, &mut marks, Some(&mut report));
            debug_assert!(counted.is_none(), "a row with a problem reads the same again");
        }
        index += part.records;
    }
}

/// Line-aligned ranges from `start` to the end: `parts` of them, or four per thread when 0.
fn split_lines(body: &[u8], start: usize, parts: usize) -> Vec<Range<usize>> {
    let n = if parts == 0 {
        std::env::var("NPARTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(rayon::current_num_threads().max(1) * 4)
    } else {
        parts
    };
    let len = body.len() - start;
    let mut out = Vec::with_capacity(n);
    let mut from = start;
    for k in 1..=n {
        let to = if k == n {
            body.len()
        } else {
            let target = (start + len / n * k).max(from);
            memchr::memchr(b'\n', &body[target..]).map_or(body.len(), |i| target + i + 1)
        };
        if to > from {
            out.push(from..to);
            from = to;
        }
    }
    out
}

/// The raw text that decides what a row counts as: its ranking cells (with the comma before
/// them, so that "no ranking cell" differs from "one empty cell"), and its precinct and batch
/// cells when those are read.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct RowKey<'a> {
    ranks: &'a [u8],
    precinct: Option<&'a [u8]>,
    batch: Option<&'a [u8]>,
}

/// The `k`-th cell (0-based) of a line.
fn nth_cell(line: &[u8], k: usize) -> Option<&[u8]> {
    let begin = if k == 0 { 0 } else { memchr::memchr_iter(b',', line).nth(k - 1)? + 1 };
    let end = memchr::memchr(b',', &line[begin..]).map_or(line.len(), |i| begin + i);
    Some(&line[begin..end])
}

impl Columns<'_> {
    fn key<'a>(&self, line: &'a [u8]) -> RowKey<'a> {
        let ranks = if self.first == 0 {
            line
        } else {
            memchr::memchr_iter(b',', line).nth(self.first - 1).map_or(&[][..], |c| &line[c..])
        };
        RowKey {
            ranks,
            precinct: self.precinct.and_then(|c| nth_cell(line, c)),
            batch: self.batch.and_then(|c| nth_cell(line, c)),
        }
    }
}

/// What one part of the rows holds: its ballots, read as a source of its own, and its rows with
/// a problem.
struct Part<'a> {
    builder: BallotSetBuilder,
    labels: Vec<Label>,
    seen: HashMap<RowKey<'a>, u32>,
    /// Rows with a problem: where the line begins, and the record's 1-based index in the part.
    bad: Vec<(usize, u64)>,
    records: u64,
}

impl<'a> Part<'a> {
    fn new(names: &[&str]) -> Part<'a> {
        let mut builder = BallotSetBuilder::new();
        let labels = names.iter().map(|n| builder.label(n)).collect();
        Part { builder, labels, seen: HashMap::new(), bad: Vec::new(), records: 0 }
    }

    fn scan(&mut self, cols: &Columns, body: &'a [u8], range: Range<usize>) {
        let labels = std::mem::take(&mut self.labels);
        let cols = Columns { labels: &labels, ..*cols };
        let mut cells: Vec<&'a [u8]> = Vec::new();
        let mut marks = Vec::new();
        let mut pos = range.start;
        while pos < range.end {
            let (line, next) = line_at(body, pos, range.end);
            let at = pos;
            pos = next;
            if line.is_empty() {
                continue;
            }
            self.records += 1;
            let key = cols.key(line);
            if let Some(&i) = self.seen.get(&key) {
                self.builder.add_to(i, 1);
                continue;
            }
            cells.clear();
            cells.extend(line.split(|&b| b == b','));
            match read_row(&cols, &cells, &mut marks, None) {
                Some((precinct, batch)) => {
                    let p = self.builder.precinct(&precinct);
                    let b = self.builder.batch(&batch);
                    let i = self.builder.add_distinct(&marks, 1, p, b);
                    if self.seen.len() < MAX_REMEMBERED {
                        self.seen.insert(key, i);
                    }
                }
                None => self.bad.push((at, self.records)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, read_case};
    use super::super::{CvrSource, ReadOptions, Sink};
    use super::*;
    use psephos_model::Code;
    use psephos_rcv::BallotSet;

    #[test]
    fn generic_csv_test() {
        let set = check_case("generic_csv_test");
        // Row 3: Cauliflower 1, Cucumber 2, Lettuce 3, Write-In 4, Broccoli 5.
        assert_eq!(
            count_of(&set, "1:Cauliflower 2:Cucumber 3:Lettuce 4:Undeclared Write-ins 5:Broccoli"),
            1
        );
        assert_eq!(set.precincts, ["", "p1", "p2", "no precinct id"]);
        assert_eq!(set.batches, ["", "b1", "b2", "no batch id"]);
    }

    #[test]
    fn csv_missing_header_test() {
        let set = check_case("csv_missing_header_test");
        assert_eq!(count_of(&set, "1:Cucumber 2:Broccoli"), 1);
    }

    #[test]
    fn max_ranking_enforcement_fails() {
        let (_, diags) = read_case("max_ranking_enforcement");
        let limits: Vec<_> = diags.iter().filter(|d| d.code == Code::CvrRankLimit).collect();
        assert_eq!(limits.len(), 1, "{diags:?}");
        assert!(limits[0].message.contains("CVR \"1\" has a ranking 4"), "{}", limits[0]);
        assert_eq!(limits[0].line, Some(2), "{}", limits[0]);
    }

    /// Reads `data` as a source with these settings, by the split path (when it applies) and by
    /// the `csv` crate.
    fn both(source: &str, data: &[u8], max: Option<u32>) -> [(BallotSet, Vec<Diagnostic>); 2] {
        let source: CvrSource = serde_json::from_str(source).unwrap();
        let mut diags = Vec::new();
        let s = source.settings(std::path::Path::new("."), &mut diags).expect("valid settings");
        let options = ReadOptions { max_rankings: max, ..ReadOptions::default() };
        [true, false].map(|fast| {
            let mut b = BallotSetBuilder::new();
            // Something read before, so that labels and precincts do not start at 0.
            let earlier = b.label("Earlier");
            let p = b.precinct("P0");
            b.add(&[Mark { rank: 1, label: earlier }], 1, p, 0);
            let mut sink = Sink::new(&mut b, "f.csv".into(), options.max_rankings, true);
            read_bytes(&s, data, &mut sink, fast);
            let diags = std::mem::take(&mut sink.diags);
            (b.build(), diags)
        })
    }

    const SOURCE: &str = r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"4",
        "firstVoteRowIndex":"2","idColumnIndex":"1","precinctColumnIndex":"2","batchColumnIndex":"3",
        "undeclaredWriteInLabel":"W"}"#;

    #[test]
    fn split_path_reads_as_the_csv_crate_does() {
        let text = "\u{feff}id,p,b,A,B,C,W\n\
            1,p1,b1,1,2,,\n\
            2,p1,b1,1,2,,\n\
            \n\
            3,,b2, 2 ,1,,\n\
            4,p2,,x,1,,\n\
            5,p2,b1,1,0,,\n\
            6,p1,b1,1,2,,\n\
            7,p1,b1,1,2,,,5\n\
            ,p1,b1,,,,4\n\
            9,p1\n\
            10,p1,b1,1,1,,\n\
            11,\u{a0},b1,1,,9,\n\
            12,p1,b1,1,2,,";
        for max in [None, Some(3)] {
            for eol in ["\n", "\r\n"] {
                let data = text.replace('\n', eol);
                let [fast, slow] = both(SOURCE, data.as_bytes(), max);
                assert_eq!(fast, slow, "{eol:?} {max:?}");
                assert!(fast.1.iter().any(|d| d.code == Code::CvrBadRank), "{:?}", fast.1);
                assert_eq!(fast.0.total(), slow.0.total());
            }
        }
        // Quotes go through the csv crate, and still read the same.
        let quoted = text.replace("p2", "\"p2\"");
        let [fast, slow] = both(SOURCE, quoted.as_bytes(), None);
        assert_eq!(fast, slow);
    }

    #[test]
    fn split_path_in_parallel_parts_equals_one_part() {
        // Enough rows for several parts, with problems and blank lines among them.
        let mut text = String::from("id,p,b,A,B,C,W\n");
        let mut x: u64 = 7;
        for i in 0..60_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = (x >> 33) % 1000;
            let p = ["p1", "p2", "", "p3"][(r % 4) as usize];
            let cells = match r {
                0 => "x,1,,".to_owned(),
                1 => "0,1,,".to_owned(),
                2 => String::new(),
                3..=5 => "1,2,3,4".to_owned(),
                _ => format!("{},{},,{}", r % 3 + 1, (r / 3) % 3 + 2, (r / 9) % 4),
            };
            text.push_str(&format!("{i},{p},b{},{cells}\n", r % 2));
            if r == 7 {
                text.push('\n');
            }
        }
        for max in [None, Some(3)] {
            let [fast, slow] = both(SOURCE, text.as_bytes(), max);
            assert!(!fast.1.is_empty());
            assert_eq!(fast, slow);
        }
        let crlf = text.replace('\n', "\r\n");
        let [fast, slow] = both(SOURCE, crlf.as_bytes(), Some(3));
        assert_eq!(fast, slow);
    }

    #[test]
    fn split_path_random_rows() {
        // Short random files over the characters that matter; every one reads the same both ways.
        let alphabet: &[&str] =
            &[",", ",", ",", "\n", "\r\n", "1", "2", "3", "0", "-1", " ", "a", "+", "\u{e9}"];
        let sources = [
            SOURCE,
            r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"1","firstVoteRowIndex":"2"}"#,
            r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"2","firstVoteRowIndex":"3","batchColumnIndex":"5"}"#,
        ];
        let mut x: u64 = 1;
        for case in 0..3000 {
            let mut text = String::from("A,B,C,D\n");
            for _ in 0..(case % 40) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                text.push_str(alphabet[((x >> 33) % alphabet.len() as u64) as usize]);
            }
            let source = sources[case % sources.len()];
            let [fast, slow] = both(source, text.as_bytes(), Some(2));
            assert_eq!(fast, slow, "{text:?}");
        }
    }

    #[test]
    fn row_lines_follow_the_csv_crate() {
        let text = "id,p,b,A\n1,p,b,x\n\n2,p,b,x\r\n3,p,b,x\n";
        let [fast, slow] = both(SOURCE, text.as_bytes(), None);
        let lines: Vec<_> = fast.1.iter().map(|d| d.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4)]);
        assert_eq!(fast, slow);
    }
}
