//! Dominion (`dominion`): a folder with `CvrExport.json` (or `CvrExport_<n>.json`) and manifests
//! (spec §4).
//!
//! RCTab loads each export whole; a single export can exceed a gigabyte, so the `Sessions` array
//! is streamed here one session at a time through a serde visitor.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::io::BufReader;
use std::path::Path;
use std::rc::Rc;

use psephos_model::{Code, Diagnostic};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::source::Settings;
use super::{CountLines, Sink, UNDECLARED_WRITE_INS};

/// Outstack condition "invalid contest" (Alaska's partial-count ballots): such a contest entry is
/// left out (RCTab PR #910).
const EXCLUDE_CONTEST_CONDITION: i64 = 7;

pub(super) fn read(s: &Settings, sink: &mut Sink) {
    let dir = &s.path;
    if !dir.is_dir() {
        sink.error(
            None,
            Code::CvrMissingFile,
            None,
            "no such folder; a Dominion source is the folder of CvrExport.json and its manifests"
                .into(),
        );
        return;
    }
    let Some(manifests) = Manifests::read(dir, sink) else { return };
    if !manifests.contests.contains_key(&s.contest_id) {
        // RCTab notices this only on a CVR that has the contest; say it once up front.
        let msg = format!("contest \"{}\" is not in ContestManifest.json", s.contest_id);
        sink.diags.push(
            Diagnostic::new(Code::CvrStructure, msg)
                .in_file(format!("{}/ContestManifest.json", sink.file))
                .field("contestId"),
        );
        return;
    }
    let files = match export_files(dir) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            sink.error(
                None,
                Code::CvrMissingFile,
                None,
                "neither CvrExport.json nor any CvrExport_<n>.json exists in the folder".into(),
            );
            return;
        }
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot list the folder: {e}"));
            return;
        }
    };
    let folder = sink.file.clone();
    let mut excluded = 0u64;
    for name in files {
        sink.file = format!("{folder}/{name}");
        excluded += read_export(&dir.join(&name), s, &manifests, sink);
    }
    sink.file = folder;
    if excluded > 0 {
        let msg = format!(
            "{excluded} contest entries with outstack condition {EXCLUDE_CONTEST_CONDITION} (invalid contest) were left out, as RCTab leaves them out"
        );
        sink.diags.push(Diagnostic::new(Code::CvrSkippedRecord, msg).in_file(sink.file.clone()));
    }
    if sink.records == 0 {
        sink.error(
            None,
            Code::CvrNoRecords,
            None,
            format!("no cast vote record for contest \"{}\" in this folder", s.contest_id),
        );
    }
}

/// `CvrExport.json` alone if present, else every `CvrExport_<n>.json` in numeric order (gaps and
/// any first number allowed, as RCTab 2.0.1 does).
fn export_files(dir: &Path) -> std::io::Result<Vec<String>> {
    if dir.join("CvrExport.json").is_file() {
        return Ok(vec!["CvrExport.json".into()]);
    }
    let mut numbered: Vec<(u64, String)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_prefix("CvrExport_")
            .and_then(|r| r.strip_suffix(".json"))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
        {
            numbered.push((n, name));
        }
    }
    numbered.sort();
    Ok(numbered.into_iter().map(|(_, n)| n).collect())
}

/// What the manifests say: precinct and portion names, contests, candidates' contests.
struct Manifests {
    precincts: Option<HashMap<i64, String>>,
    portions: HashMap<i64, String>,
    contests: HashMap<String, ()>,
    /// Candidate id (as text) → its contest id (as text).
    candidates: HashMap<String, String>,
}

