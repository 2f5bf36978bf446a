//! Hand interpretations of ballots drawn by a ballot-polling audit (`psephos audit record`):
//! a CSV with the header `ballot_id,contest,candidate`, one drawn ballot per line. `candidate`
//! is a candidate id, empty for a blank or invalid ballot, or `NOT_FOUND` for a ballot that
//! could not be found. Only the syntax is checked here; whether the ballot was drawn and the
//! candidate stands in the contest is the audit's business.

use std::path::Path;

use psephos_model::{Code, Diagnostic};

/// The `candidate` value of a ballot that was not found.
pub const NOT_FOUND: &str = "NOT_FOUND";

/// The header an interpretation file must have.
pub const INTERPRETATION_HEADER: [&str; 3] = ["ballot_id", "contest", "candidate"];

/// One line as read (fields trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterpretationRow {
    /// 1-based line in the file.
    pub line: u64,
    pub ballot_id: String,
    pub contest: String,
    pub candidate: String,
}

/// Reads an interpretation file: every well-formed line, and an E605 diagnostic (file, line,
/// field) for every malformed one. `name` is the file as it is reported.
pub fn read_interpretations(path: &Path, name: &str) -> (Vec<InterpretationRow>, Vec<Diagnostic>) {
    let bad = |line: u64, field: &str, msg: String| {
        Diagnostic::new(Code::AuditInterpretation, msg).at(name, line).field(field)
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return (
                Vec::new(),
                vec![
                    Diagnostic::new(
                        Code::AuditInterpretation,
                        format!("cannot read the file: {e}"),
                    )
                    .in_file(name),
                ],
            );
        }
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut rows = Vec::new();
    let mut diags = Vec::new();
    let mut header_seen = false;
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                diags.push(bad(line, "line", format!("not a CSV line: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !header_seen {
            header_seen = true;
            let cells: Vec<&str> = record.iter().collect();
            if cells != INTERPRETATION_HEADER {
                diags.push(bad(
                    line,
                    "header",
                    format!(
                        "the header is {:?}; an interpretation file starts with ballot_id,contest,candidate",
                        cells.join(",")
                    ),
                ));
                return (Vec::new(), diags);
            }
            continue;
        }
        if record.len() != 3 {
            diags.push(bad(
                line,
                "line",
                format!(
                    "{} field(s); a line is ballot_id,contest,candidate (candidate empty for a blank or invalid ballot)",
                    record.len()
                ),
            ));
            continue;
        }
        let (ballot_id, contest, candidate) = (&record[0], &record[1], &record[2]);
        if ballot_id.is_empty() {
            diags.push(bad(line, "ballot_id", "the ballot id is empty".to_owned()));
            continue;
        }
        if contest.is_empty() {
            diags.push(bad(line, "contest", "the contest is empty".to_owned()));
            continue;
        }
        rows.push(InterpretationRow {
            line,
            ballot_id: ballot_id.to_owned(),
            contest: contest.to_owned(),
            candidate: candidate.to_owned(),
        });
    }
    if !header_seen && diags.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::AuditInterpretation,
                "the file is empty; an interpretation file starts with ballot_id,contest,candidate",
            )
            .at(name, 1)
            .field("header"),
        );
    }
    (rows, diags)
}
