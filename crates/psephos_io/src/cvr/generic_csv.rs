//! Generic CSV (`genericCsv`): candidates in header columns, ranks in cells (spec §8).
//!
//! The header always goes through the `csv` crate. The rows then stream in blocks of whole
//! lines: a block with no quote character, and no carriage return but before a line feed, is
//! split on `\n` and `,` directly. Blocks are read in parallel and merged in file order. Each
//! distinct raw row (its ranking cells, precinct and batch cells) is read once and then only
//! counted: identical rows give identical ballots. The raw rows already read are kept compactly
//! and shared by the blocks of the next batch. Rows with a problem are read again while merging,
//! with their line and record index, for their diagnostics. From the first block that cannot be
//! split, the `csv` crate reads the rest, record by record. Both paths share [`read_row`], so
//! they give the same ballots and diagnostics; the line of a record is the one the `csv` crate
//! gives it.

use std::borrow::Cow;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;

use hashbrown::{DefaultHashBuilder, HashTable};
use psephos_model::{Code, Diagnostic};
use psephos_rcv::{Label, Mark};

use super::source::Settings;
use super::{
    RecordProblem, Sink, UNDECLARED_WRITE_INS, java_is_blank, java_parse_int, java_trim, push_mark,
    starts_crlf,
};

/// Placeholders RCTab 2.0.1 writes for an empty precinct or batch cell.
const NO_PRECINCT: &str = "no precinct id";
const NO_BATCH: &str = "no batch id";
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Block sizes of the split path: the first block, read alone to learn the common rows, and the
/// blocks of every later batch.
#[derive(Clone, Copy, Debug)]
struct Blocks {
    first: usize,
    rest: usize,
}

const BLOCKS: Blocks = Blocks { first: 1 << 18, rest: 1 << 21 };

/// Distinct raw rows remembered at most; past it, a new row is read again in each block where it
/// appears (memory stays bounded when nearly every row differs).
const MAX_KNOWN: usize = 1 << 20;

pub(super) fn read(s: &Settings, sink: &mut Sink) {
    read_with(s, sink, Some(BLOCKS));
}

/// How the rows were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Not at all (no file, or a bad header).
    None,
    /// Split, every block.
    Split,
    /// Split, then the `csv` crate from the first block that cannot be split.
    SplitThenCsv,
    /// The `csv` crate only.
    Csv,
}

