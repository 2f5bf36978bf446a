//! NIST SP 1500-103 cast-vote-record reports (`cdf`), in JSON and XML (spec §7).
//!
//! The CVRs usually come before the `Election` and `GpUnit` definitions they refer to (RCTab
//! writes JSON keys in alphabetical order), so a file is read twice: once for the definitions,
//! skipping the CVRs, and once for the CVRs, one at a time; memory stays at one CVR. The JSON and
//! XML readers of RCTab differ in small ways, each kept here.

use std::collections::HashMap;
use std::fmt;
use std::io::BufReader;
use std::path::Path;
use std::rc::Rc;

use psephos_model::{Code, Diagnostic};
use quick_xml::events::Event;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::source::Settings;
use super::xml::{Node, local, read_node, reader, start_node};
use super::{CountLines, OVERVOTE, Sink, UNDECLARED_WRITE_INS, java_parse_int, json_split};

pub(super) fn read(s: &Settings, sink: &mut Sink) {
    // RCTab tests the exact suffixes.
    let name = s.path.to_string_lossy();
    if name.ends_with(".xml") {
        read_xml(s, sink);
    } else if name.ends_with(".json") {
        read_json(s, sink);
    } else {
        sink.error(
            None,
            Code::CvrUnsupported,
            Some("filePath"),
            "a CDF file's name must end in .json or .xml (in lower case, as RCTab requires)".into(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// What both encodings share: definitions, and a CVR reduced to what RCTab reads of it.

/// An id and the name it has, if any.
type IdName = (String, Option<String>);

/// Definitions as read, before checks.
#[derive(Default)]
struct RawDefs {
    /// Per election: candidates `(id, name)` and contests.
    elections: Vec<(Vec<IdName>, Vec<RawContest>)>,
    gp_units: Vec<IdName>,
}

struct RawContest {
    id: String,
    name: Option<String>,
    selections: Vec<RawSelection>,
}

struct RawSelection {
    id: String,
    is_write_in: Option<String>,
    candidate_ids: Option<Vec<String>>,
}

/// Checked definitions of the configured contest.
struct Defs {
    contest_id: String,
    /// Selection id → the label its marks carry, or why it cannot be used.
    selections: HashMap<String, Result<String, String>>,
    /// Selections with several candidates (RCTab warns and uses the first).
    multiple: Vec<String>,
    gp_units: HashMap<String, Option<String>>,
}

fn check_defs(raw: RawDefs, s: &Settings, sink: &mut Sink) -> Option<Defs> {
    // The contest is found by its Name; a later election's match replaces an earlier one.
    let mut contest = None;
    for (_, contests) in &raw.elections {
        if let Some(c) = contests.iter().find(|c| c.name.as_deref() == Some(s.contest_id.as_str()))
        {
            contest = Some(c);
        }
    }
    let Some(contest) = contest else {
        let msg = format!(
            "contest \"{}\" from the config is not found (CDF contests are matched by Name)",
            s.contest_id
        );
        sink.error(None, Code::CvrStructure, Some("contestId"), msg);
        return None;
    };
    let mut ok = true;
    let mut unique = |kind: &str, ids: &mut dyn Iterator<Item = &String>, sink: &mut Sink| {
        let mut seen = std::collections::HashSet::new();
        for id in ids {
            if !seen.insert(id.clone()) {
                sink.error(
                    None,
                    Code::CvrStructure,
                    None,
                    format!("{kind} \"{id}\" appears multiple times"),
                );
                ok = false;
            }
        }
    };
    unique(
        "Candidate",
        &mut raw.elections.iter().flat_map(|(c, _)| c.iter().map(|(id, _)| id)),
        sink,
    );
    unique("ContestSelection", &mut contest.selections.iter().map(|x| &x.id), sink);
    unique("GpUnit", &mut raw.gp_units.iter().map(|(id, _)| id), sink);
    if !ok {
        return None;
    }
    let candidates: HashMap<&str, Option<&str>> = raw
        .elections
        .iter()
        .flat_map(|(c, _)| c.iter().map(|(id, name)| (id.as_str(), name.as_deref())))
        .collect();
    let mut multiple = Vec::new();
    let selections = contest
        .selections
        .iter()
        .map(|sel| {
            let label = if sel.is_write_in.as_deref() == Some("true") {
                Ok(UNDECLARED_WRITE_INS.to_owned())
            } else {
                match sel.candidate_ids.as_deref() {
                    None | Some([]) => Err(format!("CandidateSelection \"{}\" has no CandidateIds", sel.id)),
                    Some(ids) => {
                        if ids.len() > 1 {
                            multiple.push(sel.id.clone());
                        }
                        match candidates.get(ids[0].as_str()) {
                            None => Err(format!(
                                "candidate id \"{}\" of ContestSelection \"{}\" is not in the candidate list",
                                ids[0], sel.id
                            )),
                            Some(None) => Err(format!("candidate \"{}\" has no Name", ids[0])),
                            Some(Some(name)) if s.overvote_label.as_deref() == Some(*name) => Ok(OVERVOTE.to_owned()),
                            Some(Some(name)) => Ok((*name).to_owned()),
                        }
                    }
                }
            };
            (sel.id.clone(), label)
        })
        .collect();
    Some(Defs {
        contest_id: contest.id.clone(),
        selections,
        multiple,
        gp_units: raw.gp_units.into_iter().collect(),
    })
}

/// A rank as read: JSON wants a whole number, XML a string `Integer.parseInt` accepts.
type Rank = Result<i64, String>;

/// One CVR reduced to what RCTab reads of it.
#[derive(Default)]
struct RawCvr {
    supplied_id: Option<String>,
    unit: Option<String>,
    current_snapshot: Option<String>,
    /// `(snapshot id, its CVRContests)`; `None` contests when the snapshot has none.
    snapshots: Vec<(Option<String>, Option<Vec<RawCvrContest>>)>,
}

struct RawCvrContest {
    contest_id: Option<String>,
    selections: Option<Vec<RawCvrSelection>>,
}

struct RawCvrSelection {
    id: Option<String>,
    status: Option<String>,
    rank: Option<Rank>,
    positions: Option<Vec<RawPosition>>,
}

struct RawPosition {
    write_in: bool,
    has_indication: Option<String>,
    is_allocable: Option<String>,
    rank: Option<Rank>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Xml,
}

/// State of one file's CVR pass.
struct CvrPass<'d> {
    defs: &'d Defs,
    encoding: Encoding,
    file_name: String,
    /// RCTab's cvrIndex: every CVR in JSON, CVRs with the contest in XML.
    index: u64,
    warned_multiple: bool,
}

impl CvrPass<'_> {
    fn cvr(&mut self, cvr: RawCvr, line: Option<u64>, sink: &mut Sink) {
        let json = self.encoding == Encoding::Json;
        if json {
            self.index += 1;
        }
        let name = |i: u64, cvr: &RawCvr| {
            cvr.supplied_id.clone().unwrap_or_else(|| format!("{}({i})", self.file_name))
        };
        let snapshot =
            cvr.snapshots.iter().find(|(id, _)| id.is_some() && *id == cvr.current_snapshot);
        let contests = match snapshot {
            Some((_, Some(c))) => c,
            Some((_, None)) if json => {
                sink.error(
                    line,
                    Code::CvrInvalidRecord,
                    Some("CVRSnapshot"),
                    format!(
                        "CVR \"{}\": the current snapshot has no CVRContest",
                        name(self.index, &cvr)
                    ),
                );
                return;
            }
            None if json => {
                sink.error(
                    line,
                    Code::CvrInvalidRecord,
                    Some("CurrentSnapshotId"),
                    format!(
                        "CVR \"{}\": no CVRSnapshot has the CurrentSnapshotId",
                        name(self.index, &cvr)
                    ),
                );
                return;
            }
            _ => return,
        };
        let Some(contest) = contests
            .iter()
            .find(|c| c.contest_id.as_deref() == Some(self.defs.contest_id.as_str()))
        else {
            if json {
                // RCTab 2023 fails the whole source here; the XML reader skips the CVR.
                let msg = format!(
                    "CVR \"{}\" has no entry for the contest; it is left out",
                    name(self.index, &cvr)
                );
                let mut d = Diagnostic::new(Code::CvrSkippedRecord, msg).in_file(sink.file.clone());
                d.line = line;
                sink.diags.push(d);
            }
            return;
        };
        if !json {
            self.index += 1;
        }
        let id = name(self.index, &cvr);
        let mut spoiled = false;
        let mut fail = |sink: &mut Sink, code: Code, field: &str, msg: String| {
            sink.error(line, code, Some(field), format!("CVR \"{id}\": {msg}"));
            spoiled = true;
        };
        match &contest.selections {
            None if json => fail(
                sink,
                Code::CvrStructure,
                "CVRContestSelection",
                "the contest entry has no CVRContestSelection".into(),
            ),
            None => {}
            Some(selections) => {
                for sel in selections {
                    if !json && sel.status.as_deref() == Some("needs-adjudication") {
                        continue;
                    }
                    let sid = sel.id.as_deref().unwrap_or("");
                    let label = match self.defs.selections.get(sid) {
                        None => {
                            fail(
                                sink,
                                Code::CvrStructure,
                                "ContestSelectionId",
                                format!("ContestSelection \"{sid}\" is not defined in the contest"),
                            );
                            continue;
                        }
                        Some(Err(msg)) => {
                            fail(sink, Code::CvrStructure, "ContestSelectionId", msg.clone());
                            continue;
                        }
                        Some(Ok(label)) => label.as_str(),
                    };
                    if !self.warned_multiple && self.defs.multiple.iter().any(|m| m == sid) {
                        self.warned_multiple = true;
                        let msg = format!(
                            "CandidateSelection \"{sid}\" has several CandidateIds; only the first is used"
                        );
                        sink.diags.push(
                            Diagnostic::new(Code::CvrSetting, msg).in_file(sink.file.clone()),
                        );
                    }
                    if let Some(rank) = &sel.rank {
                        match rank {
                            Ok(r) => sink.mark(*r, label),
                            Err(msg) => fail(sink, Code::CvrBadRank, "Rank", msg.clone()),
                        }
                        continue;
                    }
                    let Some(positions) = &sel.positions else {
                        fail(
                            sink,
                            Code::CvrStructure,
                            "SelectionPosition",
                            format!(
                                "selection \"{sid}\" has neither a Rank nor a SelectionPosition"
                            ),
                        );
                        continue;
                    };
                    // A write-in position makes this and every later position a write-in.
                    let mut label = label;
                    for pos in positions {
                        if pos.write_in {
                            label = UNDECLARED_WRITE_INS;
                        }
                        if pos.has_indication.as_deref() == Some("no") {
                            continue;
                        }
                        match pos.is_allocable.as_deref() {
                            Some("no") => continue,
                            None if !json => {
                                fail(
                                    sink,
                                    Code::CvrStructure,
                                    "IsAllocable",
                                    format!(
                                        "a SelectionPosition of selection \"{sid}\" has no IsAllocable"
                                    ),
                                );
                                continue;
                            }
                            _ => {}
                        }
                        match &pos.rank {
                            None => fail(
                                sink,
                                Code::CvrStructure,
                                "Rank",
                                format!("no Rank on a SelectionPosition of selection \"{sid}\""),
                            ),
                            Some(Err(msg)) => fail(sink, Code::CvrBadRank, "Rank", msg.clone()),
                            Some(Ok(r)) => sink.mark(*r, label),
                        }
                    }
                }
            }
        }
        let precinct = match &cvr.unit {
            None => None,
            Some(u) => match self.defs.gp_units.get(u) {
                Some(name) => Some(name.clone().unwrap_or_default()),
                None => {
                    fail(
                        sink,
                        Code::CvrStructure,
                        "BallotStyleUnitId",
                        format!("GpUnit \"{u}\" is not defined"),
                    );
                    None
                }
            },
        };
        if spoiled {
            sink.discard();
            return;
        }
        if sink.observing() {
            sink.meta.computed_id = format!("{}({})", self.file_name, self.index);
            sink.meta.supplied_id = cvr.supplied_id.clone().unwrap_or_default();
        }
        sink.commit(|| id.clone(), line, precinct.as_deref().unwrap_or(""), "");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn opt_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().and_then(text)
}

/// [`opt_text`], moving a string out instead of copying it.
fn take_text(v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s),
        other => text(&other),
    }
}

/// A JSON rank: Jackson casts it to Integer, so only a whole number in `i32` range is one.
fn json_rank(v: &Value) -> Rank {
    v.as_i64()
        .filter(|r| i32::try_from(*r).is_ok())
        .ok_or_else(|| format!("Rank {v} is not a whole JSON number"))
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Deserialize)]
struct JCvr {
    #[serde(rename = "BallotPrePrintedId", default)]
    ballot_id: Option<Value>,
    #[serde(rename = "BallotStyleUnitId", default)]
    unit: Option<Value>,
    #[serde(rename = "CurrentSnapshotId", default)]
    current: Option<Value>,
    #[serde(rename = "CVRSnapshot", default)]
    snapshots: Option<Vec<JSnapshot>>,
}

