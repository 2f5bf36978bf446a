//! Generic CSV (`genericCsv`): candidates in header columns, ranks in the cells (spec §8).

use std::borrow::Cow;

use psephos_model::Code;
use psephos_rcv::Label;

use super::source::Settings;
use super::{
    Sink, UNDECLARED_WRITE_INS, java_is_blank, java_parse_int, java_trim, open_text, starts_crlf,
};

/// Placeholders RCTab 2.0.1 writes for an empty precinct or batch cell.
const NO_PRECINCT: &str = "no precinct id";
const NO_BATCH: &str = "no batch id";

pub(super) fn read(s: &Settings, sink: &mut Sink) {
    let mut file = match open_text(&s.path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return;
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
        labels.push(sink.label(name));
    }
    if s.first_row != 1 {
        sink.diags.push(
            psephos_model::Diagnostic::new(
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
    let skip = s.first_row.saturating_sub(1);
    let mut index: u64 = 0;
    let mut skipped = 0;
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
        let mut spoiled = false;
        for col in s.first_col..rec.len() {
            let cell = &rec[col];
            let text = String::from_utf8_lossy(cell);
            if is_blank(cell, &text) {
                continue;
            }
            let t = java_trim(&text);
            let Some(rank) = java_parse_int(t) else {
                let row = String::from_utf8_lossy(rec.get(0).unwrap_or_default()).into_owned();
                let field = (col + 1).to_string();
                sink.error(
                    line,
                    Code::CvrBadRank,
                    Some(&field),
                    format!(
                        "row {row}: expected a rank (a whole number) in column {}, found \"{t}\"",
                        col + 1
                    ),
                );
                spoiled = true;
                continue;
            };
            match labels.get(col - s.first_col) {
                Some(&label) => sink.mark_label(i64::from(rank), label),
                None => {
                    let field = (col + 1).to_string();
                    sink.error(
                        line,
                        Code::CvrInvalidRecord,
                        Some(&field),
                        format!(
                            "rank {t} in column {}, but the header names only {} columns",
                            col + 1,
                            header.len()
                        ),
                    );
                    spoiled = true;
                }
            }
        }
        if spoiled {
            sink.discard();
            continue;
        }
        let cell = |c: Option<usize>| -> Option<Cow<'_, str>> {
            c.and_then(|c| rec.get(c)).map(String::from_utf8_lossy)
        };
        let slice = |c: Option<usize>, missing: &'static str| -> Cow<'_, str> {
            match c {
                None => Cow::Borrowed(""),
                Some(_) => cell(c).filter(|v| !java_is_blank(v)).unwrap_or(Cow::Borrowed(missing)),
            }
        };
        let precinct = slice(s.precinct_col, NO_PRECINCT);
        let batch = slice(s.batch_col, NO_BATCH);
        let id = cell(s.id_col).filter(|v| !v.is_empty());
        sink.commit(
            || id.map(Cow::into_owned).unwrap_or_else(|| index.to_string()),
            line,
            &precinct,
            &batch,
        );
    }
}

/// Blank as Java's `isBlank`, without decoding plain ASCII cells.
fn is_blank(cell: &[u8], text: &str) -> bool {
    if cell.is_ascii() {
        cell.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f))
    } else {
        java_is_blank(text)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, read_case};
    use psephos_model::Code;

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
}
