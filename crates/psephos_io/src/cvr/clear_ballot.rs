//! Clear Ballot CSV (`clearBallot`): ten fixed columns, then one column per choice and rank
//! (spec §6).

use psephos_model::Code;
use psephos_rcv::Label;

use super::source::Settings;
use super::{Sink, UNDECLARED_WRITE_INS, java_parse_int, java_split, open_text, starts_crlf};

/// Columns before the choices; `BallotID` and `PrecinctID` are among them.
const FIXED: usize = 10;
const BALLOT_ID: usize = 3;
const PRECINCT_ID: usize = 4;
const SCAN_COMPUTER: usize = 7;

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
            sink.error(Some(1), Code::CvrStructure, None, "no header row found".into());
            return;
        }
        Err(e) => {
            sink.error(Some(1), Code::CvrSyntax, None, format!("malformed CSV: {e}"));
            return;
        }
    }
    if rec.len() <= FIXED {
        sink.error(
            Some(1),
            Code::CvrStructure,
            None,
            format!(
                "no choice columns found: the header has {} columns, the first {FIXED} are fixed",
                rec.len()
            ),
        );
        return;
    }
    // The kept columns: (column, rank, label).
    let mut kept: Vec<(usize, i64, Label)> = Vec::new();
    for col in FIXED..rec.len() {
        let field = (col + 1).to_string();
        let Ok(header) = std::str::from_utf8(&rec[col]) else {
            sink.error(Some(1), Code::CvrSyntax, Some(&field), "header cell is not UTF-8".into());
            return;
        };
        // Java's split drops trailing empty fields, so an empty party makes five fields.
        let parts = java_split(header, ":");
        if parts.len() != 6 {
            sink.error(
                Some(1),
                Code::CvrStructure,
                Some(&field),
                format!(
                    "wrong number of choice header fields in \"{header}\": {} instead of 6 (id:contest:rank:rule:choice:party)",
                    parts.len()
                ),
            );
            return;
        }
        if parts[1] != s.contest_id {
            continue;
        }
        let Some(rank) = java_parse_int(parts[2]) else {
            sink.error(
                Some(1),
                Code::CvrBadRank,
                Some(&field),
                format!(
                    "the rank \"{}\" in choice header \"{header}\" is not a whole number",
                    parts[2]
                ),
            );
            return;
        };
        let choice =
            if s.uwi_label.as_deref() == Some(parts[4]) { UNDECLARED_WRITE_INS } else { parts[4] };
        kept.push((col, i64::from(rank), sink.label(choice)));
    }
    if kept.is_empty() {
        sink.error(
            Some(1),
            Code::CvrStructure,
            Some("contestId"),
            format!(
                "no choice column is for contest \"{}\"; check contestId against the header",
                s.contest_id
            ),
        );
        return;
    }
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
        let line = rec.position().map(|p| p.line() + crlf);
        let mut spoiled = false;
        for &(col, rank, label) in &kept {
            let field = (col + 1).to_string();
            let Some(cell) = rec.get(col) else {
                let msg = format!(
                    "the row has {} columns; choice column {} is missing",
                    rec.len(),
                    col + 1
                );
                sink.error(line, Code::CvrInvalidRecord, Some(&field), msg);
                spoiled = true;
                break;
            };
            // Integer.parseInt(cell) == 1, without trimming.
            match std::str::from_utf8(cell).ok().and_then(java_parse_int) {
                Some(1) => sink.mark_label(rank, label),
                Some(_) => {}
                None => {
                    let msg = format!(
                        "choice cell \"{}\" is not a whole number (1 marks the choice)",
                        String::from_utf8_lossy(cell)
                    );
                    sink.error(line, Code::CvrBadRank, Some(&field), msg);
                    spoiled = true;
                }
            }
        }
        if spoiled {
            sink.discard();
            continue;
        }
        let text = |c: usize| String::from_utf8_lossy(rec.get(c).unwrap_or_default());
        let precinct = text(PRECINCT_ID);
        if sink.observing() {
            sink.meta.contest_id.clone_from(&s.contest_id);
            sink.meta.tabulator_id = text(SCAN_COMPUTER).into_owned();
            sink.meta.supplied_id = text(BALLOT_ID).into_owned();
        }
        sink.commit(|| text(BALLOT_ID).into_owned(), line, &precinct, "");
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of};

    #[test]
    fn clear_ballot_kansas_primary() {
        let set = check_case("clear_ballot_kansas_primary");
        // Row 1 (ED-004+10003).
        assert!(
            count_of(
                &set,
                "1:Amy Klobuchar 2:Julian Castro 3:Tulsi Gabbard 4:Joe Biden 5:Steven Bullock"
            ) >= 1
        );
    }

    #[test]
    fn clear_ballot_with_inline_comma() {
        let set = check_case("clear_ballot_with_inline_comma");
        assert!(set.precincts.iter().any(|p| p == "76"));
        assert_eq!(count_of(&set, "1:Simone test Rede"), 49);
        assert_eq!(count_of(&set, "1:Simone test Rede 2:Simone test Rede"), 4);
    }
}
