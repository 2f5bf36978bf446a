//! A small reader for the package's definition tables (contests, parties, candidates, ...).
//!
//! Columns are found by name, so their order is free and extra columns (notes, names in another
//! script) are allowed and ignored. Rows are streamed, not stored: a million-station table costs
//! one reused record.

use psephos_model::{Code, Diagnostic};
use rayon::prelude::*;

/// A table's header, with its body still to be read.
pub(crate) struct Table {
    pub(crate) file: String,
    header: Vec<String>,
    bytes: Vec<u8>,
}

/// One row, with accessors that record a diagnostic when a value is unusable.
pub(crate) struct Row<'a> {
    pub(crate) table: &'a Table,
    pub(crate) line: u64,
    fields: &'a [&'a str],
}

fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(crate::strip_bom(bytes))
}

impl Table {
    /// Reads the header; the rows are read by [`Table::for_each_row`].
    pub(crate) fn parse(file: &str, bytes: Vec<u8>, diags: &mut Vec<Diagnostic>) -> Table {
        let mut record = csv::StringRecord::new();
        let header = match reader(&bytes).read_record(&mut record) {
            Ok(true) => record.iter().map(|f| f.trim().to_owned()).collect(),
            Ok(false) => {
                diags.push(
                    Diagnostic::new(
                        Code::MissingColumn,
                        "the file is empty; it needs at least a header row",
                    )
                    .at(file, 1),
                );
                Vec::new()
            }
            Err(e) => {
                diags.push(
                    Diagnostic::new(Code::CsvSyntax, format!("cannot read the header: {e}"))
                        .at(file, 1),
                );
                Vec::new()
            }
        };
        Table { file: file.to_owned(), header, bytes }
    }

    /// Calls `f` on every data row. Rows whose field count differs from the header, and rows
    /// that are not valid CSV, are reported and skipped.
    pub(crate) fn for_each_row(
        &self,
        diags: &mut Vec<Diagnostic>,
        mut f: impl FnMut(Row<'_>, &mut Vec<Diagnostic>),
    ) {
        if self.header.is_empty() {
            return;
        }
        let body = crate::strip_bom(&self.bytes);
        if crate::split::is_quote_free(body)
            && let Ok(text) = std::str::from_utf8(body)
        {
            crate::split::for_each_text_record(text, |line, fields| {
                if line == 1 || (fields.len() == 1 && fields[0].trim().is_empty()) {
                    return; // the header, or a blank line
                }
                if fields.len() != self.header.len() {
                    diags.push(self.wrong_field_count(fields.len(), line));
                    return;
                }
                f(Row { table: self, line, fields }, diags);
            });
            return;
        }
        let mut reader = reader(&self.bytes);
        let mut record = csv::StringRecord::new();
        let mut first = true;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    if std::mem::take(&mut first) {
                        continue; // the header
                    }
                    let line = record.position().map_or(0, |p| p.line());
                    if record.len() == 1 && record[0].trim().is_empty() {
                        continue; // a blank line
                    }
                    if record.len() != self.header.len() {
                        diags.push(self.wrong_field_count(record.len(), line));
                        continue;
                    }
                    let fields: Vec<&str> = record.iter().collect();
                    f(Row { table: self, line, fields: &fields }, diags);
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    let utf8 = matches!(e.kind(), csv::ErrorKind::Utf8 { .. });
                    let message = if utf8 {
                        "this row is not valid UTF-8 text; save the file as UTF-8".to_owned()
                    } else {
                        format!("cannot read this row: {e}")
                    };
                    diags.push(Diagnostic::new(Code::CsvSyntax, message).at(&self.file, line));
                    if !utf8 {
                        break;
                    }
                    first = false;
                }
            }
        }
    }

    /// Like [`Table::for_each_row`], on all cores: the rows are cut into chunks of whole lines,
    /// `parse` fills one state per chunk, and `merge` takes the states in file order, so that the
    /// result does not depend on the number of threads. Diagnostics come out in row order.
    pub(crate) fn for_each_row_parallel<S: Default + Send>(
        &self,
        diags: &mut Vec<Diagnostic>,
        parse: impl Fn(Row<'_>, &mut S, &mut Vec<Diagnostic>) + Sync,
        mut merge: impl FnMut(S, &mut Vec<Diagnostic>),
    ) {
        let body = crate::strip_bom(&self.bytes);
        let text = match std::str::from_utf8(body) {
            Ok(text) if !self.header.is_empty() && crate::split::is_quote_free(body) => text,
            // Quotes or bad bytes: the general reader, one row at a time, in one chunk.
            _ => {
                let mut state = S::default();
                self.for_each_row(diags, |row, diags| parse(row, &mut state, diags));
                merge(state, diags);
                return;
            }
        };
        // Chunks of whole lines, about 256 KiB each; the first holds the header.
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut line = 1u64;
        while start < text.len() {
            let target = (start + (1 << 18)).min(text.len());
            let end = memchr::memchr(b'\n', &text.as_bytes()[target..])
                .map_or(text.len(), |i| target + i + 1);
            chunks.push((start..end, line));
            line += memchr::memchr_iter(b'\n', &text.as_bytes()[start..end]).count() as u64;
            start = end;
        }
        // A few chunks at a time, so that parsed rows never pile up in memory.
        let batch = (rayon::current_num_threads() * 4).max(1);
        for group in chunks.chunks(batch) {
            let parsed: Vec<(S, Vec<Diagnostic>)> = group
                .par_iter()
                .map(|(range, first)| {
                    let mut state = S::default();
                    let mut local = Vec::new();
                    crate::split::for_each_text_record(&text[range.clone()], |k, fields| {
                        let line = first + k - 1;
                        if line == 1 || (fields.len() == 1 && fields[0].trim().is_empty()) {
                            return; // the header, or a blank line
                        }
                        if fields.len() != self.header.len() {
                            local.push(self.wrong_field_count(fields.len(), line));
                            return;
                        }
                        parse(Row { table: self, line, fields }, &mut state, &mut local);
                    });
                    (state, local)
                })
                .collect();
            for (state, local) in parsed {
                diags.extend(local);
                merge(state, diags);
            }
        }
    }

    fn wrong_field_count(&self, found: usize, line: u64) -> Diagnostic {
        Diagnostic::new(
            Code::CsvSyntax,
            format!(
                "this row has {found} fields but the header has {}; check for a missing or extra comma",
                self.header.len()
            ),
        )
        .at(&self.file, line)
    }

    /// The number of lines, an upper bound of the rows: for sizing what the rows fill.
    pub(crate) fn rows_hint(&self) -> usize {
        memchr::memchr_iter(b'\n', &self.bytes).count() + 1
    }

    /// The size of the file in bytes.
    pub(crate) fn bytes_len(&self) -> usize {
        self.bytes.len()
    }

    /// Index of a column, reporting it missing (once) when it is required.
    pub(crate) fn column(&self, name: &str, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        let found = self.optional_column(name);
        if found.is_none() && !self.header.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::MissingColumn,
                    format!(
                        "the header has no column {name:?}; the columns are {}",
                        self.header.join(",")
                    ),
                )
                .at(&self.file, 1)
                .field(name),
            );
        }
        found
    }

    pub(crate) fn optional_column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

