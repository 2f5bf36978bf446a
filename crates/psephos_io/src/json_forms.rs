//! Result forms as JSON: a `.json` file holding an array of form objects, or a `.jsonl` file
//! holding one form object per line.
//!
//! ```json
//! {"station": "BGD-01-0001-01", "contest": "BGD-01", "phase": "electronic", "version": 1,
//!  "ballots_found": 180, "blank": 2, "invalid": 11, "votes": {"C0001": 40, "C0002": 127}}
//! ```

use std::borrow::Cow;

use psephos_model::{Code, Diagnostic, Election};
use serde_json::{Map, Value};

use crate::count_cell::CountError;
use crate::results::{At, COUNT_FIELDS, Layouts, Pending, ResultsRead, count_diag, finish};

/// A form given as fields rather than text (a ledger's form record, already parsed and
/// checked as canonical JSON): read with the checks and diagnostics of a JSON form, as if it
/// were at `line` of `file`.
#[derive(Clone, Copy)]
pub struct FormFields<'a> {
    /// The line the form stands for in diagnostics (a ledger: its leaf index + 1).
    pub line: u64,
    /// Station id.
    pub station: &'a str,
    /// Contest id.
    pub contest: &'a str,
    /// Phase name.
    pub phase: &'a str,
    /// Version.
    pub version: u32,
    /// Ballots found, blank, invalid.
    pub counts: [u32; 3],
    /// Votes per candidate id, in the order written.
    pub votes: &'a dyn VoteList,
}

/// The votes of a form given as fields: candidate ids and counts, in the order written (a
/// ledger record keeps them as the text of its `votes` object, so they are visited rather
/// than listed).
pub trait VoteList: Sync {
    /// How many candidates are listed.
    fn count(&self) -> usize;
    /// Calls `visit` with every candidate id and its count, in order.
    fn each(&self, visit: &mut dyn FnMut(&str, u32));
}

impl VoteList for Vec<(Cow<'_, str>, u32)> {
    fn count(&self) -> usize {
        self.len()
    }

    fn each(&self, visit: &mut dyn FnMut(&str, u32)) {
        for (id, n) in self {
            visit(id, *n);
        }
    }
}

