//! RCTab's conversions of cast-vote records, record by record in read order: "convert to CSV"
//! (`<prefix>_rctab_cvr.csv`, RCTab's own generic CVR layout) and the NIST SP 1500-103 Common
//! Data Format export (`<prefix>_cdf_cvr.json`, written when `generateCdfJson` is true and by
//! "convert to CDF"). Spec: `docs/internals/cvr-formats.md` §15.

use serde_json::{Map, Value, json};

use super::{CvrRecord, OVERVOTE, UNDECLARED_WRITE_INS, sanitize};

/// What the conversions need of one `cvrFileSources` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConvertSource {
    /// `filePath` as the config gives it.
    pub file_path: String,
    /// `provider` as the config gives it.
    pub provider: String,
    /// `undeclaredWriteInLabel`, blank when not set.
    pub uwi_label: String,
    /// `overvoteLabel`, blank when not set.
    pub overvote_label: String,
}

/// The contest as the conversions describe it.
pub struct ConvertContest<'a> {
    pub name: &'a str,
    pub jurisdiction: &'a str,
    /// Every candidate's name, in config order (excluded ones too; undeclared write-ins when
    /// counted).
    pub candidate_names: &'a [String],
    /// The candidate a raw label (name, alias or code) stands for.
    pub name_of: &'a dyn Fn(&str) -> Option<String>,
    /// Ranks written: `maxRankingsAllowed`, or the number of declared candidates for `max`.
    pub max_rank: u32,
    /// `tabulateByPrecinct`: the CDF export then gives each record its precinct's `GpUnit`.
    pub by_precinct: bool,
}

/// `<prefix>_rctab_cvr.csv`: one row per record, in read order, as Apache Commons CSV writes it.
pub fn rctab_cvr_csv(
    contest: &ConvertContest,
    sources: &[ConvertSource],
    records: &[(usize, CvrRecord)],
) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = [
        "Source Filepath",
        "CVR Provider",
        "Contest Id",
        "RCTab CVR Id",
        "Tabulator Id",
        "Batch Id",
        "Vendor Id",
        "Precinct",
        "Precinct Portion",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend((1..=contest.max_rank).map(|r| format!("Rank {r}")));
    row(&mut out, &header);
    let none = ConvertSource::default();
    for (i, r) in records {
        let source = sources.get(*i).unwrap_or(&none);
        let mut cells = vec![
            source.file_path.clone(),
            source.provider.clone(),
            r.contest_id.clone(),
            r.computed_id.clone(),
            r.tabulator_id.clone(),
            r.batch.clone(),
            r.supplied_id.clone(),
            r.precinct.clone(),
            r.precinct_portion.clone(),
        ];
        for rank in 1..=contest.max_rank {
            let at: Vec<String> = r
                .marks
                .iter()
                .filter(|(k, _)| *k == rank)
                .map(|(_, label)| match label.as_str() {
                    UNDECLARED_WRITE_INS => source.uwi_label.clone(),
                    OVERVOTE => OVERVOTE.to_owned(),
                    l => (contest.name_of)(l).unwrap_or_else(|| "null".to_owned()),
                })
                .collect();
            cells.push(if at.is_empty() { "undervote".to_owned() } else { at.join("\n") });
        }
        row(&mut out, &cells);
    }
    out
}