/// Reads the file; `split` allows the split path, with these block sizes (tests use tiny ones).
fn read_with(s: &Settings, sink: &mut Sink, split: Option<Blocks>) -> Route {
    let opened = File::open(&s.path).and_then(|f| {
        let mut r = BufReader::with_capacity(1 << 16, f);
        let bom = r.fill_buf()?.starts_with(BOM);
        if bom {
            r.consume(BOM.len());
        }
        Ok((r, if bom { BOM.len() as u64 } else { 0 }))
    });
    let (mut file, bom) = match opened {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return Route::None;
        }
    };
    let crlf = u64::from(starts_crlf(&mut file));
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
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
            return Route::None;
        }
        Err(e) => {
            sink.error(Some(1), Code::CvrSyntax, None, format!("malformed CSV: {e}"));
            return Route::None;
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
                return Route::None;
            }
        }
    }
    // RCTab finds the write-in column anywhere in the header, first match.
    let uwi_col = s.uwi_label.as_ref().and_then(|l| header.iter().position(|h| h == l));
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
            return Route::None;
        }
        let name = if Some(col) == uwi_col { UNDECLARED_WRITE_INS } else { name };
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
    // Rows to skip (firstVoteRowIndex > 2, which RCTab ignores) go through the csv crate, and so
    // do observed records, which are handed over one by one.
    let Some(blocks) = split.filter(|_| skip == 0 && !sink.observing()) else {
        read_records(rdr, &cols, skip, 0, crlf, 0, sink);
        return Route::Csv;
    };
    let at = rdr.position().clone();
    let mut file = rdr.into_inner().into_inner();
    let from = Resume { offset: at.byte(), line: at.line(), index: 0 };
    let resume = file
        .seek(SeekFrom::Start(bom + from.offset))
        .and_then(|_| read_split(&mut file, &from, crlf, &cols, sink, blocks));
    match resume {
        Ok(None) => Route::Split,
        Ok(Some(r)) => {
            match file.seek(SeekFrom::Start(bom + r.offset)) {
                Ok(_) => {
                    let rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .from_reader(BufReader::with_capacity(1 << 16, file));
                    read_records(rdr, &cols, 0, r.line - 1, crlf, r.index, sink);
                }
                Err(e) => sink.error(None, Code::CvrSyntax, None, format!("malformed CSV: {e}")),
            }
            Route::SplitThenCsv
        }
        Err(e) => {
            sink.error(None, Code::CvrSyntax, None, format!("malformed CSV: {e}"));
            Route::Split
        }
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

/// The rows through the `csv` crate, one record at a time.
///
/// `shift` is added to the lines the reader counts (a reader started mid-file counts from 1),
/// `index` is the number of records already read.
fn read_records<R: Read>(
    mut rdr: csv::Reader<R>,
    cols: &Columns,
    skip: usize,
    shift: u64,
    crlf: u64,
    mut index: u64,
    sink: &mut Sink,
) {
    let mut rec = csv::ByteRecord::new();
    let mut spare: Vec<&[u8]> = Vec::new();
    let mut marks = Vec::new();
    let mut skipped = 0;
    let file = sink.file.clone();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line() + shift);
                sink.error(line, Code::CvrSyntax, None, format!("malformed CSV: {e}"));
                break;
            }
        }
        if skipped < skip {
            skipped += 1;
            continue;
        }
        index += 1;
        let line = rec.position().map(|p| p.line() + shift + crlf);
        let mut cells = reuse(spare);
        cells.extend(rec.iter());
        let mut report = Report { diags: &mut sink.diags, file: &file, line, index };
        if let Some((precinct, batch)) = read_row(cols, &cells, &mut marks, Some(&mut report)) {
            if sink.observing() {
                sink.meta.computed_id = index.to_string();
                sink.meta.supplied_id = cols
                    .id
                    .and_then(|c| cells.get(c))
                    .map(|b| lossy(b).into_owned())
                    .unwrap_or_default();
            }
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

/// Where reading stands: the byte after the last record read (where the `csv` crate would be),
/// in the text after the byte-order mark; the `csv` crate's line count there; records read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Resume {
    offset: u64,
    line: u64,
    index: u64,
}

/// A block of whole lines.
struct Block {
    data: Vec<u8>,
    /// The last block of the file (it may end without a line feed).
    last: bool,
}

/// The file after the header, in blocks of whole lines.
struct Stream<'f> {
    file: &'f mut File,
    carry: Vec<u8>,
    eof: bool,
    spare: Vec<Vec<u8>>,
}

impl Stream<'_> {
    /// The next block: about `size` bytes, cut after the last line feed (longer when a line is).
    fn block(&mut self, size: usize) -> std::io::Result<Option<Block>> {
        let mut data = self.spare.pop().unwrap_or_default();
        data.clear();
        data.append(&mut self.carry);
        loop {
            if !self.eof {
                let want = size.saturating_sub(data.len()).max(1 << 12);
                let n = (&mut *self.file).take(want as u64).read_to_end(&mut data)?;
                self.eof = n < want;
            }
            if self.eof {
                return Ok((!data.is_empty()).then_some(Block { data, last: true }));
            }
            if let Some(i) = memchr::memrchr(b'\n', &data) {
                self.carry.extend_from_slice(&data[i + 1..]);
                data.truncate(i + 1);
                return Ok(Some(Block { data, last: false }));
            }
        }
    }

    fn batch(&mut self, blocks: usize, size: usize) -> std::io::Result<Vec<Block>> {
        let mut out = Vec::with_capacity(blocks);
        while out.len() < blocks {
            match self.block(size)? {
                Some(b) => out.push(b),
                None => break,
            }
        }
        Ok(out)
    }
}

/// Distinct raw rows already merged, shared read-only by the blocks of a batch: each raw key and
/// what it counts as.
struct Known {
    hasher: DefaultHashBuilder,
    table: HashTable<KnownKey>,
    keys: Vec<u8>,
    /// Per row: the distinct ballot in the sink's builder, or [`Known::BAD`].
    what: Vec<u32>,
}

#[derive(Clone, Copy)]
struct KnownKey {
    hash: u64,
    start: u32,
    len: u32,
    row: u32,
}

impl Known {
    /// A row with a problem: every occurrence is reported.
    const BAD: u32 = u32::MAX;

