//! NIST SP 1500-100 v2 Election Results Reporting (ERR) JSON: a precinct-level report of every
//! station's forms, its counted result, the totals and the seats.
//!
//! The mapping (docs/cli.md#export has the reader's version):
//!
//! - Geography: the nation (`nation`), each governorate (`gov:NAME`, `other`/`governorate`),
//!   each district, that is each contest with a ballot of its own whose electorate is `own`
//!   (`district:ID`, `other`/`district`), each polling centre within a district
//!   (`centre:DISTRICT:CENTRE`, `polling-place`) and each station (`station:ID`,
//!   `other`/`polling-station`, with `VotersRegistered` and a `national-level`
//!   `ExternalIdentifier`). `ComposingGpUnitIds` make the tree nation → governorate → district
//!   → centre → station → form.
//! - Forms: every published form is a `ReportingDevice` (`form:STATION:PHASE:VERSION`, with
//!   `:CONTEST` when it is not the station's district ballot) with a `DeviceClass`
//!   (`opscan-precinct` for electronic forms; `manual-count` for manual, recount and correction
//!   forms) and `ExternalIdentifier`s of type `other` saying its phase (`psephos-phase`), version
//!   (`psephos-version`) and ballot (`psephos-ballot`). ERR's `VoteCounts` has no identifier of
//!   its own, so the device is how a count names the form it comes from.
//! - Counts: per form, `VoteCounts` of type `election-day` at the form's device, with its
//!   `DeviceClass`; per station, `total` at the station: the form chosen by the phase policy;
//!   per contest, `total` at the contest's area. Ballots: `BallotCounts` (`BallotsCast` = ballots
//!   found, `BallotsRejected` = invalid) on the same units; blank ballots are the
//!   `Undervotes` of the ballot's contest (`OtherCounts`).
//! - Contests: SNTV and ranked contests are `CandidateContest`s (`NumberElected` = seats,
//!   `VotesAllowed` = 1); list-PR contests are `PartyContest`s, with a `PartySelection` per list
//!   (the votes for the list only, a list row of candidates.csv) and a `CandidateSelection` per
//!   candidate (their personal votes). Seats are `VoteCounts` of type `seats` at the contest's
//!   area, for every selection.
//!
//! Ids are functions of the package's ids (components escaped: `%` → `%25`, `:` → `%3A`), so
//! two reports of the same election name the same things alike. Objects are written with their
//! keys sorted, arrays in package order; the output is a pure function of the inputs.

use std::io::{self, Write};

use psephos_model::{
    CandidateIdx, ContestIdx, Election, Electorate, FormSet, Method, PartyIdx, Phase, StationIdx,
};
use rayon::prelude::*;

/// `ElectionReport.Status` (ERR's `ResultsStatus`), less `pre-election`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportStatus {
    UnofficialPartial,
    UnofficialComplete,
    Recount,
    Correction,
    Certified,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 5] = [
        ReportStatus::UnofficialPartial,
        ReportStatus::UnofficialComplete,
        ReportStatus::Recount,
        ReportStatus::Correction,
        ReportStatus::Certified,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::UnofficialPartial => "unofficial-partial",
            ReportStatus::UnofficialComplete => "unofficial-complete",
            ReportStatus::Recount => "recount",
            ReportStatus::Correction => "correction",
            ReportStatus::Certified => "certified",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The seats a party's list won in a list-PR contest (leveling seats included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListSeats {
    pub contest: ContestIdx,
    pub party: PartyIdx,
    pub seats: u32,
}

/// What was counted: plain data, so that this writer needs nothing of `psephos_count`.
#[derive(Clone, Copy, Debug)]
pub struct ErrResults<'a> {
    pub forms: &'a FormSet,
    /// The forms to publish, as indices into `forms.forms`, in any order: forms that passed
    /// validation, at most one per form key.
    pub published: &'a [u32],
    /// Per station ballot (stations in order, each station's ballots in the order of
    /// [`Election::station_ballots`]): the form that counts, if any. Each must be published.
    pub counted: &'a [Option<u32>],
    /// Seats won, per candidate (indexed like `Election::candidates`; missing entries are 0).
    pub candidate_seats: &'a [u32],
    /// Seats won by party lists in list-PR contests.
    pub list_seats: &'a [ListSeats],
}

/// The report's own fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrOptions {
    pub status: ReportStatus,
    /// `GeneratedDate`: a date-time with zone, as [`date_time_with_zone`] returns it.
    pub generated_date: String,
    /// `SequenceStart`, `SequenceEnd`: the range of the log the report was built from.
    pub sequence_start: u64,
    pub sequence_end: u64,
    pub issuer: String,
    pub issuer_abbreviation: String,
    pub vendor_application_id: String,
    /// The language of the package's names (a BCP 47 tag; `und` when unknown).
    pub language: String,
    /// `IsTest`, with `TestType` when set.
    pub test: Option<String>,
    /// The phase policy that chose the counted forms, as `PhasePolicy::describe` writes it.
    pub policy: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ErrError {
    /// The inputs do not fit together (a form index out of range, a counted form that is not
    /// published, ...).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// A `YYYY-MM-DD` date with a real month and day.
pub fn iso_date(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(r)?;
        s.bytes().all(|c| c.is_ascii_digit()).then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some(text)
}

/// ERR's `DateTimeWithZone`: `YYYY-MM-DDThh:mm:ss` followed by `Z` or `±hh:mm` (offsets up to
/// 14:00), or a bare date, taken as midnight UTC. Returns the text to write, or `None`.
pub fn date_time_with_zone(text: &str) -> Option<String> {
    let text = text.trim();
    if iso_date(text).is_some() {
        return Some(format!("{text}T00:00:00Z"));
    }
    let (date, rest) = text.split_at_checked(10)?;
    iso_date(date)?;
    let rest = rest.strip_prefix('T')?;
    let (time, zone) = rest.split_at_checked(8)?;
    let two = |s: &str, max: u32| -> Option<u32> {
        (s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())?
            .filter(|&v| v <= max)
    };
    let t = time.as_bytes();
    if t[2] != b':' || t[5] != b':' {
        return None;
    }
    let (h, mi, s) = (two(&time[0..2], 24)?, two(&time[3..5], 59)?, two(&time[6..8], 59)?);
    if h == 24 && (mi, s) != (0, 0) {
        return None;
    }
    if zone != "Z" {
        let (sign, offset) = zone.split_at_checked(1)?;
        if !matches!(sign, "+" | "-") || offset.len() != 5 || offset.as_bytes()[2] != b':' {
            return None;
        }
        let (oh, om) = (two(&offset[0..2], 14)?, two(&offset[3..5], 59)?);
        if oh == 14 && om != 0 {
            return None;
        }
    }
    Some(text.to_owned())
}

/// Writes the report. Large elections are rendered in parallel, in batches, and streamed to
/// `out` by a thread of its own, so that writing overlaps rendering.
pub fn write_err<W: Write + Send>(
    out: W,
    election: &Election,
    results: &ErrResults<'_>,
    options: &ErrOptions,
) -> Result<(), ErrError> {
    if options.language.is_empty() {
        return Err(ErrError::Input("the language of the names is empty".into()));
    }
    if date_time_with_zone(&options.generated_date).as_deref()
        != Some(options.generated_date.as_str())
    {
        return Err(ErrError::Input(format!(
            "GeneratedDate {:?} is not a date-time with zone such as 2025-11-11T21:30:00+03:00",
            options.generated_date
        )));
    }
    let plan = Plan::new(election, results)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(16);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            let mut out = out;
            for block in rx {
                out.write_all(&block)?;
            }
            out.flush()
        });
        let mut pipe = Pipe { tx, buf: Vec::with_capacity(BLOCK) };
        let rendered = plan.write(&mut pipe, options).and_then(|()| Ok(pipe.flush()?));
        drop(pipe);
        // A failed write stops the writer, and then the renderer: report the writer's error.
        writer.join().unwrap_or_else(|_| Err(io::Error::other("the output thread stopped")))?;
        rendered
    })
}