/// A CSV field as Apache Commons CSV's default format writes it (`null` is written as an empty,
/// unquoted field, and RCTab's fields are never `""` but null).
fn field(s: &str) -> String {
    let needs = s.contains([',', '"', '\r', '\n'])
        || s.chars().next().is_some_and(|c| c <= '#')
        || s.chars().last().is_some_and(|c| c <= ' ');
    if needs { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// Java's `String.compareTo`: UTF-16 code units.
fn java_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn selection_id(name: &str) -> String {
    format!("cs-{}", sanitize(name).to_lowercase())
}

fn candidate_id(name: &str) -> String {
    format!("c-{}", sanitize(name).to_lowercase())
}

/// `<prefix>_cdf_cvr.json` without tabulation rounds (RCTab's "convert to CDF"): each record's
/// original snapshot; `generated` is the `GeneratedDate`.
pub fn cdf_cvr_json(
    contest: &ConvertContest,
    sources: &[ConvertSource],
    records: &[(usize, CvrRecord)],
    generated: &str,
) -> String {
    // GpUnits: one per precinct (none for records without), numbered in the iteration order of
    // RCTab's hash set of ids.
    let mut precincts: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (_, r) in records {
        if !r.precinct.is_empty() && seen.insert(r.precinct.as_str()) {
            precincts.push(&r.precinct);
        }
    }
    let order = psephos_rcv::java_hash::iteration_order(
        &precincts,
        psephos_rcv::java_hash::capacity_after_inserts(precincts.len()),
    );
    let mut gpu_of = std::collections::HashMap::new();
    let mut gp_units = vec![json!({
        "@id": "gpu-election",
        "@type": "GpUnit",
        "Name": contest.jurisdiction,
        "OtherType": "Election Scope Jurisdiction",
        "Type": "other",
    })];
    for (k, &i) in order.iter().enumerate() {
        let id = format!("gpu-{}", k + 1);
        gp_units
            .push(json!({"@id": id, "@type": "GpUnit", "Name": precincts[i], "Type": "precinct"}));
        gpu_of.insert(precincts[i], id);
    }

    let cvrs: Vec<Value> = records
        .iter()
        .map(|(_, r)| {
            let id =
                sanitize(if r.computed_id.is_empty() { &r.supplied_id } else { &r.computed_id });
            let snapshot_id = format!("ballot-{id}");
            let mut cvr = Map::new();
            cvr.insert("@type".into(), json!("CVR"));
            cvr.insert("BallotPrePrintedId".into(), json!(id));
            if contest.by_precinct {
                cvr.insert(
                    "BallotStyleUnitId".into(),
                    gpu_of.get(r.precinct.as_str()).map_or(Value::Null, |g| json!(g)),
                );
            }
            cvr.insert(
                "CVRSnapshot".into(),
                json!([{
                    "@id": snapshot_id,
                    "@type": "CVR.CVRSnapshot",
                    "CVRContest": [{
                        "@type": "CVR.CVRContest",
                        "CVRContestSelection": selections(r),
                        "ContestId": "contest-001",
                    }],
                    "Type": "original",
                }]),
            );
            cvr.insert("CurrentSnapshotId".into(), json!(snapshot_id));
            cvr.insert("ElectionId".into(), json!("election-001"));
            Value::Object(cvr)
        })
        .collect();

    let mut names: Vec<String> = contest.candidate_names.to_vec();
    if sources.iter().any(|s| !s.overvote_label.trim().is_empty()) {
        names.push(OVERVOTE.to_owned());
    }
    names.sort_by(|a, b| java_cmp(a, b));
    let candidates: Vec<Value> =
        names.iter().map(|n| json!({"@id": candidate_id(n), "Name": n})).collect();
    let contest_selections: Vec<Value> = names
        .iter()
        .map(|n| {
            json!({
                "@id": selection_id(n),
                "@type": "ContestSelection",
                "CandidateIds": [candidate_id(n)],
            })
        })
        .collect();
    let report = json!({
        "@type": "CVR.CastVoteRecordReport",
        "CVR": cvrs,
        "Election": [{
            "@id": "election-001",
            "@type": "Election",
            "Candidate": candidates,
            "Contest": [{
                "@id": "contest-001",
                "@type": "CandidateContest",
                "ContestSelection": contest_selections,
                "Name": contest.name,
            }],
            "ElectionScopeId": "gpu-election",
        }],
        "GeneratedDate": generated,
        "GpUnit": gp_units,
        "ReportGeneratingDeviceIds": ["rd-001"],
        "ReportingDevice": [{
            "@id": "rd-001",
            "@type": "CVR.ReportingDevice",
            "Application": "RCTab",
            "Manufacturer": "Bright Spots",
        }],
        "Version": "1.0.0",
    });
    let mut out = String::new();
    jackson(&report, 0, &mut out);
    out
}

/// A record's selections: each label marked, with every rank it has, ordered by its best rank
/// and then by label (RCTab's `getCandidatesWithRanksList`). Labels are the raw ones read.
fn selections(r: &CvrRecord) -> Vec<Value> {
    let mut by_label: Vec<(&str, Vec<u32>)> = Vec::new();
    for (rank, label) in &r.marks {
        match by_label.iter_mut().find(|(l, _)| *l == label) {
            Some((_, ranks)) => ranks.push(*rank),
            None => by_label.push((label, vec![*rank])),
        }
    }
    for (_, ranks) in &mut by_label {
        ranks.sort_unstable();
    }
    by_label.sort_by(|(la, ra), (lb, rb)| ra[0].cmp(&rb[0]).then_with(|| java_cmp(la, lb)));
    by_label
        .into_iter()
        .map(|(label, ranks)| {
            let positions: Vec<Value> = ranks
                .into_iter()
                .map(|rank| {
                    json!({
                        "@type": "CVR.SelectionPosition",
                        "HasIndication": "yes",
                        "IsAllocable": "unknown",
                        "NumberVotes": 1,
                        "Rank": rank,
                    })
                })
                .collect();
            json!({
                "@type": "CVR.CVRContestSelection",
                "ContestSelectionId": selection_id(label),
                "SelectionPosition": positions,
            })
        })
        .collect()
}

/// JSON as Jackson's `DefaultPrettyPrinter` writes it: two-space indents, `" : "`, arrays on the
/// line of their first element (`[ {`, `}, {`, `} ]`), `[ ]` and `{ }` when empty. Keys are
/// written in the map's order (sorted, as RCTab's writer sorts them).
fn jackson(v: &Value, depth: usize, out: &mut String) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str("{ }"),
        Value::Object(m) => {
            out.push('{');
            for (k, (key, value)) in m.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&"  ".repeat(depth + 1));
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(" : ");
                jackson(value, depth + 1, out);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
        Value::Array(a) if a.is_empty() => out.push_str("[ ]"),
        Value::Array(a) => {
            out.push_str("[ ");
            for (k, item) in a.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                jackson(item, depth, out);
            }
            out.push_str(" ]");
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jackson_layout() {
        let v = json!({"b": [{"x": 1}, {"x": 2}], "a": ["s"], "e": [], "o": {}});
        let mut out = String::new();
        jackson(&v, 0, &mut out);
        assert_eq!(
            out,
            "{\n  \"a\" : [ \"s\" ],\n  \"b\" : [ {\n    \"x\" : 1\n  }, {\n    \"x\" : 2\n  } ],\n  \"e\" : [ ],\n  \"o\" : { }\n}"
        );
    }

    #[test]
    fn selections_order_by_best_rank_then_label() {
        let r = CvrRecord {
            marks: vec![(1, "B".into()), (1, "A".into()), (2, "B".into()), (3, "C".into())],
            ..CvrRecord::default()
        };
        let ids: Vec<String> = selections(&r)
            .iter()
            .map(|s| s["ContestSelectionId"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(ids, ["cs-a", "cs-b", "cs-c"]);
        assert_eq!(selections(&r)[1]["SelectionPosition"].as_array().map(Vec::len), Some(2));
    }
}
