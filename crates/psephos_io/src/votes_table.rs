//! A plain table of votes per party (`party,votes`), for one-district apportionment.

use std::path::Path;

use psephos_model::{Code, Diagnostic};

use crate::count_cell::parse_count;

/// Reads `party,votes` rows (other columns are ignored). Every problem is reported; the rows are
/// returned only when there is none.
pub fn read_party_votes(path: &Path) -> Result<Vec<(String, u64)>, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![
            Diagnostic::new(Code::MissingFile, format!("cannot read this file: {e}"))
                .in_file(&file),
        ]
    })?;
    let mut diags = Vec::new();
    let table = crate::table::Table::parse(&file, bytes, &mut diags);
    let c_party = table.column("party", &mut diags);
    let c_votes = table.column("votes", &mut diags);
    let mut rows: Vec<(String, u64)> = Vec::new();
    let mut seen = hashbrown::HashMap::new();
    table.for_each_row(&mut diags, |row, diags| {
        let Some(party) = row.id_str(c_party, diags) else { return };
        let raw = row.get(c_votes);
        let votes = match parse_count(raw.as_bytes()) {
            Ok(v) => u64::from(v),
            // Larger than a station count: still a whole number of votes.
            Err(crate::count_cell::CountError::TooLarge)
                if raw.bytes().all(|b| b.is_ascii_digit()) =>
            {
                match raw.parse::<u64>() {
                    Ok(v) => v,
                    Err(_) => {
                        diags.push(row.diag(
                            Code::TooLarge,
                            c_votes,
                            format!("votes is {raw}, too large"),
                        ));
                        return;
                    }
                }
            }
            Err(e) => {
                diags.push(row.diag(e.code(), c_votes, e.message("votes", raw.as_bytes())));
                return;
            }
        };
        if seen.insert(party.to_owned(), row.line).is_some() {
            diags.push(row.diag(
                Code::DuplicateId,
                c_party,
                format!("party {party:?} appears twice; give each party one row"),
            ));
            return;
        }
        rows.push((party.to_owned(), votes));
    });
    if diags.iter().any(Diagnostic::is_error) { Err(diags) } else { Ok(rows) }
}
