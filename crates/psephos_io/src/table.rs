//! A small reader for the package's definition tables (contests, parties, candidates, ...).
//!
//! Columns are found by name, so their order is free and extra columns (notes, names in another
//! script) are allowed and ignored.

use psephos_model::{Code, Diagnostic};

/// A table read into memory, with the line of every row.
pub(crate) struct Table {
    pub(crate) file: String,
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

/// One row, with accessors that record a diagnostic when a value is unusable.
pub(crate) struct Row<'a> {
    pub(crate) table: &'a Table,
    pub(crate) line: u64,
    fields: &'a [String],
}

impl Table {
    /// Parses CSV bytes. Rows whose field count differs from the header are reported and dropped.
    pub(crate) fn parse(file: &str, bytes: &[u8], diags: &mut Vec<Diagnostic>) -> Table {
        let bytes = crate::strip_bom(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut table = Table {
            file: file.to_owned(),
            header: Vec::new(),
            rows: Vec::new(),
        };
        let mut record = csv::StringRecord::new();
        let mut first = true;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line());
                    let fields: Vec<String> = record.iter().map(|f| f.trim().to_owned()).collect();
                    if first {
                        table.header = fields;
                        first = false;
                        continue;
                    }
                    if fields.len() == 1 && fields[0].is_empty() {
                        continue; // a blank line
                    }
                    if fields.len() != table.header.len() {
                        diags.push(
                            Diagnostic::new(
                                Code::CsvSyntax,
                                format!(
                                    "this row has {} fields but the header has {}; check for a missing or extra comma",
                                    fields.len(),
                                    table.header.len()
                                ),
                            )
                            .at(file, line),
                        );
                        continue;
                    }
                    table.rows.push((line, fields));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    let message = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "this row is not valid UTF-8 text; save the file as UTF-8".to_owned()
                        }
                        _ => format!("cannot read this row: {e}"),
                    };
                    diags.push(Diagnostic::new(Code::CsvSyntax, message).at(file, line));
                    if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        break;
                    }
                }
            }
        }
        if first {
            diags.push(
                Diagnostic::new(
                    Code::MissingColumn,
                    "the file is empty; it needs at least a header row",
                )
                .at(file, 1),
            );
        }
        table
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

    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, fields)| Row {
            table: self,
            line: *line,
            fields,
        })
    }
}

impl Row<'_> {
    /// The value of a column (empty when the column is absent).
    pub(crate) fn get(&self, column: Option<usize>) -> &str {
        column
            .and_then(|c| self.fields.get(c))
            .map_or("", String::as_str)
    }

    pub(crate) fn diag(&self, code: Code, column: Option<usize>, message: String) -> Diagnostic {
        let mut d = Diagnostic::new(code, message).at(&self.table.file, self.line);
        if let Some(name) = column.and_then(|c| self.table.header.get(c)) {
            d = d.field(name.clone());
        }
        d
    }

    /// A required identifier: must be non-empty.
    pub(crate) fn id(&self, column: Option<usize>, diags: &mut Vec<Diagnostic>) -> Option<String> {
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
        Some(v.to_owned())
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