impl Row<'_> {
    /// The value of a column, trimmed (empty when the column is absent).
    pub(crate) fn get(&self, column: Option<usize>) -> &str {
        column.and_then(|c| self.fields.get(c)).map_or("", |f| f.trim())
    }

    pub(crate) fn diag(&self, code: Code, column: Option<usize>, message: String) -> Diagnostic {
        let mut d = Diagnostic::new(code, message).at(&self.table.file, self.line);
        if let Some(name) = column.and_then(|c| self.table.header.get(c)) {
            d = d.field(name.clone());
        }
        d
    }

    /// A required identifier, borrowed: must be non-empty.
    pub(crate) fn id_str(
        &self,
        column: Option<usize>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<&str> {
        let column = column?;
        let v = self.get(Some(column));
        if v.is_empty() {
            diags.push(self.diag(
                Code::InvalidValue,
                Some(column),
                "the id is empty; every row needs a unique id".to_owned(),
            ));
            return None;
        }
        Some(v)
    }

    /// A required identifier: must be non-empty.
    pub(crate) fn id(&self, column: Option<usize>, diags: &mut Vec<Diagnostic>) -> Option<String> {
        self.id_str(column, diags).map(str::to_owned)
    }

    /// A whole number, at least `min`.
    pub(crate) fn number(
        &self,
        column: Option<usize>,
        min: u32,
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<u32> {
        let column = column?;
        let raw = self.get(Some(column));
        match crate::count_cell::parse_count(raw.as_bytes()) {
            Ok(v) if v >= min => Some(v),
            Ok(v) => {
                diags.push(self.diag(
                    Code::InvalidValue,
                    Some(column),
                    format!("{what} is {v}; it must be at least {min}"),
                ));
                None
            }
            Err(_) => {
                diags.push(self.diag(
                    Code::InvalidValue,
                    Some(column),
                    format!("{what} is {raw:?}; it must be a whole number of at least {min}"),
                ));
                None
            }
        }
    }
}