/// Reads forms given as fields ([`FormFields`]), in parallel chunks merged in order: the forms
/// and diagnostics are those of the same forms written as JSON lines and read by
/// [`crate::parse_results`].
pub fn read_form_fields(election: &Election, file: &str, forms: &[FormFields<'_>]) -> ResultsRead {
    in_chunks(forms, |chunk| fields_chunk(election, file, chunk))
}

/// Reads `items` in chunks on all cores and merges the chunks in order: forms are read on
/// their own, so the forms and diagnostics are those of one sequential pass.
fn in_chunks<T: Sync>(items: &[T], read: impl Fn(&[T]) -> ResultsRead + Sync) -> ResultsRead {
    use rayon::prelude::*;
    const CHUNK: usize = 2048;
    if items.len() <= CHUNK {
        return read(items);
    }
    let parts: Vec<ResultsRead> = items.par_chunks(CHUNK).map(&read).collect();
    let mut all = ResultsRead::default();
    for part in parts {
        all.forms.append(part.forms);
        all.diagnostics.extend(part.diagnostics);
        all.rows += part.rows;
    }
    all
}

fn fields_chunk(election: &Election, file: &str, forms: &[FormFields<'_>]) -> ResultsRead {
    let mut read = ResultsRead::default();
    read.forms.files.push(file.to_owned());
    let mut layouts = Layouts::default();
    let mut diags = Vec::new();
    // Forms of one contest list the same candidates in the same order: the ids met before, by
    // position, spare most lookups (a stale one is harmless: it maps its own id).
    let mut previous: Vec<(String, psephos_model::CandidateIdx)> = Vec::new();
    for f in forms {
        read.rows += 1;
        let mut p = Pending::new(
            f.line,
            f.station.trim().to_owned(),
            f.contest.trim().to_owned(),
            f.phase.trim().to_owned(),
            f.version.to_string().into_bytes(),
        );
        p.counts = f.counts.map(Some);
        p.votes.reserve(f.votes.count());
        let mut i = 0;
        f.votes.each(&mut |candidate, n| {
            let id = match previous.get(i) {
                Some((name, id)) if name == candidate => Some(*id),
                _ => {
                    let id = election.candidate_id(candidate);
                    if let Some(id) = id {
                        if let Some(slot) = previous.get_mut(i) {
                            slot.0.clear();
                            slot.0.push_str(candidate);
                            slot.1 = id;
                        } else if previous.len() == i {
                            previous.push((candidate.to_owned(), id));
                        }
                    }
                    id
                }
            };
            i += 1;
            match id {
                Some(c) => p.votes.push((c, n, f.line)),
                None => {
                    let at = At { file, line: f.line, station: f.station.trim() };
                    diags.push(at.diag(
                        Code::UnknownCandidate,
                        candidate,
                        format!("candidate {candidate:?} is not in candidates.csv"),
                    ));
                    p.broken = true;
                }
            }
        });
        finish(election, file, p, &mut read.forms, &mut layouts, &mut diags);
    }
    read.diagnostics = diags;
    read
}

pub(crate) fn parse_json_lines(election: &Election, file: &str, bytes: &[u8]) -> ResultsRead {
    let mut elements = Vec::new();
    let mut offset = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if !line.trim_ascii().is_empty() {
            elements.push((offset..offset + line.len(), i as u64 + 1));
        }
        offset += line.len() + 1;
    }
    parse_in_parallel(election, file, bytes, elements)
}

fn parse_in_parallel(
    election: &Election,
    file: &str,
    bytes: &[u8],
    elements: Vec<(std::ops::Range<usize>, u64)>,
) -> ResultsRead {
    in_chunks(&elements, |chunk| parse_elements(election, file, bytes, chunk.to_vec(), Vec::new()))
}

pub(crate) fn parse_json_array(election: &Election, file: &str, bytes: &[u8]) -> ResultsRead {
    match split_array(bytes) {
        Ok(ranges) => {
            let elements = ranges
                .into_iter()
                .map(|r| {
                    let line = crate::line_of(bytes, r.start);
                    (r, line)
                })
                .collect();
            parse_in_parallel(election, file, bytes, elements)
        }
        Err((offset, message)) => ResultsRead {
            diagnostics: vec![
                Diagnostic::new(Code::JsonSyntax, message).at(file, crate::line_of(bytes, offset)),
            ],
            ..ResultsRead::default()
        },
    }
}

fn parse_elements(
    election: &Election,
    file: &str,
    bytes: &[u8],
    elements: Vec<(std::ops::Range<usize>, u64)>,
    mut diags: Vec<Diagnostic>,
) -> ResultsRead {
    let mut read = ResultsRead::default();
    read.forms.files.push(file.to_owned());
    let mut layouts = Layouts::default();
    for (range, line) in elements {
        read.rows += 1;
        let range_start = range.start;
        let raw = &bytes[range];
        let value: Value = match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(e) => {
                // serde_json counts lines and columns within the form; report them in the file.
                let text = e.to_string();
                let what = text.rsplit_once(" at line ").map_or(text.as_str(), |(w, _)| w);
                let mut column = e.column();
                if e.line() <= 1 {
                    let line_start =
                        bytes[..range_start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                    column += range_start - line_start;
                }
                diags.push(
                    Diagnostic::new(
                        Code::JsonSyntax,
                        format!("this form is not valid JSON: {what} (column {column})"),
                    )
                    .at(file, line + e.line().max(1) as u64 - 1),
                );
                continue;
            }
        };
        let Value::Object(obj) = value else {
            diags.push(
                Diagnostic::new(
                    Code::JsonSyntax,
                    "each form must be a JSON object {\"station\": ..., ...}",
                )
                .at(file, line),
            );
            continue;
        };
        let station = match obj.get("station") {
            Some(Value::String(s)) => s.trim().to_owned(),
            _ => String::new(),
        };
        let at = At { file, line, station: &station };
        let mut reported = [false; 4];
        let mut text = |k: usize, key: &str, diags: &mut Vec<Diagnostic>| -> String {
            match obj.get(key) {
                Some(Value::String(s)) => s.trim().to_owned(),
                Some(other) => {
                    diags.push(at.diag(
                        Code::JsonSyntax,
                        key,
                        format!("{key} must be a string, not {other}"),
                    ));
                    reported[k] = true;
                    String::new()
                }
                None => {
                    diags.push(at.diag(
                        Code::MissingValue,
                        key,
                        format!("the form has no {key:?}"),
                    ));
                    reported[k] = true;
                    String::new()
                }
            }
        };
        let station_text = text(0, "station", &mut diags);
        let contest = text(1, "contest", &mut diags);
        let phase = text(2, "phase", &mut diags);
        let version = match obj.get("version") {
            Some(Value::String(v)) => {
                diags.push(at.diag(
                    Code::BadVersion,
                    "version",
                    format!("version is the text {v:?}; write it as a JSON number, without quotes"),
                ));
                reported[3] = true;
                Vec::new()
            }
            Some(v) if !v.is_null() => v.to_string().into_bytes(),
            _ => {
                diags.push(at.diag(
                    Code::MissingValue,
                    "version",
                    "the form has no \"version\"".to_owned(),
                ));
                reported[3] = true;
                Vec::new()
            }
        };
        let mut p = Pending::new(line, station_text, contest, phase, version);
        p.broken = reported.iter().any(|r| *r);
        p.reported = reported;
        for (k, key) in COUNT_FIELDS.iter().enumerate() {
            if let Some(v) = obj.get(*key) {
                match count(v) {
                    Ok(n) => p.counts[k] = Some(n),
                    Err(e) => {
                        diags.push(json_count_diag(&at, key, key, e, v));
                        p.counts[k] = Some(0);
                        p.broken = true;
                    }
                }
            }
        }
        match obj.get("votes") {
            Some(Value::Object(votes)) => {
                read_votes(election, file, raw, line, &station, votes, &mut p, &mut diags)
            }
            Some(other) => {
                diags.push(at.diag(
                    Code::JsonSyntax,
                    "votes",
                    format!(
                        "votes must be an object {{\"candidate id\": count, ...}}, not {other}"
                    ),
                ));
                p.broken = true;
                p.votes_unreadable = true;
            }
            None => {
                diags.push(at.diag(
                    Code::MissingValue,
                    "votes",
                    "the form has no \"votes\"".to_owned(),
                ));
                p.broken = true;
                p.votes_unreadable = true;
            }
        }
        finish(election, file, p, &mut read.forms, &mut layouts, &mut diags);
    }
    read.diagnostics = diags;
    read
}

#[allow(clippy::too_many_arguments)]
fn read_votes(
    election: &Election,
    file: &str,
    raw: &[u8],
    line: u64,
    station: &str,
    votes: &Map<String, Value>,
    p: &mut Pending,
    diags: &mut Vec<Diagnostic>,
) {
    // A form on one line (JSON Lines) has every key on that line: no search needed.
    let one_line = memchr::memchr(b'\n', raw).is_none();
    for (candidate, v) in votes {
        let key_at = if one_line { line } else { key_line(raw, candidate, line) };
        let at = At { file, line: key_at, station };
        let Some(c) = election.candidate_id(candidate) else {
            diags.push(at.diag(
                Code::UnknownCandidate,
                candidate,
                format!("candidate {candidate:?} is not in candidates.csv"),
            ));
            p.broken = true;
            continue;
        };
        match count(v) {
            Ok(n) => p.votes.push((c, n, at.line)),
            Err(e) => {
                diags.push(json_count_diag(
                    &at,
                    candidate,
                    &format!("the votes of candidate {candidate}"),
                    e,
                    v,
                ));
                // Present, though unreadable: not also "missing".
                p.votes.push((c, 0, at.line));
                p.broken = true;
            }
        }
    }
}

/// A count that is not one; JSON text values get their own advice.
fn json_count_diag(at: &At<'_>, field: &str, what: &str, e: CountError, v: &Value) -> Diagnostic {
    match v {
        Value::String(text) => at.diag(
            Code::NotANumber,
            field,
            format!(
                "{what} is the text {text:?}; write the count as a JSON number, without quotes"
            ),
        ),
        _ => count_diag(at, field, what, e, v.to_string().as_bytes()),
    }
}

/// A count from a JSON value: a non-negative whole number.
fn count(v: &Value) -> Result<u32, CountError> {
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                u32::try_from(u).map_err(|_| CountError::TooLarge)
            } else if n.as_i64().is_some() {
                Err(CountError::Negative)
            } else {
                Err(CountError::NotANumber)
            }
        }
        Value::Null => Err(CountError::Empty),
        _ => Err(CountError::NotANumber),
    }
}