/// Bytes on their way to the writing thread, in blocks.
struct Pipe {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

const BLOCK: usize = 1 << 22;

impl Pipe {
    fn send(&mut self, block: Vec<u8>) -> io::Result<()> {
        self.tx.send(block).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "output closed"))
    }

    /// Writes an owned buffer, without copying it when it is large.
    fn put(&mut self, bytes: Vec<u8>) -> io::Result<()> {
        if bytes.len() < BLOCK / 8 {
            return self.write_all(&bytes);
        }
        if !self.buf.is_empty() {
            let pending = std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK));
            self.send(pending)?;
        }
        self.send(bytes)
    }
}

impl Write for Pipe {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BLOCK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(BLOCK));
            self.send(full)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let pending = std::mem::take(&mut self.buf);
            self.send(pending)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// JSON pieces.

/// Appends `s` as a JSON string.
fn string(buf: &mut Vec<u8>, s: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

fn raw(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(s.as_bytes());
}

fn uint(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `"key":` after a comma unless it is the object's first key.
fn key(buf: &mut Vec<u8>, first: &mut bool, k: &str) {
    if !std::mem::take(first) {
        buf.push(b',');
    }
    buf.push(b'"');
    raw(buf, k);
    raw(buf, "\":");
}

/// An id component: `%` and `:` escaped, so that joined ids cannot collide.
fn component(out: &mut String, part: &str) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
}

/// `prefix:part1:part2...`, as a quoted JSON string ready to be written.
fn id(prefix: &str, parts: &[&str]) -> String {
    let mut s = String::from(prefix);
    for p in parts {
        s.push(':');
        component(&mut s, p);
    }
    let mut buf = Vec::with_capacity(s.len() + 2);
    string(&mut buf, &s);
    String::from_utf8(buf).unwrap_or_default()
}

/// `InternationalizedText` with one `LanguageString`.
fn text(buf: &mut Vec<u8>, content: &str, language: &str) {
    raw(
        buf,
        r#"{"@type":"ElectionResults.InternationalizedText","Text":[{"@type":"ElectionResults.LanguageString","Content":"#,
    );
    string(buf, content);
    raw(buf, r#","Language":"#);
    string(buf, language);
    raw(buf, "}]}");
}

fn external_id(buf: &mut Vec<u8>, kind: &str, other_type: Option<&str>, value: &str) {
    raw(buf, r#"{"@type":"ElectionResults.ExternalIdentifier","#);
    if let Some(o) = other_type {
        raw(buf, r#""OtherType":"#);
        string(buf, o);
        buf.push(b',');
    }
    raw(buf, r#""Type":"#);
    string(buf, kind);
    raw(buf, r#","Value":"#);
    string(buf, value);
    buf.push(b'}');
}

fn count_status(buf: &mut Vec<u8>, reported: u64, total: u64) {
    let status = if total > 0 && reported == total {
        "completed"
    } else if reported > 0 {
        "in-process"
    } else {
        "not-processed"
    };
    raw(buf, r#"[{"@type":"ElectionResults.CountStatus","Status":""#);
    raw(buf, status);
    raw(buf, r#"","Type":"total"}]"#);
}

fn device_class(phase: Phase) -> &'static str {
    match phase {
        Phase::Electronic => r#"{"@type":"ElectionResults.DeviceClass","Type":"opscan-precinct"}"#,
        Phase::Manual | Phase::Recount | Phase::Correction => {
            r#"{"@type":"ElectionResults.DeviceClass","Type":"manual-count"}"#
        }
    }
}

/// A `VoteCounts` object.
fn vote_counts(buf: &mut Vec<u8>, count: u64, class: Option<&str>, unit: &str, kind: &str) {
    raw(buf, r#"{"@type":"ElectionResults.VoteCounts","Count":"#);
    uint(buf, count);
    if let Some(c) = class {
        raw(buf, r#","DeviceClass":"#);
        raw(buf, c);
    }
    raw(buf, r#","GpUnitId":"#);
    raw(buf, unit);
    raw(buf, r#","Type":""#);
    raw(buf, kind);
    raw(buf, "\"}");
}

fn ballot_counts(buf: &mut Vec<u8>, t: &Ballots, class: Option<&str>, unit: &str, kind: &str) {
    raw(buf, r#"{"@type":"ElectionResults.BallotCounts","BallotsCast":"#);
    uint(buf, t.found);
    raw(buf, r#","BallotsRejected":"#);
    uint(buf, t.invalid);
    if let Some(c) = class {
        raw(buf, r#","DeviceClass":"#);
        raw(buf, c);
    }
    raw(buf, r#","GpUnitId":"#);
    raw(buf, unit);
    raw(buf, r#","Type":""#);
    raw(buf, kind);
    raw(buf, "\"}");
}

fn other_counts(buf: &mut Vec<u8>, blank: u64, class: Option<&str>, unit: &str) {
    raw(buf, r#"{"@type":"ElectionResults.OtherCounts","#);
    if let Some(c) = class {
        raw(buf, r#""DeviceClass":"#);
        raw(buf, c);
        buf.push(b',');
    }
    raw(buf, r#""GpUnitId":"#);
    raw(buf, unit);
    raw(buf, r#","Undervotes":"#);
    uint(buf, blank);
    buf.push(b'}');
}

// ---------------------------------------------------------------------------------------------
// The plan: the inputs checked and arranged for writing.

/// Ballots found and invalid, of a form or a sum of forms.
#[derive(Clone, Copy, Debug, Default)]
struct Ballots {
    found: u64,
    invalid: u64,
}

impl Ballots {
    fn add(&mut self, o: Ballots) {
        self.found += o.found;
        self.invalid += o.invalid;
    }
}

/// Registered voters, stations and what they reported, for a reporting unit.
#[derive(Clone, Copy, Debug, Default)]
struct Unit {
    registered: u64,
    stations: u64,
    reported: u64,
    ballots: Ballots,
}

/// One count of a selection, in writing order: a form's count (`at` = its position among the
/// published forms) or, with [`STATION`] set, the counted form's count at station `at`.
#[derive(Clone, Copy, Debug)]
struct Entry {
    at: u32,
    votes: u32,
}

const STATION: u32 = 1 << 31;

/// What a district holds directly: a polling centre or a station without one.
#[derive(Clone, Copy, Debug)]
enum Child {
    Centre(u32),
    Station(u32),
}

struct Centre {
    district: ContestIdx,
    name: u32,
    stations: Vec<u32>,
}

/// One entry of a contest's list of selections.
enum Selection {
    /// A candidate, or a list row (`list_vote`) in a list-PR contest.
    Row(CandidateIdx),
    /// A party's list with no list row: seats only.
    List(PartyIdx),
}

struct Plan<'a> {
    e: &'a Election,
    forms: &'a FormSet,
    results: &'a ErrResults<'a>,
    /// Published forms by station, ballot, phase and version.
    published: Vec<u32>,
    /// Per station, its range of `published` (stations + 1 entries).
    station_forms: Vec<u32>,
    /// Per station, its first ballot slot (stations + 1 entries).
    slots: Vec<u32>,
    /// Quoted ids.
    form_ref: Vec<String>,
    station_ref: Vec<String>,
    gov_ref: Vec<String>,
    district_ref: Vec<Option<String>>,
    centre_ref: Vec<String>,
    /// Per contest, the quoted id of its area (`ElectionDistrictId`).
    area_ref: Vec<String>,
    centres: Vec<Centre>,
    district_children: Vec<Vec<Child>>,
    /// Per candidate, its counts in writing order.
    by_candidate: Vec<Vec<Entry>>,
    /// Per contest with a ballot, its forms (positions in `published`) and, with [`STATION`],
    /// its stations' counted forms.
    by_contest: Vec<Vec<u32>>,
    nation: Unit,
    governorates: Vec<Unit>,
    districts: Vec<Unit>,
    /// Per contest: (stations reported, stations that can vote in it).
    progress: Vec<(u64, u64)>,
    /// Per contest: blank ballots of its counted forms.
    contest_blank: Vec<u64>,
    /// Per candidate: votes of its stations' counted forms.
    candidate_total: Vec<u64>,
    /// Per contest: the selections, in writing order.
    selections: Vec<Vec<Selection>>,
}

impl<'a> Plan<'a> {
    fn new(e: &'a Election, results: &'a ErrResults<'a>) -> Result<Plan<'a>, ErrError> {
        let forms = results.forms;
        let n_stations = e.stations.len();
        if forms.forms.len() >= STATION as usize || n_stations >= STATION as usize {
            return Err(ErrError::Input("too many forms or stations for one report".into()));
        }

        // Ballot slots.
        let mut slots = Vec::with_capacity(n_stations + 1);
        let mut at = 0u32;
        for s in 0..n_stations {
            slots.push(at);
            at += e.station_ballot_count(StationIdx::from_index(s)) as u32;
        }
        slots.push(at);
        if results.counted.len() != at as usize {
            return Err(ErrError::Input(format!(
                "{} counted entries for {at} station ballots",
                results.counted.len()
            )));
        }

        // Published forms, sorted.
        let mut keyed = Vec::with_capacity(results.published.len());
        for &f in results.published {
            let form = forms.forms.get(f as usize).ok_or_else(|| {
                ErrError::Input(format!("published form {f} is not in the form set"))
            })?;
            let k = form.key;
            if k.station.index() >= n_stations {
                return Err(ErrError::Input(format!("form {f} names an unknown station")));
            }
            let ballot = e.station_ballot_index(k.station, k.contest).ok_or_else(|| {
                ErrError::Input(format!(
                    "form {f} is for contest {}, which station {} does not count",
                    e.contests.get(k.contest.index()).map_or("?", |c| c.id.as_str()),
                    e.station_label(k.station)
                ))
            })?;
            keyed.push((k.station.0, ballot as u32, k.phase, k.version, f));
        }
        keyed.par_sort_unstable();
        let same = |a: &(u32, u32, Phase, u32, u32), b: &(u32, u32, Phase, u32, u32)| {
            (a.0, a.1, a.2, a.3) == (b.0, b.1, b.2, b.3)
        };
        if let Some(w) = keyed.windows(2).find(|w| same(&w[0], &w[1])) {
            return Err(ErrError::Input(format!(
                "forms {} and {} have the same key; publish one",
                w[0].4, w[1].4
            )));
        }
        let published: Vec<u32> = keyed.iter().map(|k| k.4).collect();
        let mut station_forms = Vec::with_capacity(n_stations + 1);
        let mut k = 0usize;
        for s in 0..n_stations {
            station_forms.push(k as u32);
            while k < keyed.len() && keyed[k].0 as usize == s {
                k += 1;
            }
        }
        station_forms.push(k as u32);
        let mut position = vec![u32::MAX; forms.forms.len()];
        for (i, &f) in published.iter().enumerate() {
            position[f as usize] = i as u32;
        }

        // Counted forms must be published, for their own station and ballot.
        for (s, &first_slot) in slots[..n_stations].iter().enumerate() {
            let station = StationIdx::from_index(s);
            for (k, contest) in e.station_ballots(station).enumerate() {
                if let Some(f) = results.counted[first_slot as usize + k] {
                    let ok = forms.forms.get(f as usize).is_some_and(|form| {
                        form.key.station == station && form.key.contest == contest
                    }) && position[f as usize] != u32::MAX;
                    if !ok {
                        return Err(ErrError::Input(format!(
                            "the counted form {f} of station {} is not a published form of its ballot {}",
                            e.station_label(station),
                            e.contest(contest).id
                        )));
                    }
                }
            }
        }

        // Ids.
        let form_ref: Vec<String> = published
            .par_iter()
            .map(|&f| {
                let key = forms.forms[f as usize].key;
                let station = e.station_label(key.station);
                let version = key.version.to_string();
                if e.station(key.station).district == key.contest {
                    id("form", &[station, key.phase.as_str(), &version])
                } else {
                    let contest = &e.contest(key.contest).id;
                    id("form", &[station, key.phase.as_str(), &version, contest])
                }
            })
            .collect();
        let station_ref: Vec<String> = (0..n_stations)
            .into_par_iter()
            .map(|s| id("station", &[e.station_ids.get(s)]))
            .collect();
        let gov_ref: Vec<String> = e.governorates.iter().map(|g| id("gov", &[g])).collect();
        let district_ref: Vec<Option<String>> = e
            .contests
            .iter()
            .enumerate()
            .map(|(c, contest)| {
                is_district(e, ContestIdx::from_index(c)).then(|| id("district", &[&contest.id]))
            })
            .collect();
        let nation_ref = id("nation", &[]);
        let area_ref: Vec<String> = e
            .contests
            .iter()
            .enumerate()
            .map(|(c, contest)| {
                let electorate = e.system(contest.system).electorate;
                match (electorate, contest.governorate) {
                    (Electorate::Own, _) => district_ref[c].clone().unwrap_or_default(),
                    (Electorate::Governorate | Electorate::GovernorateBallot, Some(g)) => {
                        gov_ref[g.index()].clone()
                    }
                    _ => nation_ref.clone(),
                }
            })
            .collect();

        // Centres within districts, and what each district holds, in order of appearance.
        let mut centres: Vec<Centre> = Vec::new();
        let mut centre_of: hashbrown::HashMap<(u32, u32), u32> = hashbrown::HashMap::new();
        let mut district_children = vec![Vec::new(); e.contests.len()];
        for (s, station) in e.stations.iter().enumerate() {
            let d = station.district;
            if e.centre_of(station).is_empty() {
                district_children[d.index()].push(Child::Station(s as u32));
                continue;
            }
            let next = centres.len() as u32;
            let c = *centre_of.entry((d.0, station.centre)).or_insert(next);
            if c == next {
                centres.push(Centre { district: d, name: station.centre, stations: Vec::new() });
                district_children[d.index()].push(Child::Centre(c));
            }
            centres[c as usize].stations.push(s as u32);
        }
        let centre_ref: Vec<String> = centres
            .iter()
            .map(|c| {
                let name = e.centres.get(c.name as usize).map_or("", String::as_str);
                id("centre", &[&e.contest(c.district).id, name])
            })
            .collect();

        // Counts by candidate and by contest, reporting units and progress.
        let mut by_candidate: Vec<Vec<Entry>> = vec![Vec::new(); e.candidates.len()];
        let mut by_contest: Vec<Vec<u32>> = vec![Vec::new(); e.contests.len()];
        let mut candidate_total = vec![0u64; e.candidates.len()];
        let mut contest_blank = vec![0u64; e.contests.len()];
        let mut nation = Unit::default();
        let mut governorates = vec![Unit::default(); e.governorates.len()];
        let mut districts = vec![Unit::default(); e.contests.len()];
        let mut progress = vec![(0u64, 0u64); e.contests.len()];
        // District-ballot progress by the district's governorate, for contests whose
        // candidates ride on district ballots.
        let mut reach_nation = (0u64, 0u64);
        let mut reach_gov = vec![(0u64, 0u64); e.governorates.len()];
        // A form's votes, appended to its candidates' counts (and to their totals if given).
        let push = |by_candidate: &mut [Vec<Entry>], mut totals: Option<&mut [u64]>, f: u32, at| {
            let form = &forms.forms[f as usize];
            for (&c, votes) in forms.layout(form).iter().zip(forms.votes(form)) {
                if let Some(list) = by_candidate.get_mut(c.index()) {
                    list.push(Entry { at, votes });
                }
                if let Some(total) = totals.as_deref_mut().and_then(|t| t.get_mut(c.index())) {
                    *total += u64::from(votes);
                }
            }
        };
        for (s, station) in e.stations.iter().enumerate() {
            let range = station_forms[s] as usize..station_forms[s + 1] as usize;
            for (pos, &f) in published[range.clone()].iter().enumerate() {
                let pos = (range.start + pos) as u32;
                push(&mut by_candidate, None, f, pos);
                by_contest[forms.forms[f as usize].key.contest.index()].push(pos);
            }
            let station_idx = StationIdx::from_index(s);
            let registered = u64::from(station.registered);
            let mut unit =
                Unit { registered, stations: 1, reported: 0, ballots: Ballots::default() };
            for (k, contest) in e.station_ballots(station_idx).enumerate() {
                let counted = results.counted[slots[s] as usize + k];
                let p = &mut progress[contest.index()];
                p.1 += 1;
                if let Some(f) = counted {
                    p.0 += 1;
                    let at = s as u32 | STATION;
                    push(&mut by_candidate, Some(&mut candidate_total), f, at);
                    by_contest[contest.index()].push(at);
                    contest_blank[contest.index()] += u64::from(forms.forms[f as usize].blank);
                }
                if k == 0 {
                    // The district ballot, which every voter of the station receives.
                    let reach_g = e.contest(contest).governorate;
                    reach_nation.1 += 1;
                    if let Some(g) = reach_g {
                        reach_gov[g.index()].1 += 1;
                    }
                    if let Some(f) = counted {
                        let form = &forms.forms[f as usize];
                        unit.reported = 1;
                        unit.ballots = Ballots {
                            found: u64::from(form.ballots_found),
                            invalid: u64::from(form.invalid),
                        };
                        reach_nation.0 += 1;
                        if let Some(g) = reach_g {
                            reach_gov[g.index()].0 += 1;
                        }
                    }
                }
            }
            for u in std::iter::once(&mut nation)
                .chain(station.governorate.map(|g| &mut governorates[g.index()]))
                .chain(std::iter::once(&mut districts[station.district.index()]))
            {
                u.registered += unit.registered;
                u.stations += 1;
                u.reported += unit.reported;
                u.ballots.add(unit.ballots);
            }
        }
        for (c, contest) in e.contests.iter().enumerate() {
            match e.system(contest.system).electorate {
                Electorate::Nationwide => progress[c] = reach_nation,
                Electorate::Governorate => {
                    progress[c] = contest.governorate.map_or((0, 0), |g| reach_gov[g.index()]);
                }
                _ => {}
            }
        }

        // Selections: candidates and list rows in candidates.csv order; in list PR, a party's
        // list without a list row gets a seats-only selection where its first row stands.
        let selections = e
            .contests
            .iter()
            .enumerate()
            .map(|(c, contest)| {
                let contest_idx = ContestIdx::from_index(c);
                let list_pr = matches!(e.system(contest.system).method, Method::ListPr(_));
                let rows = e.candidates_in(contest_idx);
                let mut out = Vec::with_capacity(rows.len());
                let mut seen: Vec<PartyIdx> = Vec::new();
                for &r in rows {
                    let cand = e.candidate(r);
                    if list_pr
                        && let Some(p) = cand.party
                        && !seen.contains(&p)
                    {
                        seen.push(p);
                        let has_row = rows.iter().any(|&o| {
                            let o = e.candidate(o);
                            o.list_vote && o.party == Some(p)
                        });
                        if !has_row {
                            out.push(Selection::List(p));
                        }
                    }
                    out.push(Selection::Row(r));
                }
                out
            })
            .collect();

        Ok(Plan {
            e,
            forms,
            results,
            published,
            station_forms,
            slots,
            form_ref,
            station_ref,
            gov_ref,
            district_ref,
            centre_ref,
            area_ref,
            centres,
            district_children,
            by_candidate,
            by_contest,
            nation,
            governorates,
            districts,
            progress,
            contest_blank,
            candidate_total,
            selections,
        })
    }

    fn write(&self, w: &mut Pipe, o: &ErrOptions) -> Result<(), ErrError> {
        let e = self.e;
        let mut buf = Vec::with_capacity(1 << 16);
        let mut first = true;
        buf.push(b'{');
        key(&mut buf, &mut first, "@type");
        raw(&mut buf, "\"ElectionResults.ElectionReport\"");
        key(&mut buf, &mut first, "Election");
        buf.push(b'[');
        w.write_all(&buf)?;
        buf.clear();
        self.write_election(w, o)?;
        let mut first = false;
        raw(&mut buf, "]");
        key(&mut buf, &mut first, "ExternalIdentifier");
        buf.push(b'[');
        external_id(&mut buf, "other", Some("psephos-election-id"), &e.meta.id);
        buf.push(b']');
        key(&mut buf, &mut first, "Format");
        raw(&mut buf, "\"precinct-level\"");
        key(&mut buf, &mut first, "GeneratedDate");
        string(&mut buf, &o.generated_date);
        key(&mut buf, &mut first, "GpUnit");
        buf.push(b'[');
        w.write_all(&buf)?;
        buf.clear();
        self.write_gp_units(w, o)?;
        buf.push(b']');
        if o.test.is_some() {
            key(&mut buf, &mut first, "IsTest");
            raw(&mut buf, "true");
        }
        key(&mut buf, &mut first, "Issuer");
        string(&mut buf, &o.issuer);
        key(&mut buf, &mut first, "IssuerAbbreviation");
        string(&mut buf, &o.issuer_abbreviation);
        key(&mut buf, &mut first, "Notes");
        string(&mut buf, &self.notes(o));
        key(&mut buf, &mut first, "Party");
        buf.push(b'[');
        self.write_parties(&mut buf, o);
        buf.push(b']');
        if !e.candidates.iter().all(|c| c.list_vote) {
            key(&mut buf, &mut first, "Person");
            buf.push(b'[');
            self.write_persons(&mut buf, o);
            buf.push(b']');
        }
        key(&mut buf, &mut first, "SequenceEnd");
        uint(&mut buf, o.sequence_end);
        key(&mut buf, &mut first, "SequenceStart");
        uint(&mut buf, o.sequence_start);
        key(&mut buf, &mut first, "Status");
        string(&mut buf, o.status.as_str());
        if let Some(test) = o.test.as_deref().filter(|t| !t.is_empty()) {
            key(&mut buf, &mut first, "TestType");
            string(&mut buf, test);
        }
        key(&mut buf, &mut first, "VendorApplicationId");
        string(&mut buf, &o.vendor_application_id);
        raw(&mut buf, "}\n");
        w.write_all(&buf)?;
        Ok(())
    }

    fn notes(&self, o: &ErrOptions) -> String {
        format!(
            "Every result form is a ReportingDevice (its phase, version and ballot in its ExternalIdentifier), \
its counts VoteCounts of Type election-day with its DeviceClass: opscan-precinct for electronic forms, \
manual-count for manual, recount and correction forms. A station's Type total is the form chosen under the \
{} policy; the totals of contests, districts, governorates and the nation add those up. BallotsCast are the \
ballots found, BallotsRejected the invalid ballots, OtherCounts Undervotes the blank ballots of a contest's own \
ballot. In a PartyContest a PartySelection counts the votes for the list only; a list's votes are those plus its \
candidates'. Seats are VoteCounts of Type seats. SubUnitsReported and TotalSubUnits count polling stations.",
            o.policy
        )
    }

    // -- GpUnit ----------------------------------------------------------------------------

    fn write_gp_units(&self, w: &mut Pipe, o: &ErrOptions) -> Result<(), ErrError> {
        let e = self.e;
        let lang = o.language.as_str();
        let mut buf = Vec::with_capacity(1 << 16);
        // The nation.
        let mut children: Vec<&str> = self.gov_ref.iter().map(String::as_str).collect();
        for (c, contest) in e.contests.iter().enumerate() {
            if let Some(r) = &self.district_ref[c]
                && contest.governorate.is_none()
            {
                children.push(r);
            }
        }
        let name = (!e.meta.country.is_empty()).then_some(e.meta.country.as_str());
        self.unit(
            &mut buf,
            &id("nation", &[]),
            &children,
            &self.nation,
            name,
            ("country", None),
            lang,
            None,
        );
        // Governorates.
        for (g, gname) in e.governorates.iter().enumerate() {
            let children: Vec<&str> = e
                .contests
                .iter()
                .enumerate()
                .filter(|(_, c)| c.governorate.map(|x| x.index()) == Some(g))
                .filter_map(|(c, _)| self.district_ref[c].as_deref())
                .collect();
            buf.push(b',');
            self.unit(
                &mut buf,
                &self.gov_ref[g],
                &children,
                &self.governorates[g],
                Some(gname),
                ("other", Some("governorate")),
                lang,
                None,
            );
        }
        // Districts.
        for (c, contest) in e.contests.iter().enumerate() {
            let Some(r) = &self.district_ref[c] else { continue };
            let children: Vec<&str> = self.district_children[c]
                .iter()
                .map(|ch| match *ch {
                    Child::Centre(k) => self.centre_ref[k as usize].as_str(),
                    Child::Station(s) => self.station_ref[s as usize].as_str(),
                })
                .collect();
            let name = if contest.name.is_empty() { &contest.id } else { &contest.name };
            buf.push(b',');
            self.unit(
                &mut buf,
                r,
                &children,
                &self.districts[c],
                Some(name),
                ("other", Some("district")),
                lang,
                Some(("other", Some("psephos-contest"), contest.id.as_str())),
            );
        }
        w.write_all(&buf)?;
        buf.clear();
        // Centres.
        for (k, centre) in self.centres.iter().enumerate() {
            buf.push(b',');
            raw(&mut buf, r#"{"@id":"#);
            raw(&mut buf, &self.centre_ref[k]);
            raw(&mut buf, r#","@type":"ElectionResults.ReportingUnit","ComposingGpUnitIds":["#);
            for (i, &s) in centre.stations.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                raw(&mut buf, &self.station_ref[s as usize]);
            }
            raw(&mut buf, r#"],"ExternalIdentifier":["#);
            let name = e.centres.get(centre.name as usize).map_or("", String::as_str);
            external_id(&mut buf, "national-level", None, name);
            raw(&mut buf, r#"],"Type":"polling-place"}"#);
            if buf.len() > 1 << 20 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        // Stations, each followed by its forms.
        let stations: Vec<u32> = (0..e.stations.len() as u32).collect();
        write_ordered(w, &stations, 4096, false, |&s, buf| self.station_unit(buf, s as usize))?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn unit(
        &self,
        buf: &mut Vec<u8>,
        unit_id: &str,
        children: &[&str],
        u: &Unit,
        name: Option<&str>,
        (kind, other): (&str, Option<&str>),
        lang: &str,
        external: Option<(&str, Option<&str>, &str)>,
    ) {
        let mut first = true;
        buf.push(b'{');
        key(buf, &mut first, "@id");
        raw(buf, unit_id);
        key(buf, &mut first, "@type");
        raw(buf, "\"ElectionResults.ReportingUnit\"");
        if !children.is_empty() {
            key(buf, &mut first, "ComposingGpUnitIds");
            buf.push(b'[');
            for (i, c) in children.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                raw(buf, c);
            }
            buf.push(b']');
        }
        if u.stations > 0 {
            key(buf, &mut first, "CountStatus");
            count_status(buf, u.reported, u.stations);
        }
        if let Some((t, ot, v)) = external {
            key(buf, &mut first, "ExternalIdentifier");
            buf.push(b'[');
            external_id(buf, t, ot, v);
            buf.push(b']');
        }
        if let Some(n) = name {
            key(buf, &mut first, "Name");
            text(buf, n, lang);
        }
        if let Some(ot) = other {
            key(buf, &mut first, "OtherType");
            string(buf, ot);
        }
        key(buf, &mut first, "SubUnitsReported");
        uint(buf, u.reported);
        key(buf, &mut first, "TotalSubUnits");
        uint(buf, u.stations);
        key(buf, &mut first, "Type");
        string(buf, kind);
        key(buf, &mut first, "VotersParticipated");
        uint(buf, u.ballots.found);
        key(buf, &mut first, "VotersRegistered");
        uint(buf, u.registered);
        buf.push(b'}');
    }

    fn station_unit(&self, buf: &mut Vec<u8>, s: usize) {
        let e = self.e;
        let station = &e.stations[s];
        let range = self.station_forms[s] as usize..self.station_forms[s + 1] as usize;
        buf.push(b',');
        raw(buf, r#"{"@id":"#);
        raw(buf, &self.station_ref[s]);
        raw(buf, r#","@type":"ElectionResults.ReportingUnit","#);
        if !range.is_empty() {
            raw(buf, r#""ComposingGpUnitIds":["#);
            for (i, pos) in range.clone().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                raw(buf, &self.form_ref[pos]);
            }
            raw(buf, "],");
        }
        let slots = self.slots[s] as usize..self.slots[s + 1] as usize;
        let counted = self.results.counted[slots.clone()].iter().filter(|c| c.is_some()).count();
        let status = if counted == slots.len() {
            "completed"
        } else if !range.is_empty() {
            "in-process"
        } else {
            "not-processed"
        };
        raw(buf, r#""CountStatus":[{"@type":"ElectionResults.CountStatus","Status":""#);
        raw(buf, status);
        raw(buf, r#"","Type":"total"}],"ExternalIdentifier":["#);
        external_id(buf, "national-level", None, e.station_ids.get(s));
        raw(buf, r#"],"OtherType":"polling-station","Type":"other","#);
        if let Some(f) = self.results.counted[slots.start] {
            raw(buf, r#""VotersParticipated":"#);
            uint(buf, u64::from(self.forms.forms[f as usize].ballots_found));
            buf.push(b',');
        }
        raw(buf, r#""VotersRegistered":"#);
        uint(buf, u64::from(station.registered));
        buf.push(b'}');
        for pos in range {
            let key = self.forms.forms[self.published[pos] as usize].key;
            buf.push(b',');
            raw(buf, r#"{"@id":"#);
            raw(buf, &self.form_ref[pos]);
            raw(buf, r#","@type":"ElectionResults.ReportingDevice","DeviceClass":"#);
            raw(buf, device_class(key.phase));
            raw(buf, r#","ExternalIdentifier":["#);
            external_id(buf, "other", Some("psephos-phase"), key.phase.as_str());
            buf.push(b',');
            external_id(buf, "other", Some("psephos-version"), &key.version.to_string());
            buf.push(b',');
            external_id(buf, "other", Some("psephos-ballot"), &e.contest(key.contest).id);
            raw(buf, "]}");
        }
    }

    // -- Party, Person ---------------------------------------------------------------------

    fn write_parties(&self, buf: &mut Vec<u8>, o: &ErrOptions) {
        let e = self.e;
        let mut first = true;
        for p in &e.parties {
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            raw(buf, r#"{"@id":"#);
            raw(buf, &id("party", &[&p.id]));
            raw(buf, r#","@type":"ElectionResults.Party","Name":"#);
            text(buf, if p.name.is_empty() { &p.id } else { &p.name }, &o.language);
            buf.push(b'}');
        }
        for (k, coalition) in e.coalitions.iter().enumerate() {
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            raw(buf, r#"{"@id":"#);
            raw(buf, &id("coalition", &[&coalition.id]));
            raw(buf, r#","@type":"ElectionResults.Coalition","Name":"#);
            let name = if coalition.name.is_empty() { &coalition.id } else { &coalition.name };
            text(buf, name, &o.language);
            raw(buf, r#","PartyIds":["#);
            let mut first_party = true;
            for p in e.parties.iter().filter(|p| p.coalition.map(|c| c.index()) == Some(k)) {
                if !std::mem::take(&mut first_party) {
                    buf.push(b',');
                }
                raw(buf, &id("party", &[&p.id]));
            }
            raw(buf, "]}");
        }
    }

    fn person_ref(&self, c: CandidateIdx) -> String {
        let cand = self.e.candidate(c);
        match &cand.person {
            Some(p) if !p.is_empty() => id("person-of", &[p]),
            _ => id("person", &[&cand.id]),
        }
    }

    fn write_persons(&self, buf: &mut Vec<u8>, o: &ErrOptions) {
        let e = self.e;
        let mut written: hashbrown::HashSet<String> = hashbrown::HashSet::new();
        let mut first = true;
        for (i, cand) in e.candidates.iter().enumerate() {
            if cand.list_vote {
                continue;
            }
            let person = self.person_ref(CandidateIdx::from_index(i));
            if !written.insert(person.clone()) {
                continue;
            }
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            raw(buf, r#"{"@id":"#);
            raw(buf, &person);
            raw(buf, r#","@type":"ElectionResults.Person","FullName":"#);
            text(buf, if cand.name.is_empty() { &cand.id } else { &cand.name }, &o.language);
            raw(buf, r#","Gender":"#);
            string(buf, cand.gender.as_str());
            if let Some(p) = cand.party {
                raw(buf, r#","PartyId":"#);
                raw(buf, &id("party", &[&e.parties[p.index()].id]));
            }
            buf.push(b'}');
        }
    }

    // -- Election --------------------------------------------------------------------------

    fn write_election(&self, w: &mut Pipe, o: &ErrOptions) -> Result<(), ErrError> {
        let e = self.e;
        let lang = o.language.as_str();
        let mut buf = Vec::with_capacity(1 << 16);
        raw(&mut buf, r#"{"@type":"ElectionResults.Election","BallotCounts":["#);
        w.write_all(&buf)?;
        buf.clear();
        self.write_ballot_counts(w)?;
        raw(&mut buf, r#"],"Candidate":["#);
        let mut first = true;
        for (i, cand) in e.candidates.iter().enumerate() {
            if cand.list_vote {
                continue;
            }
            let c = CandidateIdx::from_index(i);
            if !std::mem::take(&mut first) {
                buf.push(b',');
            }
            raw(&mut buf, r#"{"@id":"#);
            raw(&mut buf, &id("candidate", &[&cand.id]));
            raw(&mut buf, r#","@type":"ElectionResults.Candidate","BallotName":"#);
            text(&mut buf, if cand.name.is_empty() { &cand.id } else { &cand.name }, lang);
            if let Some(p) = cand.party {
                raw(&mut buf, r#","PartyId":"#);
                raw(&mut buf, &id("party", &[&e.parties[p.index()].id]));
            }
            raw(&mut buf, r#","PersonId":"#);
            raw(&mut buf, &self.person_ref(c));
            if self.results.candidate_seats.get(i).copied().unwrap_or(0) > 0 {
                raw(&mut buf, r#","PostElectionStatus":"#);
                raw(
                    &mut buf,
                    if o.status == ReportStatus::Certified {
                        "\"winner\""
                    } else {
                        "\"projected-winner\""
                    },
                );
            }
            buf.push(b'}');
        }
        raw(&mut buf, r#"],"Contest":["#);
        w.write_all(&buf)?;
        buf.clear();
        self.write_contests(w)?;
        raw(&mut buf, r#"],"CountStatus":"#);
        count_status(&mut buf, self.nation.reported, self.nation.stations);
        raw(&mut buf, r#","ElectionScopeId":"#);
        raw(&mut buf, &id("nation", &[]));
        let date = iso_date(&e.meta.date).unwrap_or(&o.generated_date[..10]);
        raw(&mut buf, r#","EndDate":"#);
        string(&mut buf, date);
        raw(&mut buf, r#","Name":"#);
        text(&mut buf, if e.meta.name.is_empty() { &e.meta.id } else { &e.meta.name }, lang);
        raw(&mut buf, r#","StartDate":"#);
        string(&mut buf, date);
        raw(&mut buf, r#","Type":"general"}"#);
        w.write_all(&buf)?;
        Ok(())
    }

    fn write_ballot_counts(&self, w: &mut Pipe) -> Result<(), ErrError> {
        let e = self.e;
        let stations: Vec<u32> = (0..e.stations.len() as u32).collect();
        let mut any = write_ordered(w, &stations, 4096, true, |&s, buf| {
            let s = s as usize;
            let range = self.station_forms[s] as usize..self.station_forms[s + 1] as usize;
            for pos in range {
                let form = &self.forms.forms[self.published[pos] as usize];
                buf.push(b',');
                let b = Ballots {
                    found: u64::from(form.ballots_found),
                    invalid: u64::from(form.invalid),
                };
                ballot_counts(
                    buf,
                    &b,
                    Some(device_class(form.key.phase)),
                    &self.form_ref[pos],
                    "election-day",
                );
            }
            if let Some(f) = self.results.counted[self.slots[s] as usize] {
                let form = &self.forms.forms[f as usize];
                buf.push(b',');
                let b = Ballots {
                    found: u64::from(form.ballots_found),
                    invalid: u64::from(form.invalid),
                };
                ballot_counts(buf, &b, None, &self.station_ref[s], "total");
            }
        })?;
        let mut buf = Vec::new();
        let mut sep = |buf: &mut Vec<u8>| {
            if std::mem::replace(&mut any, true) {
                buf.push(b',');
            }
        };
        for (c, r) in self.district_ref.iter().enumerate() {
            if let Some(r) = r
                && self.districts[c].stations > 0
            {
                sep(&mut buf);
                ballot_counts(&mut buf, &self.districts[c].ballots, None, r, "total");
            }
        }
        for (g, r) in self.gov_ref.iter().enumerate() {
            if self.governorates[g].stations > 0 {
                sep(&mut buf);
                ballot_counts(&mut buf, &self.governorates[g].ballots, None, r, "total");
            }
        }
        if self.nation.stations > 0 {
            sep(&mut buf);
            ballot_counts(&mut buf, &self.nation.ballots, None, &id("nation", &[]), "total");
        }
        w.write_all(&buf)?;
        Ok(())
    }

    // -- Contests --------------------------------------------------------------------------

    fn write_contests(&self, w: &mut Pipe) -> Result<(), ErrError> {
        let e = self.e;
        let mut pieces: Vec<Piece> = Vec::new();
        let mut buf = Vec::new();
        for (c, contest) in e.contests.iter().enumerate() {
            let contest_idx = ContestIdx::from_index(c);
            let system = e.system(contest.system);
            let list_pr = matches!(system.method, Method::ListPr(_));
            let (reported, total) = self.progress[c];
            if c > 0 {
                buf.push(b',');
            }
            raw(&mut buf, r#"{"@id":"#);
            raw(&mut buf, &id("contest", &[&contest.id]));
            raw(
                &mut buf,
                if list_pr {
                    r#","@type":"ElectionResults.PartyContest","ContestSelection":["#
                } else {
                    r#","@type":"ElectionResults.CandidateContest","ContestSelection":["#
                },
            );
            for (k, sel) in self.selections[c].iter().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                let (row, seats) = match *sel {
                    Selection::Row(r) => {
                        let cand = e.candidate(r);
                        raw(&mut buf, r#"{"@id":"#);
                        raw(&mut buf, &id("selection", &[&cand.id]));
                        if cand.list_vote {
                            raw(
                                &mut buf,
                                r#","@type":"ElectionResults.PartySelection","PartyIds":["#,
                            );
                            // A list row names its party (checked when the package is read).
                            if let Some(p) = cand.party {
                                raw(&mut buf, &id("party", &[&e.parties[p.index()].id]));
                            }
                            buf.push(b']');
                        } else {
                            raw(
                                &mut buf,
                                r#","@type":"ElectionResults.CandidateSelection","CandidateIds":["#,
                            );
                            raw(&mut buf, &id("candidate", &[&cand.id]));
                            buf.push(b']');
                        }
                        let seats = if cand.list_vote {
                            self.list_seats(contest_idx, cand.party, Some(r))
                        } else {
                            u64::from(
                                self.results.candidate_seats.get(r.index()).copied().unwrap_or(0),
                            )
                        };
                        (Some(r), seats)
                    }
                    Selection::List(p) => {
                        raw(&mut buf, r#"{"@id":"#);
                        raw(&mut buf, &id("list", &[&contest.id, &e.parties[p.index()].id]));
                        raw(&mut buf, r#","@type":"ElectionResults.PartySelection","PartyIds":["#);
                        raw(&mut buf, &id("party", &[&e.parties[p.index()].id]));
                        buf.push(b']');
                        (None, self.list_seats(contest_idx, Some(p), None))
                    }
                };
                raw(&mut buf, r#","SequenceOrder":"#);
                uint(&mut buf, k as u64 + 1);
                raw(&mut buf, r#","VoteCounts":["#);
                let entries: &[Entry] = row.map_or(&[], |r| &self.by_candidate[r.index()]);
                if !entries.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut buf)));
                    let mut from = 0;
                    for chunk in entries.chunks(CHUNK) {
                        pieces.push(Piece::Votes { entries: chunk, first: from == 0 });
                        from += chunk.len();
                    }
                }
                let mut first = entries.is_empty();
                if let Some(r) = row.filter(|_| total > 0) {
                    if !std::mem::take(&mut first) {
                        buf.push(b',');
                    }
                    vote_counts(
                        &mut buf,
                        self.candidate_total[r.index()],
                        None,
                        &self.area_ref[c],
                        "total",
                    );
                }
                if !std::mem::take(&mut first) {
                    buf.push(b',');
                }
                vote_counts(&mut buf, seats, None, &self.area_ref[c], "seats");
                raw(&mut buf, "]}");
            }
            buf.push(b']');
            if total > 0 {
                raw(&mut buf, r#","CountStatus":"#);
                count_status(&mut buf, reported, total);
            }
            raw(&mut buf, r#","ElectionDistrictId":"#);
            raw(&mut buf, &self.area_ref[c]);
            raw(&mut buf, r#","Name":"#);
            string(&mut buf, if contest.name.is_empty() { &contest.id } else { &contest.name });
            if !list_pr {
                raw(&mut buf, r#","NumberElected":"#);
                uint(&mut buf, u64::from(contest.seats));
            }
            let others = &self.by_contest[c];
            if !others.is_empty() {
                raw(&mut buf, r#","OtherCounts":["#);
                for (i, &at) in others.iter().enumerate() {
                    if i > 0 {
                        buf.push(b',');
                    }
                    if at & STATION != 0 {
                        let s = (at & !STATION) as usize;
                        let k = self.slots[s] as usize
                            + e.station_ballot_index(StationIdx::from_index(s), contest_idx)
                                .unwrap_or(0);
                        let blank = self.results.counted[k]
                            .map_or(0, |f| u64::from(self.forms.forms[f as usize].blank));
                        other_counts(&mut buf, blank, None, &self.station_ref[s]);
                    } else {
                        let form = &self.forms.forms[self.published[at as usize] as usize];
                        other_counts(
                            &mut buf,
                            u64::from(form.blank),
                            Some(device_class(form.key.phase)),
                            &self.form_ref[at as usize],
                        );
                    }
                    if buf.len() > 1 << 20 {
                        pieces.push(Piece::Text(std::mem::take(&mut buf)));
                    }
                }
                buf.push(b',');
                other_counts(&mut buf, self.contest_blank[c], None, &self.area_ref[c]);
                buf.push(b']');
            }
            if total > 0 {
                raw(&mut buf, r#","SubUnitsReported":"#);
                uint(&mut buf, reported);
                raw(&mut buf, r#","TotalSubUnits":"#);
                uint(&mut buf, total);
            }
            raw(&mut buf, r#","VoteVariation":"#);
            raw(
                &mut buf,
                match system.method {
                    Method::Sntv => "\"plurality\"",
                    Method::ListPr(_) => "\"proportional\"",
                    Method::Ranked(_) => "\"rcv\"",
                },
            );
            if !list_pr {
                raw(&mut buf, r#","VotesAllowed":1"#);
            }
            buf.push(b'}');
        }
        pieces.push(Piece::Text(buf));

        // Render in batches of about BATCH entries, in parallel within a batch.
        let mut start = 0;
        while start < pieces.len() {
            let mut end = start;
            let mut size = 0;
            while end < pieces.len() && (end == start || size < BATCH) {
                size += match &pieces[end] {
                    Piece::Votes { entries, .. } => entries.len(),
                    Piece::Text(t) => t.len() / 64,
                };
                end += 1;
            }
            let parts: Vec<Vec<u8>> = pieces[start..end]
                .par_iter()
                .map(|p| match p {
                    Piece::Text(_) => Vec::new(),
                    Piece::Votes { entries, first } => self.render_votes(entries, *first),
                })
                .collect();
            for (p, rendered) in pieces[start..end].iter().zip(parts) {
                match p {
                    Piece::Text(t) => w.write_all(t)?,
                    Piece::Votes { .. } => w.put(rendered)?,
                }
            }
            start = end;
        }
        Ok(())
    }

    fn render_votes(&self, entries: &[Entry], first: bool) -> Vec<u8> {
        let mut buf = Vec::with_capacity(entries.len() * 160);
        for (i, entry) in entries.iter().enumerate() {
            if i > 0 || !first {
                buf.push(b',');
            }
            if entry.at & STATION != 0 {
                let s = (entry.at & !STATION) as usize;
                vote_counts(&mut buf, u64::from(entry.votes), None, &self.station_ref[s], "total");
            } else {
                let pos = entry.at as usize;
                let phase = self.forms.forms[self.published[pos] as usize].key.phase;
                vote_counts(
                    &mut buf,
                    u64::from(entry.votes),
                    Some(device_class(phase)),
                    &self.form_ref[pos],
                    "election-day",
                );
            }
        }
        buf
    }

    /// Seats of a party's list in a contest: on its first list row, or on its seats-only
    /// selection when it has none.
    fn list_seats(
        &self,
        contest: ContestIdx,
        party: Option<PartyIdx>,
        row: Option<CandidateIdx>,
    ) -> u64 {
        let Some(p) = party else { return 0 };
        if let Some(r) = row {
            let first_row = self.e.candidates_in(contest).iter().copied().find(|&o| {
                let o = self.e.candidate(o);
                o.list_vote && o.party == Some(p)
            });
            if first_row != Some(r) {
                return 0;
            }
        }
        self.results
            .list_seats
            .iter()
            .filter(|l| l.contest == contest && l.party == p)
            .map(|l| u64::from(l.seats))
            .sum()
    }
}

/// Counts per piece of rendering work, and entries per batch.
const CHUNK: usize = 16 * 1024;
const BATCH: usize = 512 * 1024;

enum Piece<'p> {
    Text(Vec<u8>),
    Votes { entries: &'p [Entry], first: bool },
}

fn is_district(e: &Election, c: ContestIdx) -> bool {
    e.system_of(c).electorate == Electorate::Own
}

/// Renders `items` in parallel, `batch` at a time, and writes them in order. Each item renders
/// as `,` and a value per element; with `first`, the comma before the first element written is
/// left out. Returns whether anything was written.
fn write_ordered<T: Sync>(
    w: &mut Pipe,
    items: &[T],
    batch: usize,
    mut first: bool,
    render: impl Fn(&T, &mut Vec<u8>) + Sync,
) -> io::Result<bool> {
    let mut any = false;
    for chunk in items.chunks(batch.max(1)) {
        let parts: Vec<Vec<u8>> = chunk
            .par_chunks(64)
            .map(|group| {
                let mut buf = Vec::new();
                for item in group {
                    render(item, &mut buf);
                }
                buf
            })
            .collect();
        for mut p in parts.into_iter().filter(|p| !p.is_empty()) {
            if std::mem::take(&mut first) && p[0] == b',' {
                p.remove(0);
            }
            w.put(p)?;
            any = true;
        }
    }
    Ok(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_time_with_zone("2021-10-10").as_deref(), Some("2021-10-10T00:00:00Z"));
        assert_eq!(
            date_time_with_zone("2025-11-11T21:30:00+03:00").as_deref(),
            Some("2025-11-11T21:30:00+03:00")
        );
        assert_eq!(
            date_time_with_zone("2024-02-29T24:00:00Z").as_deref(),
            Some("2024-02-29T24:00:00Z")
        );
        for bad in [
            "2023-02-29",
            "2021-13-01",
            "2021-10-10T25:00:00Z",
            "2021-10-10T24:00:01Z",
            "2021-10-10T10:00:00",
            "2021-10-10T10:00:00+14:30",
            "2021-10-10 10:00:00Z",
            "2021-10-10T10:00:00.5Z",
            "21-10-10",
            "",
        ] {
            assert_eq!(date_time_with_zone(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_escape_their_separator() {
        assert_eq!(id("form", &["a:b", "electronic", "1"]), "\"form:a%3Ab:electronic:1\"");
        assert_eq!(id("station", &["50%"]), "\"station:50%25\"");
        assert_ne!(id("list", &["a:b", "c"]), id("list", &["a", "b:c"]));
    }

    #[test]
    fn strings_are_escaped() {
        let mut buf = Vec::new();
        string(&mut buf, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(buf).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }
}