impl Manifests {
    fn read(dir: &Path, sink: &mut Sink) -> Option<Manifests> {
        let folder = sink.file.clone();
        let mut ok = true;
        let mut list = |name: &str, required: bool| -> Option<Vec<Value>> {
            let path = dir.join(name);
            let file = format!("{folder}/{name}");
            if !path.is_file() {
                if required {
                    sink.diags.push(
                        Diagnostic::new(Code::CvrMissingFile, "the Dominion manifest is missing")
                            .in_file(file),
                    );
                    ok = false;
                }
                return None;
            }
            let parsed = std::fs::read(&path)
                .map_err(|e| (Code::CvrMissingFile, e.to_string(), None))
                .and_then(|b| {
                    serde_json::from_slice::<Value>(&b)
                        .map_err(|e| (Code::CvrSyntax, e.to_string(), Some(e.line() as u64)))
                });
            match parsed {
                Ok(v) => match v.get("List").and_then(Value::as_array) {
                    Some(l) => Some(l.clone()),
                    None => {
                        sink.diags.push(
                            Diagnostic::new(
                                Code::CvrStructure,
                                "the manifest has no \"List\" array",
                            )
                            .in_file(file),
                        );
                        ok = false;
                        None
                    }
                },
                Err((code, msg, line)) => {
                    let mut d = Diagnostic::new(code, format!("cannot read the manifest: {msg}"))
                        .in_file(file);
                    d.line = line;
                    sink.diags.push(d);
                    ok = false;
                    None
                }
            }
        };
        let precincts = list("PrecinctManifest.json", false);
        let portions = list("PrecinctPortionManifest.json", true);
        let contests = list("ContestManifest.json", true);
        let candidates = list("CandidateManifest.json", true);
        let mut bad = |name: &str, msg: String| {
            sink.diags
                .push(Diagnostic::new(Code::CvrStructure, msg).in_file(format!("{folder}/{name}")));
            ok = false;
        };
        let mut by_id = |name: &str, items: Option<Vec<Value>>| -> Option<HashMap<i64, String>> {
            let mut map = HashMap::new();
            for (i, item) in items?.iter().enumerate() {
                match (
                    item.get("Id").and_then(Value::as_i64),
                    item.get("Description").and_then(Value::as_str),
                ) {
                    (Some(id), Some(d)) => {
                        map.insert(id, d.to_owned());
                    }
                    _ => bad(name, format!("List[{i}] lacks a whole-number Id or a Description")),
                }
            }
            Some(map)
        };
        let precincts = by_id("PrecinctManifest.json", precincts);
        let portions = by_id("PrecinctPortionManifest.json", portions);
        let mut contest_ids = HashMap::new();
        for (i, item) in contests.iter().flatten().enumerate() {
            match item.get("Id").and_then(scalar) {
                Some(id) => {
                    contest_ids.insert(id, ());
                }
                None => bad("ContestManifest.json", format!("List[{i}] has no Id")),
            }
        }
        let mut cands = HashMap::new();
        for (i, item) in candidates.iter().flatten().enumerate() {
            match (item.get("Id").and_then(Value::as_i64), item.get("ContestId").and_then(scalar)) {
                (Some(id), Some(c)) => {
                    cands.insert(id.to_string(), c);
                }
                _ => bad(
                    "CandidateManifest.json",
                    format!("List[{i}] lacks a whole-number Id or a ContestId"),
                ),
            }
        }
        if !ok {
            return None;
        }
        Some(Manifests {
            precincts,
            portions: portions.unwrap_or_default(),
            contests: contest_ids,
            candidates: cands,
        })
    }
}