    fn new() -> Known {
        Known {
            hasher: DefaultHashBuilder::default(),
            table: HashTable::new(),
            keys: Vec::new(),
            what: Vec::new(),
        }
    }

    fn find(&self, hash: u64, key: &[u8]) -> Option<usize> {
        self.table
            .find(hash, |k| {
                k.hash == hash && &self.keys[k.start as usize..(k.start + k.len) as usize] == key
            })
            .map(|k| k.row as usize)
    }

    fn insert(&mut self, hash: u64, key: &[u8], what: u32) {
        let (Ok(start), Ok(len)) = (u32::try_from(self.keys.len()), u32::try_from(key.len()))
        else {
            return;
        };
        if self.what.len() >= MAX_KNOWN || start.checked_add(len).is_none() {
            return;
        }
        let row = self.what.len() as u32;
        self.keys.extend_from_slice(key);
        self.what.push(what);
        self.table.insert_unique(hash, KnownKey { hash, start, len, row }, |k| k.hash);
    }
}

/// What the scan of one block found.
#[derive(Default)]
struct Scanned<'b> {
    /// Whether the block could be split (otherwise nothing else is filled).
    plain: bool,
    /// Known rows seen: (row, times).
    hits: Vec<(u32, u32)>,
    /// Rows not known, in order of first appearance.
    new: Vec<NewRow<'b>>,
    keys: Vec<u8>,
    marks: Vec<Mark>,
    bad: Vec<BadRow>,
    records: u64,
    newlines: u64,
    /// Where the last record ended: its byte offset after its `\r` or `\n`, and the line feeds
    /// before that.
    last_end: Option<(usize, u64)>,
}

struct NewRow<'b> {
    hash: u64,
    key: Range<usize>,
    count: u64,
    /// Marks (a range of `Scanned::marks`), precinct and batch, or `None` for a row with a problem.
    ballot: Option<(Range<usize>, Cow<'b, str>, Cow<'b, str>)>,
}

/// A row with a problem: where its line begins in the block, its record index in the block
/// (1-based), and the line feeds in the block before the previous record's end (`None` when the
/// previous record is in an earlier block).
struct BadRow {
    at: usize,
    index: u64,
    prev_end: Option<u64>,
}

/// Whether a block splits as the `csv` crate reads it: no quote, and every carriage return just
/// before a line feed or at the very end of the file.
fn plain(block: &Block) -> bool {
    let data = &block.data;
    memchr::memchr2_iter(b'"', b'\r', data)
        .all(|i| data[i] == b'\r' && data.get(i + 1).map_or(block.last, |&b| b == b'\n'))
}

impl Columns<'_> {
    /// The raw text that decides what a row counts as: its ranking cells (with the comma before
    /// them, so that no ranking cell differs from one empty cell), then its precinct and batch
    /// cells when those are read (`\n` before a cell, `\r` for a missing one: neither can be in
    /// a cell of a split row).
    fn key<'k>(&self, line: &'k [u8], buf: &'k mut Vec<u8>) -> &'k [u8] {
        let ranks = if self.first == 0 {
            line
        } else {
            memchr::memchr_iter(b',', line).nth(self.first - 1).map_or(&[][..], |c| &line[c..])
        };
        if self.precinct.is_none() && self.batch.is_none() {
            return ranks;
        }
        buf.clear();
        buf.extend_from_slice(ranks);
        for col in [self.precinct, self.batch].into_iter().flatten() {
            match nth_cell(line, col) {
                Some(cell) => {
                    buf.push(b'\n');
                    buf.extend_from_slice(cell);
                }
                None => buf.push(b'\r'),
            }
        }
        buf
    }
}

/// The `k`-th cell (0-based) of a line.
fn nth_cell(line: &[u8], k: usize) -> Option<&[u8]> {
    let begin = if k == 0 { 0 } else { memchr::memchr_iter(b',', line).nth(k - 1)? + 1 };
    let end = memchr::memchr(b',', &line[begin..]).map_or(line.len(), |i| begin + i);
    Some(&line[begin..end])
}

/// One line from `pos`: its text without a final `\r`, whether it had one, where it stops (at
/// its `\r` or `\n`, or the end) and where the next begins.
fn line_at(data: &[u8], pos: usize) -> (&[u8], bool, usize) {
    let (stop, next) = match memchr::memchr(b'\n', &data[pos..]) {
        Some(i) => (pos + i, pos + i + 1),
        None => (data.len(), data.len()),
    };
    let raw = &data[pos..stop];
    match raw.strip_suffix(b"\r") {
        Some(line) => (line, true, next),
        None => (raw, false, next),
    }
}

