//! Plain station tables for forensic tests: any CSV with one row per polling station, its
//! columns named on the command line, so published station data from any country loads
//! directly.

use std::path::Path;

use psephos_model::{Code, Diagnostic};

/// Which header cells hold what; a count given by several columns is their sum (Russia's
/// ballots issued early, in the station and outside it). `found` defaults to `issued`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StationColumns {
    pub registered: Vec<String>,
    pub issued: Vec<String>,
    pub found: Vec<String>,
    pub leader: Vec<String>,
    /// Groups stations for regional breakdowns.
    pub region: Option<String>,
    /// Names stations in rankings; the line number otherwise.
    pub id: Option<String>,
    /// Areas for same-area comparisons (e.g. territorial commissions).
    pub area: Option<String>,
    /// The kind of station compared (e.g. scanner or hand count).
    pub kind: Option<String>,
}

/// One station as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StationRow {
    /// The id column's value, else `line N`.
    pub id: String,
    pub region: Option<String>,
    pub area: Option<String>,
    pub kind: Option<String>,
    pub line: u64,
    pub registered: u64,
    pub issued: u64,
    pub found: u64,
    pub leader: u64,
}

/// Reads every row; returns the stations whose counts are whole numbers and agree with each
/// other, and a diagnostic for every other cell or station (all of them, in file order).
pub fn read_station_table(
    path: &Path,
    columns: &StationColumns,
) -> (Vec<StationRow>, Vec<Diagnostic>) {
    let file = path.display().to_string();
    let mut diags = Vec::new();
    let mut rdr = match csv::ReaderBuilder::new().flexible(true).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            let d = Diagnostic::new(Code::CvrMissingFile, format!("cannot read the table: {e}"))
                .in_file(file);
            return (Vec::new(), vec![d]);
        }
    };
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|c| c.trim_start_matches('\u{feff}').to_owned()).collect(),
        Err(e) => {
            let d = Diagnostic::new(Code::StationTableColumn, format!("no header row: {e}"))
                .at(file, 1);
            return (Vec::new(), vec![d]);
        }
    };
    let mut find = |flag: &str, name: &str| -> Option<usize> {
        let hits: Vec<usize> =
            header.iter().enumerate().filter(|(_, h)| *h == name).map(|(i, _)| i).collect();
        match hits[..] {
            [i] => Some(i),
            [] => {
                diags.push(
                    Diagnostic::new(
                        Code::StationTableColumn,
                        format!("{flag} names column \"{name}\", which the header does not have"),
                    )
                    .at(file.clone(), 1)
                    .field(name),
                );
                None
            }
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::StationTableColumn,
                        format!("the header has {} columns named \"{name}\" ({flag})", hits.len()),
                    )
                    .at(file.clone(), 1)
                    .field(name),
                );
                None
            }
        }
    };
    let mut all = |flag: &str, names: &[String]| -> Option<Vec<usize>> {
        let found: Vec<Option<usize>> = names.iter().map(|n| find(flag, n)).collect();
        found.into_iter().collect()
    };
    let registered = all("--registered", &columns.registered);
    let issued = all("--ballots-issued", &columns.issued);
    let found = all("--ballots-found", &columns.found);
    let leader = all("--leader", &columns.leader);
    let region = columns.region.as_deref().map(|c| find("--region", c));
    let id = columns.id.as_deref().map(|c| find("--id", c));
    let area = columns.area.as_deref().map(|c| find("--area", c));
    let kind = columns.kind.as_deref().map(|c| find("--compare", c));
    let (Some(registered), Some(issued), Some(found), Some(leader)) =
        (registered, issued, found, leader)
    else {
        return (Vec::new(), diags);
    };
    if [region, id, area, kind].iter().any(|c| matches!(c, Some(None))) {
        return (Vec::new(), diags);
    }
    let found = if found.is_empty() { issued.clone() } else { found };
    let region = region.flatten();
    let id = id.flatten();
    let area = area.flatten();
    let kind = kind.flatten();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                diags.push(
                    Diagnostic::new(Code::StationTableValue, format!("malformed CSV: {e}"))
                        .at(file.clone(), line),
                );
                break;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let name =
            id.and_then(|i| record.get(i)).map_or_else(|| format!("line {line}"), str::to_owned);
        let mut bad = false;
        let mut count = |cols: &[usize], what: &str| -> u64 {
            let mut sum = 0u64;
            for &i in cols {
                let cell = record.get(i).unwrap_or("").trim();
                match cell.parse::<u64>().ok().and_then(|v| sum.checked_add(v)) {
                    Some(v) => sum = v,
                    None => {
                        bad = true;
                        diags.push(
                            Diagnostic::new(
                                Code::StationTableValue,
                                format!("{what} \"{cell}\" is not a whole number of zero or more"),
                            )
                            .at(file.clone(), line)
                            .station(name.clone())
                            .field(header[i].clone()),
                        );
                    }
                }
            }
            sum
        };
        let registered_v = count(&registered, "registered voters");
        let issued_v = count(&issued, "ballots issued");
        // Found defaults to the issued columns: those cells are read once.
        let found_v = if found == issued { issued_v } else { count(&found, "ballots found") };
        let row = StationRow {
            id: name.clone(),
            region: region.and_then(|i| record.get(i)).map(str::to_owned),
            area: area.and_then(|i| record.get(i)).map(str::to_owned),
            kind: kind.and_then(|i| record.get(i)).map(str::to_owned),
            line,
            registered: registered_v,
            issued: issued_v,
            found: found_v,
            leader: count(&leader, "leader votes"),
        };
        if bad {
            continue;
        }
        let problem = if row.leader > row.found {
            Some(format!("{} leader votes but {} ballots found", row.leader, row.found))
        } else if row.registered == 0 && row.issued > 0 {
            Some(format!("{} ballots issued but no registered voters", row.issued))
        } else {
            None
        };
        if let Some(p) = problem {
            diags.push(
                Diagnostic::new(
                    Code::StationTableInconsistent,
                    format!("{p}; the station is left out of the tests"),
                )
                .at(file.clone(), line)
                .station(name),
            );
            continue;
        }
        rows.push(row);
    }
    (rows, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> StationColumns {
        StationColumns {
            registered: vec!["N".into()],
            issued: vec!["G".into()],
            found: Vec::new(),
            leader: vec!["L".into()],
            region: Some("reg".into()),
            id: Some("uik".into()),
            area: None,
            kind: None,
        }
    }

    #[test]
    fn reads_rows_and_reports_every_problem() {
        let dir =
            std::env::temp_dir().join(format!("psephos-station-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("t.csv");
        std::fs::write(
            &path,
            "uik,reg,N,G,L\n1,A,100,50,20\n2,A,100,x,20\n3,B,100,10,20\n4,B,0,5,0\n",
        )
        .ok();
        let (rows, diags) = read_station_table(&path, &columns());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].found, 50);
        let codes: Vec<(&str, Option<u64>)> =
            diags.iter().map(|d| (d.code.as_str(), d.line)).collect();
        assert_eq!(codes, [("E702", Some(3)), ("W703", Some(4)), ("W703", Some(5))]);
        let mut missing = columns();
        missing.leader = vec!["Putin".into()];
        missing.found = vec!["R".into()];
        let (rows, diags) = read_station_table(&path, &missing);
        assert!(rows.is_empty());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(diags.iter().all(|d| d.code == Code::StationTableColumn && d.line == Some(1)));
    }
}