/// A JSON scalar as Java's `toString` of the value Jackson made of it.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A JSON scalar kept as text: ids are compared as strings.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        scalar(&v).map(Text).ok_or_else(|| {
            serde::de::Error::custom(format!("expected a number or a string, found {v}"))
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Session {
    tabulator_id: Text,
    batch_id: Text,
    record_id: i64,
    original: Data,
    #[serde(default)]
    modified: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Data {
    #[serde(default)]
    is_current: bool,
    #[serde(default)]
    precinct_id: Option<i64>,
    #[serde(default)]
    precinct_portion_id: Option<i64>,
    #[serde(default)]
    cards: Option<Vec<Card>>,
    /// Older exports put the contests directly here: the data is then its one card.
    #[serde(default)]
    contests: Option<Vec<ContestEntry>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Card {
    contests: Vec<ContestEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContestEntry {
    id: Text,
    marks: Vec<MarkEntry>,
    #[serde(default)]
    outstack_condition_ids: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MarkEntry {
    candidate_id: Text,
    rank: i64,
    is_ambiguous: bool,
}

/// Reads one export file; returns how many contest entries outstack condition 7 left out.
fn read_export(path: &Path, s: &Settings, m: &Manifests, sink: &mut Sink) -> u64 {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return 0;
        }
    };
    let lines = Rc::new(Cell::new(0));
    let reader =
        CountLines { inner: BufReader::with_capacity(1 << 16, file), lines: lines.clone() };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut handler = Handler { s, m, sink, lines, excluded: 0, sessions: false };
    let result = TopLevel(&mut handler).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = result {
        let msg = format!("malformed Dominion CVR export: {e}");
        let line = (e.line() > 0).then_some(e.line() as u64);
        handler.sink.error(line, Code::CvrSyntax, None, msg);
    } else if !handler.sessions {
        handler.sink.error(
            None,
            Code::CvrStructure,
            None,
            "the export has no \"Sessions\" array".into(),
        );
    }
    handler.excluded
}

struct Handler<'a, 'b> {
    s: &'a Settings,
    m: &'a Manifests,
    sink: &'a mut Sink<'b>,
    lines: Rc<Cell<u64>>,
    excluded: u64,
    sessions: bool,
}

impl Handler<'_, '_> {
    /// One session (RCTab's loop body): a CVR for each card entry of the contest.
    fn session(&mut self, session: Session) {
        let at = self.lines.get() + 1;
        let line = Some(at);
        let (s, m) = (self.s, self.m);
        let sink = &mut *self.sink;
        let (tabulator, batch, record) =
            (&session.tabulator_id.0, &session.batch_id.0, session.record_id);
        let who = || format!("tabulator {tabulator} batch {batch} record {record}");
        let data = if session.original.is_current {
            session.original
        } else if let Some(modified) = session.modified {
            modified
        } else {
            let msg = format!("CVR has no adjudicated rankings, skipping: {}", who());
            sink.diags.push(Diagnostic::new(Code::CvrSkippedRecord, msg).at(sink.file.clone(), at));
            return;
        };
        let precinct = match data.precinct_id {
            None => None,
            Some(id) => match m.precincts.as_ref().and_then(|p| p.get(&id)) {
                Some(name) => Some(name.as_str()),
                None => {
                    let msg = format!(
                        "precinct id \"{id}\" of {} is not in PrecinctManifest.json",
                        who()
                    );
                    sink.error(line, Code::CvrStructure, Some("PrecinctId"), msg);
                    return;
                }
            },
        };
        if let Some(id) = data.precinct_portion_id
            && !m.portions.contains_key(&id)
        {
            let msg = format!(
                "precinct portion id \"{id}\" of {} is not in PrecinctPortionManifest.json",
                who()
            );
            sink.error(line, Code::CvrStructure, Some("PrecinctPortionId"), msg);
            return;
        }
        let cards = match (data.cards, data.contests) {
            (Some(cards), _) => cards,
            (None, Some(contests)) => vec![Card { contests }],
            (None, None) => {
                let msg = format!("{} has neither Cards nor Contests", who());
                sink.error(line, Code::CvrSyntax, None, msg);
                return;
            }
        };
        for card in cards {
            for contest in card.contests {
                if contest.id.0 != s.contest_id {
                    continue;
                }
                if contest.outstack_condition_ids.contains(&EXCLUDE_CONTEST_CONDITION) {
                    self.excluded += 1;
                    continue;
                }
                let mut spoiled = false;
                for mark in contest.marks {
                    if mark.is_ambiguous {
                        continue;
                    }
                    let cid = mark.candidate_id.0;
                    if s.uwi_label.as_deref() == Some(cid.as_str()) {
                        sink.mark(mark.rank, UNDECLARED_WRITE_INS);
                        continue;
                    }
                    // RCTab checks, after reading, that every candidate is in the contest.
                    if s.overvote_label.as_deref() != Some(cid.as_str()) {
                        let problem = match m.candidates.get(&cid) {
                            None => Some("is not in CandidateManifest.json".to_owned()),
                            Some(c) if *c != s.contest_id => {
                                Some(format!("belongs to contest '{c}', not '{}'", s.contest_id))
                            }
                            Some(_) => None,
                        };
                        if let Some(p) = problem {
                            let msg = format!("candidate id '{cid}' of {} {p}", who());
                            sink.error(line, Code::CvrStructure, Some("CandidateId"), msg);
                            spoiled = true;
                            continue;
                        }
                    }
                    sink.mark(mark.rank, &cid);
                }
                if spoiled {
                    sink.discard();
                    continue;
                }
                let id = session.record_id;
                if sink.observing() {
                    sink.meta.contest_id.clone_from(&s.contest_id);
                    sink.meta.tabulator_id.clone_from(&session.tabulator_id.0);
                    sink.meta.supplied_id = id.to_string();
                    sink.meta.precinct_portion = data
                        .precinct_portion_id
                        .and_then(|p| m.portions.get(&p))
                        .cloned()
                        .unwrap_or_default();
                }
                sink.commit(|| id.to_string(), line, precinct.unwrap_or(""), &session.batch_id.0);
            }
        }
    }
}

/// The export's top-level object: `Sessions` is streamed, everything else skipped.
struct TopLevel<'h, 'a, 'b>(&'h mut Handler<'a, 'b>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Dominion CVR export object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "Sessions" {
                self.0.sessions = true;
                map.next_value_seed(Sessions(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Sessions<'h, 'a, 'b>(&'h mut Handler<'a, 'b>);

impl<'de> DeserializeSeed<'de> for Sessions<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Sessions<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of sessions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(session) = seq.next_element::<Session>()? {
            self.0.session(session);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, rankings};

    #[test]
    fn dominion_alaska() {
        let set = check_case("dominion_alaska");
        // Record 1: candidate 9 first, then 1, the write-in (12), 8, 7; only rank 1 is a vote
        // but RCTab ignores IsVote.
        assert!(
            count_of(&set, "1:9 2:1 3:Undeclared Write-ins 4:8 5:7") >= 1,
            "{:?}",
            &rankings(&set)[..3]
        );
        assert!(set.batches.len() > 1);
    }

    #[test]
    fn numbered_exports_adjudication_and_problems() {
        use super::super::ReadOptions;
        use super::super::test_support::{read_json_source, temp_dir};
        let dir = temp_dir("dominion");
        let w = |n: &str, t: &str| std::fs::write(dir.join(n), t).unwrap();
        w(
            "ContestManifest.json",
            r#"{"List":[{"Id":5,"Description":"Mayor"},{"Id":6,"Description":"Other"}]}"#,
        );
        w(
            "CandidateManifest.json",
            r#"{"List":[{"Id":1,"Description":"A","ContestId":5},{"Id":2,"Description":"B","ContestId":5},
                {"Id":3,"Description":"W","ContestId":5},{"Id":9,"Description":"X","ContestId":6}]}"#,
        );
        w("PrecinctPortionManifest.json", r#"{"List":[{"Id":1,"Description":"P1 part"}]}"#);
        w("PrecinctManifest.json", r#"{"List":[{"Id":1,"Description":"P1"}]}"#);
        let mark = |c: u32, r: u32, amb: bool| {
            format!(r#"{{"CandidateId":{c},"Rank":{r},"IsAmbiguous":{amb},"IsVote":true}}"#)
        };
        let session = |rec: u32, data: &str, extra: &str| {
            format!(r#"{{"TabulatorId":1,"BatchId":7,"RecordId":{rec},"Original":{data}{extra}}}"#)
        };
        let cards = |current: bool, precinct: u32, contest: u32, marks: &[String], out: &str| {
            format!(
                r#"{{"IsCurrent":{current},"PrecinctId":{precinct},"PrecinctPortionId":1,"BallotTypeId":1,
                    "Cards":[{{"Contests":[{{"Id":{contest},"Marks":[{}],"OutstackConditionIds":[{out}]}}]}}]}}"#,
                marks.join(",")
            )
        };
        let s1 = [
            session(1, &cards(true, 1, 5, &[mark(1, 1, false), mark(2, 2, true)], ""), ""),
            // Not current: the modified data counts.
            session(
                2,
                &cards(false, 1, 5, &[mark(1, 1, false)], ""),
                &format!(
                    r#","Modified":{}"#,
                    cards(true, 1, 5, &[mark(2, 1, false), mark(3, 2, false)], "")
                ),
            ),
            // Not current, not modified: skipped with a warning.
            session(3, &cards(false, 1, 5, &[mark(1, 1, false)], ""), ""),
            // Outstack condition 7: left out.
            session(4, &cards(true, 1, 5, &[mark(1, 1, false)], "7"), ""),
        ];
        w("CvrExport_3.json", &format!(r#"{{"Version":"5","Sessions":[{}]}}"#, s1.join(",")));
        let s2 = [
            // Older layout: contests without cards; no precinct.
            session(5, r#"{"IsCurrent":true,"Contests":[{"Id":5,"Marks":[]}]}"#, ""),
            // Unknown precinct; a candidate of another contest.
            session(6, &cards(true, 4, 5, &[mark(1, 1, false)], ""), ""),
            session(7, &cards(true, 1, 5, &[mark(9, 1, false)], ""), ""),
        ];
        w("CvrExport_10.json", &format!(r#"{{"Sessions":[{}]}}"#, s2.join(",")));
        let source = r#"{"provider":"dominion","filePath":".","contestId":"5","undeclaredWriteInLabel":"3"}"#;
        let (set, diags) = read_json_source(&dir, source, &ReadOptions::default());
        let got: Vec<_> = diags
            .iter()
            .map(|d| format!("{} {}", d.code, d.file.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                "W509 ./CvrExport_3.json",
                "E504 ./CvrExport_10.json",
                "E504 ./CvrExport_10.json",
                "W509 ."
            ],
            "{diags:#?}"
        );
        assert_eq!(set.total(), 3);
        let r = rankings(&set);
        assert_eq!(r[0].0, "1:1");
        assert_eq!(r[1].0, "1:2 2:Undeclared Write-ins");
        assert_eq!(r[2].0, "");
        assert_eq!(set.precincts, ["", "P1"]);
        assert_eq!(set.batches, ["", "7"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