/// The line where `"key":` first appears in a form's text, for pointing at one vote.
fn key_line(raw: &[u8], key: &str, first_line: u64) -> u64 {
    let needle = format!("\"{key}\"");
    memchr::memmem::find(raw, needle.as_bytes())
        .map_or(first_line, |at| first_line + crate::line_of(raw, at) - 1)
}

/// Byte ranges of the elements of a top-level JSON array, found without parsing them, so that
/// each form can be parsed (and reported) on its own.
fn split_array(bytes: &[u8]) -> Result<Vec<std::ops::Range<usize>>, (usize, String)> {
    let skip_ws = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        i
    };
    let mut i = skip_ws(0);
    if bytes.get(i) != Some(&b'[') {
        return Err((
            i,
            "a .json results file must hold an array of forms: [{...}, {...}]".to_owned(),
        ));
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        i = skip_ws(i);
        if out.is_empty() && bytes.get(i) == Some(&b']') {
            i += 1;
            break;
        }
        let start = i;
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        let terminator = loop {
            let Some(&b) = bytes.get(i) else {
                return Err((start, "the array of forms is not closed with ]".to_owned()));
            };
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
            } else {
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => depth -= 1,
                    b']' | b',' if depth == 0 => break b,
                    _ => {}
                }
            }
            i += 1;
        };
        let mut end = i;
        while end > start && bytes[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end == start {
            return Err((start, "an element of the array is empty (a comma too many?)".to_owned()));
        }
        out.push(start..end);
        i += 1;
        if terminator == b']' {
            break;
        }
    }
    let rest = skip_ws(i);
    if rest < bytes.len() {
        return Err((rest, "there is text after the array of forms".to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split_array;

    #[test]
    fn splits_top_level_elements() {
        let text = br#" [ {"a": [1, 2], "s": "x,]\"y"} , {"b": {}} ] "#;
        let ranges = split_array(text).unwrap();
        let parts: Vec<&str> =
            ranges.iter().map(|r| std::str::from_utf8(&text[r.clone()]).unwrap()).collect();
        assert_eq!(parts, [r#"{"a": [1, 2], "s": "x,]\"y"}"#, r#"{"b": {}}"#]);
        assert_eq!(split_array(b"[]").unwrap().len(), 0);
        assert!(split_array(b"[{}").is_err());
        assert!(split_array(b"[{},]").is_err());
        assert!(split_array(b"{}").is_err());
        assert!(split_array(b"[{}] x").is_err());
    }
}