#[derive(Deserialize)]
struct JSnapshot {
    #[serde(rename = "@id", default)]
    id: Option<Value>,
    #[serde(rename = "CVRContest", default)]
    contests: Option<Vec<JCvrContest>>,
}

#[derive(Deserialize)]
struct JCvrContest {
    #[serde(rename = "ContestId", default)]
    contest_id: Option<Value>,
    #[serde(rename = "CVRContestSelection", default)]
    selections: Option<Vec<JSelection>>,
}

#[derive(Deserialize)]
struct JSelection {
    #[serde(rename = "ContestSelectionId", default)]
    id: Option<Value>,
    #[serde(rename = "Rank", default)]
    rank: Option<Value>,
    #[serde(rename = "SelectionPosition", default)]
    positions: Option<Vec<JPosition>>,
}

#[derive(Deserialize)]
struct JPosition {
    #[serde(rename = "CVRWriteIn", default, deserialize_with = "present")]
    write_in: bool,
    #[serde(rename = "HasIndication", default)]
    has_indication: Option<Value>,
    #[serde(rename = "IsAllocable", default)]
    is_allocable: Option<Value>,
    #[serde(rename = "Rank", default)]
    rank: Option<Value>,
}

impl JCvr {
    fn raw(self) -> RawCvr {
        RawCvr {
            supplied_id: take_text(self.ballot_id),
            unit: take_text(self.unit),
            current_snapshot: take_text(self.current),
            snapshots: self
                .snapshots
                .unwrap_or_default()
                .into_iter()
                .map(|sn| {
                    let contests = sn.contests.map(|cs| {
                        cs.into_iter()
                            .map(|c| RawCvrContest {
                                contest_id: take_text(c.contest_id),
                                selections: c.selections.map(|sels| {
                                    sels.into_iter()
                                        .map(|sel| RawCvrSelection {
                                            id: take_text(sel.id),
                                            status: None,
                                            rank: sel.rank.as_ref().map(json_rank),
                                            positions: sel.positions.map(|ps| {
                                                ps.into_iter()
                                                    .map(|p| RawPosition {
                                                        write_in: p.write_in,
                                                        has_indication: take_text(p.has_indication),
                                                        is_allocable: take_text(p.is_allocable),
                                                        // Jackson's (Integer) cast of a missing Rank fails later.
                                                        rank: p.rank.as_ref().map(json_rank),
                                                    })
                                                    .collect()
                                            }),
                                        })
                                        .collect()
                                }),
                            })
                            .collect()
                    });
                    (take_text(sn.id), contests)
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct JElection {
    #[serde(rename = "Candidate", default)]
    candidates: Option<Vec<JIdName>>,
    #[serde(rename = "Contest", default)]
    contests: Option<Vec<JContest>>,
}

#[derive(Deserialize)]
struct JIdName {
    #[serde(rename = "@id", default)]
    id: Option<Value>,
    #[serde(rename = "Name", default)]
    name: Option<Value>,
}

#[derive(Deserialize)]
struct JContest {
    #[serde(rename = "@id", default)]
    id: Option<Value>,
    #[serde(rename = "Name", default)]
    name: Option<Value>,
    #[serde(rename = "ContestSelection", default)]
    selections: Option<Vec<JSelectionDef>>,
}

#[derive(Deserialize)]
struct JSelectionDef {
    #[serde(rename = "@id", default)]
    id: Option<Value>,
    #[serde(rename = "IsWriteIn", default)]
    is_write_in: Option<Value>,
    #[serde(rename = "CandidateIds", default)]
    candidate_ids: Option<Vec<Value>>,
}

/// What one pass over a JSON report does with its top-level keys.
struct JsonPass<'a, 'b, 'd> {
    sink: &'a mut Sink<'b>,
    lines: Rc<std::cell::Cell<u64>>,
    /// Definitions read so far (first pass).
    defs_raw: Option<RawDefs>,
    seen_election: bool,
    seen_gp_unit: bool,
    /// CVRs are read in this pass when the definitions are known.
    cvrs: Option<CvrPass<'d>>,
    /// The CVR array was passed over for lack of definitions.
    skipped_cvrs: bool,
    seen_cvr: bool,
    /// How many top-level `CVR` keys the pass met.
    cvr_keys: usize,
}

impl<'de> DeserializeSeed<'de> for &mut JsonPass<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut JsonPass<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CDF CastVoteRecordReport object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Election" if self.defs_raw.is_some() => {
                    self.seen_election = true;
                    let elections: Vec<JElection> = map.next_value()?;
                    let raw = self.defs_raw.get_or_insert_with(RawDefs::default);
                    for e in elections {
                        let cands = e
                            .candidates
                            .unwrap_or_default()
                            .into_iter()
                            .map(|c| (opt_text(&c.id).unwrap_or_default(), opt_text(&c.name)))
                            .collect();
                        let contests = e
                            .contests
                            .unwrap_or_default()
                            .into_iter()
                            .map(|c| RawContest {
                                id: opt_text(&c.id).unwrap_or_default(),
                                name: opt_text(&c.name),
                                selections: c
                                    .selections
                                    .unwrap_or_default()
                                    .into_iter()
                                    .map(|sel| RawSelection {
                                        id: opt_text(&sel.id).unwrap_or_default(),
                                        is_write_in: opt_text(&sel.is_write_in).filter(|_| {
                                            // Jackson compares the value to the string "true": a
                                            // JSON boolean true is not equal.
                                            matches!(sel.is_write_in, Some(Value::String(_)))
                                        }),
                                        candidate_ids: sel
                                            .candidate_ids
                                            .map(|ids| ids.iter().filter_map(text).collect()),
                                    })
                                    .collect(),
                            })
                            .collect();
                        raw.elections.push((cands, contests));
                    }
                }
                "GpUnit" if self.defs_raw.is_some() => {
                    self.seen_gp_unit = true;
                    let units: Vec<JIdName> = map.next_value()?;
                    let raw = self.defs_raw.get_or_insert_with(RawDefs::default);
                    raw.gp_units.extend(
                        units
                            .into_iter()
                            .map(|u| (opt_text(&u.id).unwrap_or_default(), opt_text(&u.name))),
                    );
                }
                "CVR" if self.cvrs.is_some() => {
                    self.seen_cvr = true;
                    self.cvr_keys += 1;
                    map.next_value_seed(JsonCvrs(self))?;
                }
                "CVR" => {
                    self.seen_cvr = true;
                    self.cvr_keys += 1;
                    self.skipped_cvrs = true;
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct JsonCvrs<'p, 'a, 'b, 'd>(&'p mut JsonPass<'a, 'b, 'd>);

impl<'de> DeserializeSeed<'de> for JsonCvrs<'_, '_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for JsonCvrs<'_, '_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CVRs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let pass = self.0;
        while let Some(cvr) = seq.next_element::<JCvr>()? {
            let line = Some(pass.lines.get() + 1);
            if let Some(p) = pass.cvrs.as_mut() {
                p.cvr(cvr.raw(), line, pass.sink);
            }
        }
        Ok(())
    }
}

/// One pass over a JSON file; `Err` has the message and line of a syntax error.
fn json_pass(path: &Path, pass: &mut JsonPass) -> Result<(), (String, Option<u64>)> {
    let file =
        std::fs::File::open(path).map_err(|e| (format!("cannot read the CVR file: {e}"), None))?;
    let reader =
        CountLines { inner: BufReader::with_capacity(1 << 16, file), lines: pass.lines.clone() };
    pass.lines.set(0);
    let mut de = serde_json::Deserializer::from_reader(reader);
    pass.deserialize(&mut de).and_then(|()| de.end()).map_err(|e| {
        (format!("malformed CDF JSON: {e}"), (e.line() > 0).then_some(e.line() as u64))
    })
}

fn read_json(s: &Settings, sink: &mut Sink) {
    read_json_with(s, sink, true);
}

/// [`read_json`]; `split` allows the scanner's path (tests compare it with the plain one).
fn read_json_with(s: &Settings, sink: &mut Sink, split: bool) {
    let file_name =
        s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lines = Rc::new(std::cell::Cell::new(0));
    let mut first = JsonPass {
        sink,
        lines: lines.clone(),
        defs_raw: Some(RawDefs::default()),
        seen_election: false,
        seen_gp_unit: false,
        cvrs: None,
        skipped_cvrs: false,
        seen_cvr: false,
        cvr_keys: 0,
    };
    // First pass: the definitions, from the report without its CVRs when the scanner can
    // cut them out (the usual case), else from the whole file, skipping the CVRs.
    let skeleton = std::fs::File::open(&s.path)
        .and_then(|f| json_split::skeleton(BufReader::with_capacity(1 << 16, f)));
    let (split_arrays, first_result) = match skeleton {
        Ok((skel, arrays)) => {
            let mut de = serde_json::Deserializer::from_slice(&skel);
            let r = (&mut first).deserialize(&mut de).and_then(|()| de.end()).map_err(|e| {
                (format!("malformed CDF JSON: {e}"), (e.line() > 0).then_some(e.line() as u64))
            });
            (Some(arrays), r)
        }
        Err(e) => (None, Err((format!("cannot read the CVR file: {e}"), None))),
    };
    if let Err((msg, line)) = first_result {
        let code = if line.is_none() { Code::CvrMissingFile } else { Code::CvrSyntax };
        first.sink.error(line, code, None, msg);
        return;
    }
    // Every CVR array was cut out by the scanner: the second pass reads them as slices.
    let split = split && split_arrays == Some(first.cvr_keys);
    let sink = first.sink;
    let missing: Vec<&str> = [
        ("CVR", first.seen_cvr),
        ("Election", first.seen_election),
        ("GpUnit", first.seen_gp_unit),
    ]
    .iter()
    .filter(|(_, seen)| !seen)
    .map(|(k, _)| *k)
    .collect();
    if !missing.is_empty() {
        sink.error(
            None,
            Code::CvrStructure,
            None,
            format!("required parts are missing from the CDF report: {missing:?}"),
        );
        return;
    }
    let Some(defs) = check_defs(first.defs_raw.unwrap_or_default(), s, sink) else { return };
    let mut cvrs = CvrPass {
        defs: &defs,
        encoding: Encoding::Json,
        file_name,
        index: 0,
        warned_multiple: false,
    };
    if split {
        read_json_cvrs_split(s, &mut cvrs, sink);
        return;
    }
    let mut second = JsonPass {
        sink,
        lines,
        defs_raw: None,
        seen_election: false,
        seen_gp_unit: false,
        cvrs: Some(cvrs),
        skipped_cvrs: false,
        seen_cvr: false,
        cvr_keys: 0,
    };
    if let Err((msg, line)) = json_pass(&s.path, &mut second) {
        second.sink.error(line, Code::CvrSyntax, None, msg);
    }
}

/// The second pass when the CVR arrays could be found: each CVR is parsed from its own slice,
/// a block of them in parallel, and counted in file order. The first CVR that is not valid JSON
/// (or not a CVR) stops the reading, as a syntax error stops the plain reader.
fn read_json_cvrs_split(s: &Settings, cvrs: &mut CvrPass, sink: &mut Sink) {
    use rayon::prelude::*;
    let file = match std::fs::File::open(&s.path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return;
        }
    };
    let mut batch = |buf: &[u8], elements: &[json_split::Element]| -> bool {
        let parsed: Vec<Result<RawCvr, serde_json::Error>> = elements
            .par_iter()
            .map(|(r, _)| serde_json::from_slice::<JCvr>(&buf[r.clone()]).map(JCvr::raw))
            .collect();
        for (cvr, (_, line)) in parsed.into_iter().zip(elements) {
            match cvr {
                Ok(raw) => cvrs.cvr(raw, Some(*line), sink),
                Err(e) => {
                    let at = line + (e.line().max(1) as u64) - 1;
                    let text = e.to_string();
                    let msg = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
                    sink.error(
                        Some(at),
                        Code::CvrSyntax,
                        None,
                        format!("malformed CDF JSON: {msg}"),
                    );
                    return false;
                }
            }
        }
        true
    };
    if let Err(e) = json_split::cvr_elements(BufReader::with_capacity(1 << 16, file), &mut batch) {
        sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// XML

fn xml_rank(text: &str) -> Rank {
    java_parse_int(text)
        .map(i64::from)
        .ok_or_else(|| format!("Rank \"{text}\" is not a whole number"))
}

fn xml_cvr(n: &Node) -> RawCvr {
    RawCvr {
        supplied_id: n.text_of("UniqueId"),
        unit: n.text_of("BallotStyleUnitId"),
        current_snapshot: n.text_of("CurrentSnapshotId"),
        snapshots: n
            .all("CVRSnapshot")
            .map(|sn| {
                let contests = sn.list("CVRContest").map(|cs| {
                    cs.into_iter()
                        .map(|c| RawCvrContest {
                            contest_id: c.text_of("ContestId"),
                            selections: c.list("CVRContestSelection").map(|sels| {
                                sels.into_iter()
                                    .map(|sel| RawCvrSelection {
                                        id: sel.text_of("ContestSelectionId"),
                                        status: sel.text_of("Status"),
                                        rank: sel.text_of("Rank").map(|t| xml_rank(&t)),
                                        positions: sel.list("SelectionPosition").map(|ps| {
                                            ps.into_iter()
                                                .map(|p| RawPosition {
                                                    write_in: p.child("CVRWriteIn").is_some(),
                                                    has_indication: p.text_of("HasIndication"),
                                                    is_allocable: p.text_of("IsAllocable"),
                                                    rank: p.text_of("Rank").map(|t| xml_rank(&t)),
                                                })
                                                .collect()
                                        }),
                                    })
                                    .collect()
                            }),
                        })
                        .collect()
                });
                (sn.attr("ObjectId").map(str::to_owned), contests)
            })
            .collect(),
    }
}

fn xml_election(n: &Node, raw: &mut RawDefs) {
    let cands = n
        .all("Candidate")
        .map(|c| (c.attr("ObjectId").unwrap_or("").to_owned(), c.text_of("Name")))
        .collect();
    let contests = n
        .all("Contest")
        .map(|c| RawContest {
            id: c.attr("ObjectId").unwrap_or("").to_owned(),
            name: c.text_of("Name"),
            selections: c
                .all("ContestSelection")
                .map(|sel| RawSelection {
                    id: sel.attr("ObjectId").unwrap_or("").to_owned(),
                    is_write_in: sel.text_of("IsWriteIn"),
                    candidate_ids: sel
                        .list("CandidateIds")
                        .map(|ids| ids.iter().map(|i| i.text.clone()).collect()),
                })
                .collect(),
        })
        .collect();
    raw.elections.push((cands, contests));
}

/// One pass over the XML report: the root's children, each read whole except skipped CVRs.
fn xml_pass(
    s: &Settings,
    sink: &mut Sink,
    mut f: impl FnMut(&str, Option<Node>, u64, &mut Sink),
    read_cvrs: bool,
) -> bool {
    let file = match std::fs::File::open(&s.path) {
        Ok(f) => f,
        Err(e) => {
            sink.error(None, Code::CvrMissingFile, None, format!("cannot read the CVR file: {e}"));
            return false;
        }
    };
    let mut r = reader(BufReader::with_capacity(1 << 16, file));
    let mut buf = Vec::new();
    let mut depth = 0u32;
    loop {
        buf.clear();
        let event = r.read_event_into(&mut buf);
        let line = r.get_ref().line();
        match event {
            Ok(Event::Start(e)) if depth == 1 => {
                let name = local(&e).to_owned();
                let wanted = match name.as_str() {
                    "CVR" => read_cvrs,
                    "Election" | "GpUnit" => !read_cvrs,
                    _ => false,
                };
                if wanted {
                    let owned = e.into_owned();
                    match read_node(&mut r, &owned, &mut buf) {
                        Ok(node) => f(&name, Some(node), line, sink),
                        Err(msg) => {
                            let line = r.get_ref().line();
                            sink.error(
                                Some(line),
                                Code::CvrSyntax,
                                None,
                                format!("malformed CDF XML: {msg}"),
                            );
                            return false;
                        }
                    }
                } else {
                    let end = e.to_end().into_owned();
                    if let Err(err) = r.read_to_end_into(end.name(), &mut Vec::new()) {
                        let line = r.get_ref().line();
                        sink.error(
                            Some(line),
                            Code::CvrSyntax,
                            None,
                            format!("malformed CDF XML: {err}"),
                        );
                        return false;
                    }
                    f(&name, None, line, sink);
                }
            }
            Ok(Event::Empty(e)) if depth == 1 => {
                let name = local(&e).to_owned();
                let node = start_node(&e);
                f(&name, Some(node), line, sink);
            }
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => return true,
            Ok(_) => {}
            Err(e) => {
                sink.error(Some(line), Code::CvrSyntax, None, format!("malformed CDF XML: {e}"));
                return false;
            }
        }
    }
}

fn read_xml(s: &Settings, sink: &mut Sink) {
    let mut raw = RawDefs::default();
    let mut seen: Vec<String> = Vec::new();
    let ok = xml_pass(
        s,
        sink,
        |name, node, _, _| {
            if !seen.iter().any(|n| n == name) {
                seen.push(name.to_owned());
            }
            match (name, node) {
                ("Election", Some(n)) => xml_election(&n, &mut raw),
                ("GpUnit", Some(n)) => raw
                    .gp_units
                    .push((n.attr("ObjectId").unwrap_or("").to_owned(), n.text_of("Name"))),
                _ => {}
            }
        },
        false,
    );
    if !ok {
        return;
    }
    let has = |n: &str| seen.iter().any(|s| s == n);
    if !has("GpUnit") {
        sink.error(
            None,
            Code::CvrStructure,
            Some("GpUnit"),
            "GpUnit is missing from the CDF report; this is common with older, unsupported formats"
                .into(),
        );
        return;
    }
    let missing: Vec<&str> =
        ["CVR", "Election", "ReportGeneratingDeviceIds", "ReportingDevice", "Party"]
            .into_iter()
            .filter(|n| !has(n))
            .collect();
    if !missing.is_empty() {
        sink.error(
            None,
            Code::CvrStructure,
            None,
            format!("required parts are missing from the CDF report: {missing:?}"),
        );
        return;
    }
    let Some(defs) = check_defs(raw, s, sink) else { return };
    let file_name =
        s.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut pass = CvrPass {
        defs: &defs,
        encoding: Encoding::Xml,
        file_name,
        index: 0,
        warned_multiple: false,
    };
    xml_pass(
        s,
        sink,
        |name, node, line, sink| {
            if let ("CVR", Some(n)) = (name, node) {
                pass.cvr(xml_cvr(&n), Some(line), sink);
            }
        },
        true,
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{check_case, count_of, rankings};

    const JSON_CASES: &[&str] = &[
        "test_set_0_skipped_first_choice",
        "test_set_1_exhaust_at_overvote",
        "test_set_2_overvote_skip_to_next",
        "test_set_3_skipped_choice_exhaust",
        "test_set_4_skipped_choice_next",
        "test_set_5_two_skipped_choice_exhaust",
        "test_set_6_duplicate_exhaust",
        "test_set_7_duplicate_skip_to_next",
        "test_set_8_multi_cdf",
        "test_set_multi_winner_fractional_threshold",
        "test_set_multi_winner_whole_threshold",
        "aliases_cdf_json",
    ];

    const XML_CASES: &[&str] = &[
        "nist_xml_cdf_2",
        "unisyn_xml_cdf_city_chief_of_police",
        "unisyn_xml_cdf_city_coroner",
        "unisyn_xml_cdf_city_council_member",
        "unisyn_xml_cdf_city_mayor",
        "unisyn_xml_cdf_city_tax_collector",
        "unisyn_xml_cdf_county_coroner",
        "unisyn_xml_cdf_county_sheriff",
    ];

    #[test]
    fn every_cdf_case_has_the_expected_ballots() {
        let mut failed = Vec::new();
        for case in JSON_CASES.iter().chain(XML_CASES) {
            if std::panic::catch_unwind(|| check_case(case)).is_err() {
                failed.push(*case);
            }
        }
        assert!(failed.is_empty(), "{} CDF cases fail: {failed:?}", failed.len());
    }

    #[test]
    fn json_overvote_and_ranks() {
        // Ballot 1 ranks A and B both first.
        let set = check_case("test_set_1_exhaust_at_overvote");
        let r = rankings(&set);
        assert!(r[0].0.starts_with("1:Candidate A Name=Candidate B Name"), "{r:?}");
    }

    #[test]
    fn xml_write_ins_and_precincts() {
        let set = check_case("unisyn_xml_cdf_county_sheriff");
        assert!(set.precincts.iter().any(|p| p.starts_with("Precinct")), "{:?}", set.precincts);
        assert!(set.labels.iter().any(|l| l == super::UNDECLARED_WRITE_INS), "{:?}", set.labels);
        let set = check_case("nist_xml_cdf_2");
        assert_eq!(count_of(&set, ""), 1);
    }

    #[test]
    fn conversions_from_cdf_reads_every_record() {
        // The expected conversion lists one row per CVR of the two files.
        let (set, diags) = super::super::test_support::read_case("conversions_from_cdf");
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let csv = super::super::test_support::suite_dir()
            .join("conversions_from_cdf/conversions_from_cdf_expected.csv");
        let rows = std::fs::read_to_string(csv).unwrap().lines().count() as u64 - 1;
        assert_eq!(set.total(), rows);
    }

    /// Both JSON paths read the same ballots and report the same problems (lines aside: the
    /// plain reader only knows the line its buffer reached).
    #[test]
    fn split_and_plain_json_readers_agree() {
        use super::super::{CvrSource, Sink};
        use psephos_rcv::BallotSetBuilder;
        let read = |dir: &std::path::Path, src: &CvrSource, split: bool| {
            let mut diags = Vec::new();
            let s = src.settings(dir, &mut diags).expect("valid settings");
            let mut b = BallotSetBuilder::new();
            let mut sink = Sink::new(&mut b, "f.json".into(), None, true);
            super::read_json_with(&s, &mut sink, split);
            let diags: Vec<String> = std::mem::take(&mut sink.diags)
                .into_iter()
                .map(|d| format!("{:?}", d.code))
                .collect();
            (b.build(), diags)
        };
        let mut compared = 0;
        for case in JSON_CASES {
            let dir = super::super::test_support::suite_dir().join(case);
            let config: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("{case}_config.json"))).unwrap(),
            )
            .unwrap();
            let sources: Vec<CvrSource> =
                serde_json::from_value(config["cvrFileSources"].clone()).unwrap();
            for src in sources
                .iter()
                .filter(|s| s.file_path.as_deref().is_some_and(|p| p.ends_with(".json")))
            {
                assert_eq!(read(&dir, src, true), read(&dir, src, false), "{case}");
                compared += 1;
                // The same file broken inside its last CVR: both stop there with an error.
                let text =
                    std::fs::read_to_string(dir.join(src.file_path.as_deref().unwrap_or_default()))
                        .unwrap();
                if let Some(at) = text.rfind("\"Rank\"") {
                    let tmp = super::super::test_support::temp_dir(&format!("split_{case}"));
                    let name = format!("broken_{compared}.json");
                    std::fs::write(tmp.join(&name), format!("{}{{{}", &text[..at], &text[at..]))
                        .unwrap();
                    let mut broken = src.clone();
                    broken.file_path = Some(tmp.join(&name).display().to_string());
                    let (a, da) = read(&tmp, &broken, true);
                    let (b, db) = read(&tmp, &broken, false);
                    assert_eq!(a, b, "{case} broken");
                    assert_eq!(da.len(), db.len(), "{case} broken: {da:?} {db:?}");
                    assert!(da.iter().any(|d| d == "CvrSyntax"), "{case}: {da:?}");
                }
            }
        }
        assert!(compared >= 5, "only {compared} JSON files compared");
    }
}