/// Splits and reads the rows of one block, against the rows already known.
fn scan<'b>(block: &'b Block, cols: &Columns, known: &Known) -> Scanned<'b> {
    if !plain(block) {
        return Scanned::default();
    }
    let data = &block.data[..];
    let mut out = Scanned { plain: true, ..Scanned::default() };
    let mut counts = vec![0u32; known.what.len()];
    let mut local: HashTable<usize> = HashTable::new();
    let mut buf = Vec::new();
    let mut cells: Vec<&'b [u8]> = Vec::new();
    let mut scratch = Vec::new();
    let mut pos = 0;
    let mut newlines = 0;
    let mut prev_end = None;
    while pos < data.len() {
        let at = pos;
        let (line, cr, next) = line_at(data, pos);
        let lf = u64::from(next > at && data[next - 1] == b'\n');
        pos = next;
        if line.is_empty() {
            newlines += lf;
            continue;
        }
        out.records += 1;
        let before = prev_end;
        // The csv crate ends a record at its `\r`, or after its `\n`.
        let end_nl = if cr { newlines } else { newlines + lf };
        let end_at = if cr { at + line.len() + 1 } else { next };
        prev_end = Some(end_nl);
        out.last_end = Some((end_at, end_nl));
        newlines += lf;
        let bad = BadRow { at, index: out.records, prev_end: before };
        let key = cols.key(line, &mut buf);
        let hash = known.hasher.hash_one(key);
        if let Some(row) = known.find(hash, key) {
            if known.what[row] == Known::BAD {
                out.bad.push(bad);
            } else {
                counts[row] += 1;
            }
            continue;
        }
        let (new, keys) = (&mut out.new, &out.keys);
        if let Some(&j) =
            local.find(hash, |&j| new[j].hash == hash && &keys[new[j].key.clone()] == key)
        {
            if new[j].ballot.is_some() {
                new[j].count += 1;
            } else {
                out.bad.push(bad);
            }
            continue;
        }
        cells.clear();
        cells.extend(line.split(|&b| b == b','));
        let ballot = read_row(cols, &cells, &mut scratch, None).map(|(p, b)| {
            let start = out.marks.len();
            out.marks.extend_from_slice(&scratch);
            (start..out.marks.len(), p, b)
        });
        if ballot.is_none() {
            out.bad.push(bad);
        }
        let start = out.keys.len();
        out.keys.extend_from_slice(key);
        let j = out.new.len();
        out.new.push(NewRow { hash, key: start..out.keys.len(), count: 1, ballot });
        let new = &out.new;
        local.insert_unique(hash, j, |&j| new[j].hash);
    }
    out.newlines = newlines;
    out.hits = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(row, &c)| (row as u32, c))
        .collect();
    out
}

/// The split path, from `from` (the end of the header). Returns where the `csv` crate must go on
/// when a block cannot be split.
fn read_split(
    file: &mut File,
    from: &Resume,
    crlf: u64,
    cols: &Columns,
    sink: &mut Sink,
    blocks: Blocks,
) -> std::io::Result<Option<Resume>> {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads().max(1);
    let mut stream = Stream { file, carry: Vec::new(), eof: false, spare: Vec::new() };
    let mut known = Known::new();
    // The byte offset of the current block, and the csv crate's line count there.
    let mut block_offset = from.offset;
    let mut block_line = from.line;
    let mut done = *from;
    let mut next = stream.batch(1, blocks.first);
    let file_name = sink.file.clone();
    let mut marks = Vec::new();
    loop {
        let batch = next?;
        if batch.is_empty() {
            return Ok(None);
        }
        let (scanned, read) = rayon::join(
            || batch.par_iter().map(|b| scan(b, cols, &known)).collect::<Vec<_>>(),
            || stream.batch(threads * 2, blocks.rest),
        );
        next = read;
        for (block, out) in batch.iter().zip(scanned) {
            if !out.plain {
                return Ok(Some(done));
            }
            for &(row, c) in &out.hits {
                sink.add_to(known.what[row as usize], u64::from(c));
            }
            for n in &out.new {
                let key = &out.keys[n.key.clone()];
                if let Some(row) = known.find(n.hash, key) {
                    if known.what[row] != Known::BAD {
                        sink.add_to(known.what[row], n.count);
                    }
                    continue;
                }
                let what = match &n.ballot {
                    Some((m, p, b)) => sink.add_distinct(&out.marks[m.clone()], n.count, p, b),
                    None => Known::BAD,
                };
                known.insert(n.hash, key, what);
            }
            let mut cells = Vec::new();
            for bad in &out.bad {
                let line = match bad.prev_end {
                    Some(nl) => block_line + nl,
                    None => done.line,
                };
                let (text, _, _) = line_at(&block.data, bad.at);
                cells.clear();
                cells.extend(text.split(|&b| b == b','));
                let mut report = Report {
                    diags: &mut sink.diags,
                    file: &file_name,
                    line: Some(line + crlf),
                    index: done.index + bad.index,
                };
                let counted = read_row(cols, &cells, &mut marks, Some(&mut report));
                debug_assert!(counted.is_none(), "a row with a problem reads the same again");
            }
            done.index += out.records;
            if let Some((end, nl)) = out.last_end {
                done.offset = block_offset + end as u64;
                done.line = block_line + nl;
            }
            block_line += out.newlines;
            block_offset += block.data.len() as u64;
        }
        stream.spare.extend(batch.into_iter().map(|b| b.data));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, read_case, temp_dir};
    use super::super::{CvrSource, Sink};
    use super::*;
    use psephos_model::Code;
    use psephos_rcv::BallotSet;
    use psephos_rcv::BallotSetBuilder;

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

    /// Reads `data` as a source with these settings: split in the usual blocks, split in tiny
    /// blocks (many block boundaries), and through the `csv` crate only.
    fn read_ways(
        dir: &std::path::Path,
        source: &str,
        data: &[u8],
        max: Option<u32>,
    ) -> [(BallotSet, Vec<Diagnostic>); 3] {
        std::fs::write(dir.join("f.csv"), data).unwrap();
        let source: CvrSource = serde_json::from_str(source).unwrap();
        let mut diags = Vec::new();
        let s = source.settings(dir, &mut diags).expect("valid settings");
        let tiny = Blocks { first: 5, rest: 23 };
        [Some(BLOCKS), Some(tiny), None].map(|split| {
            let mut b = BallotSetBuilder::new();
            // Something read before, so that labels and precincts do not start at 0.
            let earlier = b.label("Earlier");
            let p = b.precinct("P0");
            b.add(&[Mark { rank: 1, label: earlier }], 1, p, 0);
            let mut sink = Sink::new(&mut b, "f.csv".into(), max, true);
            read_with(&s, &mut sink, split);
            let diags = std::mem::take(&mut sink.diags);
            (b.build(), diags)
        })
    }

    /// Every way reads `data` the same; returns what they read.
    fn same(
        dir: &std::path::Path,
        source: &str,
        data: &[u8],
        max: Option<u32>,
    ) -> (BallotSet, Vec<Diagnostic>) {
        let [usual, tiny, slow] = read_ways(dir, source, data, max);
        let text = String::from_utf8_lossy(data);
        assert_eq!(usual, slow, "usual blocks: {text:?}");
        assert_eq!(tiny, slow, "tiny blocks: {text:?}");
        slow
    }

    const SOURCE: &str = r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"4",
        "firstVoteRowIndex":"2","idColumnIndex":"1","precinctColumnIndex":"2","batchColumnIndex":"3",
        "undeclaredWriteInLabel":"W"}"#;

    #[test]
    fn split_path_reads_as_the_csv_crate_does() {
        let dir = temp_dir("generic_split");
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
                let (set, diags) = same(&dir, SOURCE, data.as_bytes(), max);
                assert!(diags.iter().any(|d| d.code == Code::CvrBadRank), "{diags:?}");
                // Rows 1, 2, 3, 6, 9, 10, 12 (and the 8th and 11 without a limit), and the
                // earlier ballot.
                assert_eq!(set.total(), if max.is_some() { 8 } else { 10 });
            }
        }
        // A quote or a lone carriage return sends the rest to the csv crate, from the last
        // record read.
        for (from, to) in [("p2,b1", "\"p2\",b1"), ("10,p1", "10,\rp1"), ("12,p1", "12\r,p1")] {
            let data = text.replace(from, to);
            same(&dir, SOURCE, data.as_bytes(), Some(3));
        }
    }

    #[test]
    fn split_path_takes_the_split_route() {
        let dir = temp_dir("generic_route");
        let source: CvrSource = serde_json::from_str(SOURCE).unwrap();
        let s = source.settings(&dir, &mut Vec::new()).unwrap();
        let route = |text: &str| {
            std::fs::write(dir.join("f.csv"), text).unwrap();
            let mut b = BallotSetBuilder::new();
            let mut sink = Sink::new(&mut b, "f.csv".into(), None, true);
            read_with(&s, &mut sink, Some(Blocks { first: 8, rest: 8 }))
        };
        assert_eq!(route("id,p,b,A\n1,p,b,1\r\n2,p,b,1\r"), Route::Split);
        assert_eq!(route("id,p,b,A\n1,p,b,1\n2,\"p\",b,1\n"), Route::SplitThenCsv);
        assert_eq!(route("id,p,b,\"A\"\n1,p,b,1\n"), Route::Split);
        assert_eq!(route(""), Route::None);
    }

    /// Rows drawn from a small alphabet of cells, so that rows repeat, with problems and blank
    /// lines among them.
    fn many_rows(n: u64, seed: u64) -> String {
        let mut text = String::from("id,p,b,A,B,C,W\n");
        let mut x = seed;
        for i in 0..n {
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
        text
    }

    #[test]
    fn split_blocks_in_parallel_equal_the_csv_crate() {
        let dir = temp_dir("generic_parallel");
        // Several batches of the usual blocks.
        let text = many_rows(500_000, 7);
        assert!(text.len() > 4 * BLOCKS.rest);
        for max in [None, Some(3)] {
            let [usual, _, slow] = read_ways(&dir, SOURCE, text.as_bytes(), max);
            assert!(!slow.1.is_empty());
            assert_eq!(usual, slow);
        }
        let text = many_rows(5_000, 9);
        same(&dir, SOURCE, text.replace('\n', "\r\n").as_bytes(), Some(3));
        // A quote late in the file.
        let mut late = many_rows(200_000, 11);
        late.push_str("1,\"p1\",b1,1,,,\n2,p1,b1,1,,,\n");
        let [usual, _, slow] = read_ways(&dir, SOURCE, late.as_bytes(), None);
        assert_eq!(usual, slow);
    }

    #[test]
    fn split_path_random_rows() {
        // Short random files over the characters that matter; every one reads the same each way.
        let dir = temp_dir("generic_random");
        let alphabet: &[&str] = &[
            ",",
            ",",
            ",",
            "\n",
            "\n",
            "\r\n",
            "1",
            "2",
            "3",
            "0",
            "-1",
            " ",
            "a",
            "+",
            "\u{e9}",
            "\u{a0}",
            "\"",
            "\r",
            "99999999999",
        ];
        let sources = [
            SOURCE,
            r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"1","firstVoteRowIndex":"2"}"#,
            r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"2","firstVoteRowIndex":"3","batchColumnIndex":"5"}"#,
            r#"{"provider":"genericCsv","filePath":"f.csv","firstVoteColumnIndex":"2","firstVoteRowIndex":"2","precinctColumnIndex":"3","idColumnIndex":"3"}"#,
        ];
        let mut x: u64 = 1;
        for case in 0..4000 {
            let mut text = String::from(["A,B,C,D\n", "A,B,C,D\r\n", "\"A\",B,C\n"][case % 3]);
            for _ in 0..(case % 70) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Mostly plain rows, so that most files take the split path.
                let k = ((x >> 33) % alphabet.len() as u64) as usize;
                if alphabet[k].contains(['"', '\r']) && !(x >> 20).is_multiple_of(8) {
                    continue;
                }
                text.push_str(alphabet[k]);
            }
            let source = sources[case % sources.len()];
            same(&dir, source, text.as_bytes(), Some(2));
        }
    }

    #[test]
    fn row_lines_follow_the_csv_crate() {
        let dir = temp_dir("generic_lines");
        let text = "id,p,b,A\n1,p,b,x\n\n2,p,b,x\r\n3,p,b,x\n";
        let (_, diags) = same(&dir, SOURCE, text.as_bytes(), None);
        let lines: Vec<_> = diags.iter().map(|d| d.line).collect();
        assert_eq!(lines, [Some(2), Some(3), Some(4)]);
    }
}
