//! `psephos audit plan | draw | record | assess | verify`: a risk-limiting audit kept in one
//! append-only, replayable state file: station-level MACRO with PPEB sampling (rla.md §3.3,
//! the default) or ballot-level BRAVO ballot polling (`--method bravo`: ballots drawn with the
//! consistent sampler over `STATION:POSITION` ids, hand interpretations recorded from a CSV).
//! Design and file format: `docs/internals/audit-workflow.md`.
//!
//! Votes and error bounds are exact integers and fractions; only risk values (U, p-values,
//! diluted margins) are floats, written as the shortest text that reads back to the same `f64`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;
use psephos_audit::bravo;
use psephos_audit::macro_batch::{self, Drawn};
use psephos_audit::sampling::{SampleOptions, Weight, consistent_sample, trim, weighted_sample};
use psephos_count::StationStatus;
use psephos_model::{CandidateIdx, Code, ContestIdx, Diagnostic, Method, Phase, StationIdx};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::output::{diagnostics_text, hex};
use crate::pipeline::{Checked, Stop, check};
use crate::{Exit, eprint_lines};

#[derive(Args)]
pub(crate) struct PlanArgs {
    /// The election package directory.
    pub(crate) package: PathBuf,
    /// The risk limit α: a fraction (0.05) or a percentage (5%).
    #[arg(long, value_name = "A")]
    pub(crate) risk_limit: String,
    /// The audit method: `macro` (stations, batch comparison with PPEB sampling) or `bravo`
    /// (ballot polling: ballots drawn from every station, interpreted by hand).
    #[arg(long, default_value = "macro")]
    pub(crate) method: String,
    /// Contests to audit (comma-separated ids); default: every SNTV contest.
    #[arg(long, value_name = "ID,...")]
    pub(crate) contests: Option<String>,
    /// The state file to create.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct DrawArgs {
    /// The audit's state file.
    pub(crate) state: PathBuf,
    /// The election package directory.
    pub(crate) package: PathBuf,
    /// The public seed (e.g. 20 dice digits rolled in public); required for round 1, and the
    /// same seed (or none) for later rounds.
    #[arg(long)]
    pub(crate) seed: Option<String>,
    /// Targeted, non-random additions (station audits only): a CSV whose `id` column lists
    /// stations, most suspect first, as `psephos forensics --targets` writes it. The first
    /// `--targeted` stations not yet counted are fetched with the round and hand counted, but
    /// never enter the risk computation (a targeted station is not a random draw).
    #[arg(long, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// How many targeted stations to add (with --targets).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) targeted: usize,
}

#[derive(Args)]
pub(crate) struct RecordArgs {
    /// The audit's state file.
    pub(crate) state: PathBuf,
    /// The election package directory (to read the forms against).
    pub(crate) package: PathBuf,
    /// Hand-count result files or directories (any result format; phase manual or recount);
    /// for a ballot-polling audit, interpretation CSVs (ballot_id,contest,candidate).
    #[arg(required = true)]
    pub(crate) forms: Vec<PathBuf>,
}

#[derive(Args)]
pub(crate) struct AssessArgs {
    /// The audit's state file.
    pub(crate) state: PathBuf,
    /// The election package directory.
    pub(crate) package: PathBuf,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The audit's state file.
    pub(crate) state: PathBuf,
    /// The election package directory.
    pub(crate) package: PathBuf,
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

fn fail(exit: Exit, message: &str) -> Exit {
    eprint_lines(&format!("error: {message}\n"));
    exit
}

/// A float as the shortest decimal that reads back to the same value (never an exponent).
pub(crate) fn fl(x: f64) -> String {
    if x.is_finite() { format!("{x}") } else { "inf".to_owned() }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// An exact fraction `num/den` (den > 0), reduced, as text; `num` alone when den is 1.
fn frac_text(num: i128, den: u128) -> String {
    let g = gcd(num.unsigned_abs(), den).max(1);
    let (n, d) = (num / g as i128, den / g);
    if d == 1 { n.to_string() } else { format!("{n}/{d}") }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    Ok(hex(&Sha256::digest(std::fs::read(path)?)))
}

fn load_checked(package: &Path) -> Result<Checked, Exit> {
    match check(package, &[], None, true) {
        Ok(c) => Ok(c),
        Err(Stop::Package(diags)) => {
            eprint_lines(&diagnostics_text(&diags));
            Err(Exit::InputErrors)
        }
        Err(Stop::Usage(m)) => Err(fail(Exit::Usage, &m)),
    }
}

fn read_state(path: &Path) -> Result<Value, Exit> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(Exit::InputErrors, &format!("{}: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        fail(Exit::InputErrors, &format!("{}: not an audit state file: {e}", path.display()))
    })?;
    if v.get("plan").and_then(Value::as_object).is_none() {
        return Err(fail(
            Exit::InputErrors,
            &format!("{}: not an audit state file (no plan)", path.display()),
        ));
    }
    Ok(v)
}

/// The state file as written: sorted keys (serde_json's map is ordered), two-space indent.
pub(crate) fn state_text(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

/// Writes the new state, keeping the previous file as `NAME.K.json` (K the first unused).
fn write_state(path: &Path, v: &Value) -> Result<(), Exit> {
    if path.exists() {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("audit").to_owned();
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut k = 1u32;
        let backup = loop {
            let b = dir.join(format!("{stem}.{k}.json"));
            if !b.exists() {
                break b;
            }
            k += 1;
        };
        std::fs::copy(path, &backup).map_err(|e| {
            fail(Exit::Io, &format!("cannot keep the previous state as {}: {e}", backup.display()))
        })?;
    }
    std::fs::write(path, state_text(v))
        .map_err(|e| fail(Exit::Io, &format!("cannot write {}: {e}", path.display())))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

// ---------------------------------------------------------------------------------------------
// The reported results, as the audit sees them.

/// A station's reported count of one contest and its error bound u_p = num/den.
struct StationBound {
    id: String,
    votes: Vec<u64>,
    ballots: u64,
    u_num: u64,
    u_den: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Audit,
    FullHandCount,
    Uncontested,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Audit => "audit",
            Status::FullHandCount => "full hand count",
            Status::Uncontested => "uncontested",
        }
    }
}

/// The audit's method: what is drawn and how risk is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuditMethod {
    /// Stations, batch comparison (MACRO) with PPEB sampling.
    Macro,
    /// Ballots, ballot polling (BRAVO) with the consistent sampler.
    Bravo,
}

impl AuditMethod {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "macro" => Some(Self::Macro),
            "bravo" => Some(Self::Bravo),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Macro => "macro",
            Self::Bravo => "bravo",
        }
    }
}

/// The stopping probability BRAVO rounds are sized for (Arlo's default 0.9 quantile).
const BRAVO_QUANTILE: f64 = 0.9;
/// Digits kept of a ballot's ticket after the leading 9s (Arlo's `digits = 18`).
const BRAVO_DIGITS: usize = 18;

struct ContestModel {
    id: String,
    seats: u32,
    /// The contest's candidates; votes are indexed like this.
    candidates: Vec<CandidateIdx>,
    /// Their ids.
    candidate_ids: Vec<String>,
    winners: Vec<usize>,
    /// (winner, loser, reported margin v_w − v_ℓ).
    pairs: Vec<(usize, usize, i128)>,
    /// Registered voters of stations without a counted form: subtracted from every margin.
    unaccounted: u64,
    uncounted_stations: u64,
    stations: Vec<StationBound>,
    by_id: HashMap<String, usize>,
    status: Status,
    reason: String,
    total_bound: f64,
    /// Round-1 draws: stations (MACRO) or ballots (BRAVO).
    round_1: u64,
    /// Reported votes per candidate, summed over the counted stations.
    totals: Vec<u64>,
    /// Stations without a counted form and their registered voters (BRAVO's phantom ballots:
    /// in the manifest, and a drawn one counts as not found).
    phantoms: BTreeMap<String, u64>,
}

impl ContestModel {
    /// Stations that can hold an error (u_p > 0): the sampling frame.
    fn frame(&self) -> u64 {
        self.stations.iter().filter(|s| s.u_num > 0).count() as u64
    }

    fn ballots(&self) -> u64 {
        self.stations.iter().map(|s| s.ballots).sum()
    }

    /// The margins MACRO uses: V_wℓ less the unaccounted ballots.
    fn reduced(&self, v: i128) -> i128 {
        v - i128::from(self.unaccounted)
    }

    /// BRAVO's manifest, in station-id order: (station, ballots, phantom).
    fn manifest(&self) -> Vec<(&str, u64, bool)> {
        let mut rows: Vec<(&str, u64, bool)> = self
            .stations
            .iter()
            .map(|s| (s.id.as_str(), s.ballots, false))
            .chain(self.phantoms.iter().map(|(id, &n)| (id.as_str(), n, true)))
            .collect();
        rows.sort_unstable();
        rows
    }

    /// The ballots in BRAVO's manifest (phantom ballots included).
    fn manifest_ballots(&self) -> u64 {
        self.ballots() + self.phantoms.values().sum::<u64>()
    }

    /// The manifest's ballot ids, `STATION:POSITION` (1-based).
    fn manifest_ids(&self) -> Vec<String> {
        let mut ids = Vec::with_capacity(usize::try_from(self.manifest_ballots()).unwrap_or(0));
        for (station, n, _) in self.manifest() {
            ids.extend((1..=n).map(|k| format!("{station}:{k}")));
        }
        ids
    }

    /// The manifest as text (`station,ballots` lines, `,phantom` appended for a station without
    /// a counted form) and its SHA-256.
    fn manifest_sha256(&self) -> String {
        let mut text = String::from("station,ballots\n");
        for (station, n, phantom) in self.manifest() {
            text.push_str(&format!("{station},{n}{}\n", if phantom { ",phantom" } else { "" }));
        }
        hex(&Sha256::digest(text.as_bytes()))
    }

    /// Whether `ballot` (`STATION:POSITION`) is in the manifest; `Some(true)` for a phantom.
    fn ballot_in_manifest(&self, ballot: &str) -> Option<bool> {
        let (station, pos) = ballot.rsplit_once(':')?;
        let pos: u64 = pos.parse().ok().filter(|&p| p > 0)?;
        if let Some(&n) = self.phantoms.get(station) {
            return (pos <= n).then_some(true);
        }
        let &k = self.by_id.get(station)?;
        (pos <= self.stations[k].ballots).then_some(false)
    }
}

/// Sort key of a ballot id: station, then position as a number.
fn ballot_key(id: &str) -> (&str, u64, &str) {
    match id.rsplit_once(':') {
        Some((s, p)) => (s, p.parse().unwrap_or(u64::MAX), p),
        None => (id, 0, ""),
    }
}

struct Model {
    method: AuditMethod,
    contests: Vec<ContestModel>,
    skipped: Vec<(String, String)>,
    digests: BTreeMap<String, String>,
}

fn parse_contests(checked: &Checked, list: Option<&str>) -> Result<Vec<ContestIdx>, String> {
    let e = &checked.package.election;
    match list {
        None => Ok((0..e.contests.len() as u32).map(ContestIdx).collect()),
        Some(text) => {
            let mut out = Vec::new();
            for id in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let c = e.contest_id(id).ok_or_else(|| format!("--contests: no contest {id:?}"))?;
                if !matches!(e.system_of(c).method, Method::Sntv) {
                    return Err(format!(
                        "--contests: {id} is not an SNTV contest; the audit workflow supports SNTV contests only"
                    ));
                }
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            if out.is_empty() {
                return Err("--contests names no contest".to_owned());
            }
            out.sort_unstable();
            Ok(out)
        }
    }
}

/// Digests of election.toml, every `.csv` table at the top of the package, and every result
/// file a selected form came from; keys are paths relative to the package (`/`-separated).
fn digests(checked: &Checked) -> Result<BTreeMap<String, String>, String> {
    let dir = &checked.package.dir;
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    files.insert(dir.join(psephos_io::ELECTION_TOML));
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_file() && p.extension().is_some_and(|x| x == "csv") {
            files.insert(p);
        }
    }
    let set = &checked.forms;
    let used: BTreeSet<u32> =
        checked.selection.counted().map(|i| set.forms[i].source.file).collect();
    for f in used {
        if let Some(name) = set.files.get(f as usize) {
            files.insert(PathBuf::from(name));
        }
    }
    let mut out = BTreeMap::new();
    for f in files {
        let key = f
            .strip_prefix(dir)
            .map(|r| r.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>())
            .map(|parts| parts.join("/"))
            .unwrap_or_else(|_| f.display().to_string());
        let digest = sha256_file(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        out.insert(key, digest);
    }
    Ok(out)
}

/// The audit's view of the package: per contest the pairs, the stations' reported counts and
/// error bounds.
fn model(
    checked: &Checked,
    contests: &[ContestIdx],
    alpha: f64,
    method: AuditMethod,
) -> Result<Model, String> {
    let e = &checked.package.election;
    let (t, a) = crate::commands::counted(checked);
    let pairs = psephos_count::reconcile::audit_pairs(e, &a, &t);
    let mut models: Vec<ContestModel> = Vec::new();
    let mut skipped = Vec::new();
    // Per candidate: (model, position in the contest).
    let mut local: Vec<Option<(usize, usize)>> = vec![None; e.candidates.len()];
    for &c in contests {
        if !matches!(e.system_of(c).method, Method::Sntv) {
            skipped.push((
                e.contest(c).id.clone(),
                format!(
                    "method {}: the audit workflow supports SNTV contests only",
                    e.system_of(c).method.as_str()
                ),
            ));
            continue;
        }
        let Some(result) = a.contests.iter().find(|r| r.contest == c) else {
            skipped.push((e.contest(c).id.clone(), "no allocation".to_owned()));
            continue;
        };
        let candidates: Vec<CandidateIdx> = e.candidates_in(c).to_vec();
        let m = models.len();
        for (k, &cand) in candidates.iter().enumerate() {
            local[cand.index()] = Some((m, k));
        }
        let pos = |cand: CandidateIdx| candidates.iter().position(|&x| x == cand).unwrap_or(0);
        let winners: Vec<usize> = result.seats.iter().map(|s| pos(s.candidate)).collect();
        let contest_pairs: Vec<(usize, usize, i128)> =
            pairs.iter().filter(|p| p.0 == c).map(|p| (pos(p.1), pos(p.2), p.3)).collect();
        models.push(ContestModel {
            id: e.contest(c).id.clone(),
            seats: e.contest(c).seats,
            candidate_ids: candidates.iter().map(|&k| e.candidate(k).id.clone()).collect(),
            candidates,
            winners,
            pairs: contest_pairs,
            unaccounted: 0,
            uncounted_stations: 0,
            stations: Vec::new(),
            by_id: HashMap::new(),
            status: Status::Audit,
            reason: String::new(),
            total_bound: 0.0,
            round_1: 0,
            totals: Vec::new(),
            phantoms: BTreeMap::new(),
        });
    }
    // The audited contests on each ballot.
    let mut carried: Vec<Vec<usize>> = vec![Vec::new(); e.contests.len()];
    for (b, slot) in carried.iter_mut().enumerate() {
        for &cand in &e.ballot(ContestIdx(b as u32)).candidates {
            if let Some((m, _)) = local[cand.index()]
                && !slot.contains(&m)
            {
                slot.push(m);
            }
        }
    }
    let set = &checked.forms;
    for s in 0..e.stations.len() {
        let station = StationIdx(s as u32);
        for (ballot, status) in e.station_ballots(station).zip(checked.selection.station_ballots(s))
        {
            let on = &carried[ballot.index()];
            if on.is_empty() {
                continue;
            }
            match status {
                StationStatus::Counted(i) => {
                    let form = &set.forms[i as usize];
                    let mut fresh: Vec<(usize, Vec<u64>)> =
                        on.iter().map(|&m| (m, vec![0; models[m].candidates.len()])).collect();
                    for (&cand, v) in set.layout(form).iter().zip(set.votes(form)) {
                        if let Some((m, k)) = local[cand.index()]
                            && let Some(slot) = fresh.iter_mut().find(|f| f.0 == m)
                        {
                            slot.1[k] = u64::from(v);
                        }
                    }
                    for (m, votes) in fresh {
                        models[m].stations.push(StationBound {
                            id: e.station_label(station).to_owned(),
                            votes,
                            ballots: u64::from(form.ballots_found),
                            u_num: 0,
                            u_den: 1,
                        });
                    }
                }
                StationStatus::Held | StationStatus::Missing => {
                    for &m in on {
                        let registered = u64::from(e.station(station).registered);
                        models[m].unaccounted += registered;
                        models[m].uncounted_stations += 1;
                        *models[m]
                            .phantoms
                            .entry(e.station_label(station).to_owned())
                            .or_default() += registered;
                    }
                }
            }
        }
    }
    for m in &mut models {
        m.stations.sort_by(|x, y| x.id.cmp(&y.id));
        m.by_id = m.stations.iter().enumerate().map(|(k, s)| (s.id.clone(), k)).collect();
        m.totals =
            (0..m.candidates.len()).map(|k| m.stations.iter().map(|s| s.votes[k]).sum()).collect();
        if m.pairs.is_empty() {
            m.status = Status::Uncontested;
            m.reason = "no winner faces a loser".to_owned();
            continue;
        }
        if let Some(&(w, l, v)) = m.pairs.iter().find(|p| m.reduced(p.2) <= 0) {
            m.status = Status::FullHandCount;
            m.reason = if v <= 0 {
                format!(
                    "{} and {} are tied or the loser leads: no positive margin",
                    e.candidate(m.candidates[w]).id,
                    e.candidate(m.candidates[l]).id
                )
            } else {
                format!(
                    "the margin of {} over {} ({v}) is not above the {} registered voters of stations without a counted form",
                    e.candidate(m.candidates[w]).id,
                    e.candidate(m.candidates[l]).id,
                    m.unaccounted
                )
            };
            continue;
        }
        if method == AuditMethod::Bravo {
            bravo_round_1(m, alpha, e);
            continue;
        }
        // u_p = max over pairs (v_w − v_ℓ + b_p) / V'_wℓ, exactly.
        let mut total = 0.0f64;
        for s in &mut m.stations {
            let mut best: (u128, u128) = (0, 1);
            for &(w, l, v) in &m.pairs {
                let num = (i128::from(s.votes[w]) - i128::from(s.votes[l]) + i128::from(s.ballots))
                    .max(0) as u128;
                let den = (v - i128::from(m.unaccounted)) as u128;
                if num * best.1 > best.0 * den {
                    best = (num, den);
                }
            }
            let g = gcd(best.0, best.1).max(1);
            s.u_num = u64::try_from(best.0 / g).map_err(|_| "an error bound overflows")?;
            s.u_den = u64::try_from(best.1 / g).map_err(|_| "an error bound overflows")?;
            total += s.u_num as f64 / s.u_den as f64;
        }
        m.total_bound = total;
        let frame = m.frame();
        m.round_1 =
            macro_batch::sample_size(alpha, total, 1.0, frame).map_err(|e| e.to_string())?;
        if frame > 0 && m.round_1 >= frame {
            m.status = Status::FullHandCount;
            m.reason = format!(
                "the first round would draw {} times from {frame} stations: count them all",
                m.round_1
            );
        }
    }
    let digests = digests(checked)?;
    Ok(Model { method, contests: models, skipped, digests })
}

/// BRAVO's round 1: the Lindeman 0.9-quantile size, the largest over the contest's pairs, over
/// the manifest's ballots; a full hand count when it reaches them.
fn bravo_round_1(m: &mut ContestModel, alpha: f64, e: &psephos_model::Election) {
    let n = m.manifest_ballots();
    let mut size = 0u64;
    for &(w, l, _) in &m.pairs {
        match bravo::pair_quantile_size(alpha, m.totals[w], m.totals[l], n, 0, 0, BRAVO_QUANTILE) {
            Ok(s) => size = size.max(s),
            Err(err) => {
                m.status = Status::FullHandCount;
                m.reason = format!(
                    "{} against {}: {err}",
                    e.candidate(m.candidates[w]).id,
                    e.candidate(m.candidates[l]).id
                );
                return;
            }
        }
    }
    m.round_1 = size;
    if size >= n {
        m.status = Status::FullHandCount;
        m.reason =
            format!("the first round would draw {size} of {n} ballots: count them all by hand");
    }
}

fn plan_json(checked: &Checked, m: &Model, alpha: f64) -> Value {
    let e = &checked.package.election;
    let cid = |c: &ContestModel, k: usize| e.candidate(c.candidates[k]).id.clone();
    let contests: Vec<Value> = m
        .contests
        .iter()
        .map(|c| {
            let ballots = c.ballots();
            let mut losers: Vec<usize> = c.pairs.iter().map(|p| p.1).collect();
            losers.sort_unstable();
            losers.dedup();
            let assertions: Vec<Value> = c
                .pairs
                .iter()
                .map(|&(w, l, v)| {
                    json!({
                        "winner": cid(c, w),
                        "loser": cid(c, l),
                        "margin": v.to_string(),
                        "diluted_margin": fl(if ballots > 0 { v as f64 / ballots as f64 } else { 0.0 }),
                    })
                })
                .collect();
            let mut o = json!({
                "contest": c.id,
                "seats": c.seats,
                "status": c.status.as_str(),
                "ballots": ballots,
                "stations": c.stations.len(),
                "stations_not_counted": c.uncounted_stations,
                "unaccounted_ballots": c.unaccounted,
                "winners": c.winners.iter().map(|&k| cid(c, k)).collect::<Vec<_>>(),
                "losers": losers.iter().map(|&k| cid(c, k)).collect::<Vec<_>>(),
                "assertions": assertions,
            });
            if !c.reason.is_empty() {
                o["reason"] = json!(c.reason);
            }
            if m.method == AuditMethod::Bravo {
                bravo_plan_fields(&mut o, c, e);
                return o;
            }
            if c.status == Status::Audit || c.total_bound > 0.0 {
                o["upper_bound_total"] = json!(fl(c.total_bound));
                o["round_1_stations"] = json!(c.round_1);
                o["station_bounds"] = Value::Object(
                    c.stations
                        .iter()
                        .map(|s| {
                            (s.id.clone(), json!(frac_text(i128::from(s.u_num), u128::from(s.u_den))))
                        })
                        .collect(),
                );
            }
            o
        })
        .collect();
    let skipped: Vec<Value> =
        m.skipped.iter().map(|(c, r)| json!({"contest": c, "reason": r})).collect();
    let (unit, sampler) = match m.method {
        AuditMethod::Macro => (
            "stations",
            "weighted consistent sampler (docs/internals/sampling.md §4), with replacement, probability ∝ u_p, per contest",
        ),
        AuditMethod::Bravo => (
            "ballots",
            "consistent sampler (Rivest), with replacement, digits 18, over the manifest's STATION:POSITION ids, per contest",
        ),
    };
    json!({
        "risk_limit": fl(alpha),
        "method": m.method.as_str(),
        "unit": unit,
        "sampler": sampler,
        "digests": m.digests,
        "contests": contests,
        "skipped": skipped,
    })
}

/// A BRAVO contest's plan: reported votes, the ballot manifest and its digest, round 1.
fn bravo_plan_fields(o: &mut Value, c: &ContestModel, e: &psephos_model::Election) {
    o["votes"] = Value::Object(
        c.candidates
            .iter()
            .zip(&c.totals)
            .map(|(&k, &v)| (e.candidate(k).id.clone(), json!(v)))
            .collect(),
    );
    o["manifest"] =
        Value::Object(c.stations.iter().map(|s| (s.id.clone(), json!(s.ballots))).collect());
    o["phantom_stations"] =
        Value::Object(c.phantoms.iter().map(|(id, &n)| (id.clone(), json!(n))).collect());
    o["manifest_ballots"] = json!(c.manifest_ballots());
    o["manifest_sha256"] = json!(c.manifest_sha256());
    if c.status == Status::Audit {
        o["round_1_ballots"] = json!(c.round_1);
        o["round_quantile"] = json!(fl(BRAVO_QUANTILE));
    }
}

/// The contests a state file's plan covers, and its risk limit.
fn plan_inputs(state: &Value) -> Result<(f64, String, Vec<String>), String> {
    let plan = &state["plan"];
    let alpha: f64 = str_of(plan, "risk_limit")
        .parse()
        .map_err(|_| "the plan's risk_limit is not a number".to_owned())?;
    let method = str_of(plan, "method").to_owned();
    let mut ids: Vec<String> =
        arr(plan, "contests").iter().map(|c| str_of(c, "contest").to_owned()).collect();
    ids.extend(arr(plan, "skipped").iter().map(|c| str_of(c, "contest").to_owned()));
    Ok((alpha, method, ids))
}

/// Rebuilds the model for a state file's plan from the package, checking the digests.
fn model_for_state(checked: &Checked, state: &Value) -> Result<(Model, f64), Exit> {
    let (alpha, method, ids) = plan_inputs(state).map_err(|m| fail(Exit::InputErrors, &m))?;
    let Some(method) = AuditMethod::parse(&method) else {
        return Err(fail(Exit::InputErrors, &format!("unsupported audit method {method:?}")));
    };
    let e = &checked.package.election;
    let mut contests: Vec<ContestIdx> = Vec::new();
    for id in &ids {
        match e.contest_id(id) {
            Some(c) => contests.push(c),
            None => {
                return Err(package_changed(&format!(
                    "the plan's contest {id} is not in the package"
                )));
            }
        }
    }
    contests.sort_unstable();
    let m =
        model(checked, &contests, alpha, method).map_err(|msg| fail(Exit::InputErrors, &msg))?;
    let planned: BTreeMap<String, String> = state["plan"]["digests"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned())).collect())
        .unwrap_or_default();
    if let Some(diff) = first_digest_difference(&planned, &m.digests) {
        return Err(package_changed(&diff));
    }
    Ok((m, alpha))
}

fn package_changed(what: &str) -> Exit {
    let d = Diagnostic::new(
        Code::AuditPackageChanged,
        format!("{what}; the audit checks the package as planned: nothing was done"),
    );
    eprint_lines(&diagnostics_text(&[d]));
    Exit::InputErrors
}

fn first_digest_difference(
    planned: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Option<String> {
    for (k, v) in planned {
        match now.get(k) {
            None => {
                return Some(format!("{k} was in the plan but is no longer part of the package"));
            }
            Some(w) if w != v => {
                return Some(format!("{k} changed (SHA-256 {w}, planned {v})"));
            }
            _ => {}
        }
    }
    now.keys()
        .find(|k| !planned.contains_key(*k))
        .map(|k| format!("{k} is new: it was not part of the package when the audit was planned"))
}

// ---------------------------------------------------------------------------------------------
// plan

pub(crate) fn plan(args: &PlanArgs) -> Exit {
    let Some(alpha) = crate::audit::risk_limit(&args.risk_limit) else {
        return fail(
            Exit::Usage,
            &format!(
                "--risk-limit {:?} is not a fraction between 0 and 1 (0.05) or a percentage (5%)",
                args.risk_limit
            ),
        );
    };
    let Some(method) = AuditMethod::parse(&args.method) else {
        return fail(
            Exit::Usage,
            &format!(
                "--method {:?}: macro (station-level batch comparison) or bravo (ballot polling)",
                args.method
            ),
        );
    };
    if args.out.exists() {
        return fail(
            Exit::Usage,
            &format!(
                "{} exists: an audit's state file is never replaced by a new plan; choose another --out",
                args.out.display()
            ),
        );
    }
    let checked = match load_checked(&args.package) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (state, text) = match plan_with_method(&checked, alpha, args.contests.as_deref(), method) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    if let Err(exit) = write_state(&args.out, &state) {
        return exit;
    }
    print!("{text}");
    Exit::Ok
}

/// The state file of a new MACRO plan and its summary (used by `psephos demo`).
pub(crate) fn plan_from_checked(
    checked: &Checked,
    alpha: f64,
    contests: Option<&str>,
) -> Result<(Value, String), Exit> {
    plan_with_method(checked, alpha, contests, AuditMethod::Macro)
}

fn plan_with_method(
    checked: &Checked,
    alpha: f64,
    contests: Option<&str>,
    method: AuditMethod,
) -> Result<(Value, String), Exit> {
    if checked.errors() > 0 {
        eprint_lines(&diagnostics_text(&checked.diagnostics));
        return Err(fail(
            Exit::InputErrors,
            "the package has errors: an audit checks a count that stands; correct them first",
        ));
    }
    let list = parse_contests(checked, contests).map_err(|m| fail(Exit::Usage, &m))?;
    let m = model(checked, &list, alpha, method).map_err(|msg| fail(Exit::InputErrors, &msg))?;
    let state = json!({
        "psephos": env!("CARGO_PKG_VERSION"),
        "plan": plan_json(checked, &m, alpha),
        "rounds": [],
    });
    Ok((state, plan_summary(&m, alpha)))
}

fn plan_summary(m: &Model, alpha: f64) -> String {
    let bravo = m.method == AuditMethod::Bravo;
    let audited: Vec<&ContestModel> =
        m.contests.iter().filter(|c| c.status == Status::Audit).collect();
    let full = m.contests.iter().filter(|c| c.status == Status::FullHandCount).count();
    let draws: u64 = audited.iter().map(|c| c.round_1).sum();
    let (how, unit) = if bravo {
        ("BRAVO ballot polling, ballots drawn uniformly with replacement", "ballot(s)")
    } else {
        ("MACRO, stations drawn with probability proportional to their error bound", "draw(s)")
    };
    let mut s = format!(
        "Audit plan ({how}, risk limit {}): {} contest(s) to audit with {draws} {unit} in round 1; {full} contest(s) need a full hand count; {} not audited.\n",
        fl(alpha),
        audited.len(),
        m.skipped.len()
    );
    for c in &m.contests {
        let line = match c.status {
            Status::Audit if bravo => format!(
                "  {}: round 1: {} ballot(s) of {} ({} % stopping probability)\n",
                c.id,
                c.round_1,
                c.manifest_ballots(),
                fl(BRAVO_QUANTILE * 100.0)
            ),
            Status::Audit => format!(
                "  {}: U = {:.3}, round 1: {} draw(s) of {} stations\n",
                c.id,
                c.total_bound,
                c.round_1,
                c.frame()
            ),
            _ => format!("  {}: {} ({})\n", c.id, c.status.as_str(), c.reason),
        };
        s.push_str(&line);
    }
    s
}

// ---------------------------------------------------------------------------------------------
// draw

/// Draws per contest in earlier rounds.
fn drawn_so_far(state: &Value, contest: &str) -> usize {
    arr(state, "rounds")
        .iter()
        .flat_map(|r| arr(r, "sample"))
        .filter(|s| str_of(s, "contest") == contest)
        .map(|s| arr(s, "draws").len())
        .sum()
}

/// The next round of a state: its sample and stations to fetch.
fn next_round(state: &Value, m: &Model, seed: &str) -> Result<Value, String> {
    let rounds = arr(state, "rounds");
    let sizes: Vec<(String, u64)> = match rounds.last() {
        None => m
            .contests
            .iter()
            .filter(|c| c.status == Status::Audit && c.round_1 > 0)
            .map(|c| (c.id.clone(), c.round_1))
            .collect(),
        Some(last) => {
            let Some(assessment) = last.get("assessment") else {
                return Err(format!(
                    "round {} has no assessment yet: record its hand counts and run psephos audit assess first",
                    rounds.len()
                ));
            };
            arr(assessment, "contests")
                .iter()
                .filter(|c| str_of(c, "status") == "continue")
                .map(|c| (str_of(c, "contest").to_owned(), c["next_round"].as_u64().unwrap_or(0)))
                .filter(|c| c.1 > 0)
                .collect()
        }
    };
    if sizes.is_empty() {
        return Err(
            "nothing to draw: every contest is confirmed, uncontested or needs a full hand count"
                .to_owned(),
        );
    }
    if m.method == AuditMethod::Bravo {
        return bravo_next_round(state, m, seed, sizes);
    }
    let counted: BTreeSet<&str> =
        rounds.iter().flat_map(|r| arr(r, "counts")).map(|c| str_of(c, "station")).collect();
    let mut sample = Vec::new();
    let mut fetch: BTreeSet<String> = BTreeSet::new();
    for (id, n) in sizes {
        let Some(c) = m.contests.iter().find(|c| c.id == id) else {
            return Err(format!("contest {id} is not in the plan"));
        };
        let prior = drawn_so_far(state, &id);
        let ids: Vec<&str> = c.stations.iter().map(|s| s.id.as_str()).collect();
        let weights: Vec<Weight> =
            c.stations.iter().map(|s| Weight::new(s.u_num, s.u_den)).collect();
        let take = prior + usize::try_from(n).map_err(|_| "round size too large")?;
        let draws = weighted_sample(&ids, &weights, seed, take, None)
            .map_err(|e| format!("contest {id}: {e}"))?;
        let fresh: Vec<Value> = draws
            .iter()
            .skip(prior)
            .map(|d| {
                let sid = ids[d.index];
                if !counted.contains(sid) {
                    fetch.insert(sid.to_owned());
                }
                json!({"id": sid, "ticket": d.ticket, "generation": d.generation})
            })
            .collect();
        sample.push(json!({"contest": id, "draws": fresh}));
    }
    Ok(json!({
        "round": rounds.len() + 1,
        "sample": sample,
        "stations": fetch.into_iter().collect::<Vec<_>>(),
        "counts": [],
    }))
}

pub(crate) fn draw(args: &DrawArgs) -> Exit {
    let mut state = match read_state(&args.state) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let recorded = state.get("seed").and_then(Value::as_str).map(str::to_owned);
    let seed = match (&recorded, &args.seed) {
        (None, None) => return fail(Exit::Usage, "round 1 needs the public seed: --seed SEED"),
        (None, Some(s)) if s.is_empty() => return fail(Exit::Usage, "--seed is empty"),
        (None, Some(s)) => s.clone(),
        (Some(r), Some(s)) if r != s => {
            return fail(
                Exit::InputErrors,
                &format!(
                    "the audit's seed is {r:?}; later rounds continue its ticket stream and cannot take another seed"
                ),
            );
        }
        (Some(r), _) => r.clone(),
    };
    let checked = match load_checked(&args.package) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (m, _) = match model_for_state(&checked, &state) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let mut round = match next_round(&state, &m, &seed) {
        Ok(r) => r,
        Err(msg) => return fail(Exit::InputErrors, &msg),
    };
    if let Some(path) = &args.targets {
        if m.method == AuditMethod::Bravo {
            return fail(Exit::Usage, "--targets adds stations: it is for station (macro) audits");
        }
        match targeted_additions(path, args.targeted, &checked, &state, &round) {
            Ok((ids, digest)) => add_targeted(&mut round, &ids, path, &digest),
            Err(msg) => return fail(Exit::InputErrors, &msg),
        }
    }
    let summary = round_summary(&round);
    state["seed"] = json!(seed);
    if let Some(rounds) = state.get_mut("rounds").and_then(Value::as_array_mut) {
        rounds.push(round);
    }
    if let Err(exit) = write_state(&args.state, &state) {
        return exit;
    }
    print!("{summary}");
    Exit::Ok
}

/// The targeted additions of a round: the first `n` stations of the targets file (column `id`)
/// that the package knows and that are neither counted nor fetched already, with the file's
/// SHA-256.
fn targeted_additions(
    path: &Path,
    n: usize,
    checked: &Checked,
    state: &Value,
    round: &Value,
) -> Result<(Vec<String>, String), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the targets file {}: {e}", path.display()))?;
    let digest = hex(&sha2::Sha256::digest(text.as_bytes()));
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = rdr.headers().map_err(|e| format!("{}: no header row: {e}", path.display()))?;
    let Some(col) = header.iter().position(|h| h == "id") else {
        return Err(format!("{}:1: the targets file needs an `id` column", path.display()));
    };
    let counted: BTreeSet<&str> = arr(state, "rounds")
        .iter()
        .flat_map(|r| arr(r, "counts"))
        .map(|c| str_of(c, "station"))
        .collect();
    let fetched: BTreeSet<&str> = arr(round, "stations").iter().filter_map(Value::as_str).collect();
    let e = &checked.package.election;
    let mut out: Vec<String> = Vec::new();
    for rec in rdr.records() {
        if out.len() >= n {
            break;
        }
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        let id = rec.get(col).unwrap_or("").trim();
        if id.is_empty()
            || e.station_id(id).is_none()
            || counted.contains(id)
            || fetched.contains(id)
            || out.iter().any(|o| o == id)
        {
            continue;
        }
        out.push(id.to_owned());
    }
    Ok((out, digest))
}

/// Adds the targeted stations to a round (and to its stations to fetch).
fn add_targeted(round: &mut Value, ids: &[String], file: &Path, digest: &str) {
    let mut stations: Vec<String> =
        arr(round, "stations").iter().filter_map(Value::as_str).map(str::to_owned).collect();
    stations.extend(ids.iter().cloned());
    stations.sort();
    round["stations"] = json!(stations);
    round["targeted"] = json!(ids);
    round["targets_file"] = json!({"file": file.display().to_string(), "sha256": digest});
}

fn round_summary(round: &Value) -> String {
    let draws: usize = arr(round, "sample").iter().map(|s| arr(s, "draws").len()).sum();
    let stations: Vec<&str> = arr(round, "stations").iter().filter_map(Value::as_str).collect();
    if let Some(ballots) = round.get("ballots").and_then(Value::as_array) {
        return format!(
            "Round {}: {draws} draw(s) in {} contest(s); {} ballot(s) to interpret by hand, in {} station(s): {}\n",
            round["round"],
            arr(round, "sample").len(),
            ballots.len(),
            stations.len(),
            stations.join(" ")
        );
    }
    let targeted = arr(round, "targeted").len();
    let extra = if targeted > 0 {
        format!(" ({targeted} of them targeted, outside the risk computation)")
    } else {
        String::new()
    };
    format!(
        "Round {}: {draws} draw(s) in {} contest(s); {} station(s) to hand count{extra}: {}\n",
        round["round"],
        arr(round, "sample").len(),
        stations.len(),
        stations.join(" ")
    )
}

// ---------------------------------------------------------------------------------------------
// record

/// The count entries recorded from `files` against `state`, and the diagnostics.
fn record_forms(
    state: &Value,
    checked: &Checked,
    paths: &[PathBuf],
) -> Result<(Vec<Value>, Vec<Diagnostic>), String> {
    let rounds = arr(state, "rounds");
    let Some(last) = rounds.last() else {
        return Err("no round has been drawn: run psephos audit draw first".to_owned());
    };
    if last.get("assessment").is_some() {
        return Err(format!(
            "round {} is already assessed; draw the next round before recording more hand counts",
            rounds.len()
        ));
    }
    // Drawn stations, and the targeted ones fetched beside them.
    let sampled: BTreeSet<&str> = rounds
        .iter()
        .flat_map(|r| arr(r, "sample"))
        .flat_map(|s| arr(s, "draws"))
        .map(|d| str_of(d, "id"))
        .chain(rounds.iter().flat_map(|r| arr(r, "targeted")).filter_map(Value::as_str))
        .collect();
    let mut recorded: BTreeSet<(String, String)> = rounds
        .iter()
        .flat_map(|r| arr(r, "counts"))
        .map(|c| (str_of(c, "station").to_owned(), str_of(c, "ballot").to_owned()))
        .collect();
    let e = &checked.package.election;
    let (files, mut diags) = psephos_io::discover_results(paths);
    let read = psephos_io::read_results(e, &files, &|_| {});
    diags.extend(read.diagnostics);
    let validation = psephos_count::validate(e, &read.forms);
    diags.extend(validation.diagnostics.iter().cloned());
    let set = &read.forms;
    let mut entries = Vec::new();
    let mut file_digests: HashMap<u32, String> = HashMap::new();
    for (i, form) in set.forms.iter().enumerate() {
        if validation.status[i] != psephos_count::FormStatus::Ok {
            continue;
        }
        let station = e.station_label(form.key.station).to_owned();
        let ballot = e.contest(form.key.contest).id.clone();
        let file = set.file_name(form).to_owned();
        let at = |d: Diagnostic| {
            d.at(file.clone(), u64::from(form.source.line)).station(station.clone())
        };
        if !matches!(form.key.phase, Phase::Manual | Phase::Recount) {
            diags.push(at(Diagnostic::new(
                Code::AuditNotHandCount,
                format!(
                    "phase {} is not a hand count (manual or recount): not recorded",
                    form.key.phase.as_str()
                ),
            )));
            continue;
        }
        if !sampled.contains(station.as_str()) {
            diags.push(at(Diagnostic::new(
                Code::AuditNotSampled,
                "the station is not in the audit's sample: not recorded",
            )));
            continue;
        }
        if !recorded.insert((station.clone(), ballot.clone())) {
            diags.push(at(Diagnostic::new(
                Code::AuditRecordedTwice,
                format!("a hand count of ballot {ballot} at this station is already recorded"),
            )));
            continue;
        }
        let digest = match file_digests.get(&form.source.file) {
            Some(d) => d.clone(),
            None => {
                let d = sha256_file(Path::new(&file)).map_err(|e| format!("{file}: {e}"))?;
                file_digests.insert(form.source.file, d.clone());
                d
            }
        };
        let votes: Map<String, Value> = set
            .layout(form)
            .iter()
            .zip(set.votes(form))
            .map(|(&c, v)| (e.candidate(c).id.clone(), json!(v)))
            .collect();
        entries.push(json!({
            "station": station,
            "ballot": ballot,
            "phase": form.key.phase.as_str(),
            "version": form.key.version,
            "ballots_found": form.ballots_found,
            "blank": form.blank,
            "invalid": form.invalid,
            "votes": votes,
            "file": file,
            "sha256": digest,
        }));
    }
    diags.sort();
    Ok((entries, diags))
}

pub(crate) fn record(args: &RecordArgs) -> Exit {
    let mut state = match read_state(&args.state) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let checked = match load_checked(&args.package) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let m = match model_for_state(&checked, &state) {
        Ok((m, _)) => m,
        Err(exit) => return exit,
    };
    if m.method == AuditMethod::Bravo {
        return bravo_record(args, state, &m);
    }
    let (entries, diags) = match record_forms(&state, &checked, &args.forms) {
        Ok(x) => x,
        Err(msg) => return fail(Exit::InputErrors, &msg),
    };
    eprint_lines(&diagnostics_text(&diags));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let n = entries.len();
    if n > 0 {
        let Some(last) =
            state.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
        else {
            return fail(Exit::InputErrors, "no round has been drawn");
        };
        if let Some(counts) = last.get_mut("counts").and_then(Value::as_array_mut) {
            counts.extend(entries);
            counts.sort_by(|a, b| {
                (str_of(a, "station"), str_of(a, "ballot"))
                    .cmp(&(str_of(b, "station"), str_of(b, "ballot")))
            });
        }
        if let Err(exit) = write_state(&args.state, &state) {
            return exit;
        }
    }
    let waiting = awaiting(&state);
    println!(
        "Recorded {n} hand count(s); {errors} form(s) refused. Sampled stations still to count: {}{}",
        waiting.len(),
        if waiting.is_empty() { String::new() } else { format!(" ({})", waiting.join(" ")) }
    );
    if errors > 0 { Exit::InputErrors } else { Exit::Ok }
}

/// Sampled stations without a recorded hand count.
fn awaiting(state: &Value) -> Vec<String> {
    let rounds = arr(state, "rounds");
    let counted: BTreeSet<&str> =
        rounds.iter().flat_map(|r| arr(r, "counts")).map(|c| str_of(c, "station")).collect();
    let sampled: BTreeSet<&str> = rounds
        .iter()
        .flat_map(|r| arr(r, "sample"))
        .flat_map(|s| arr(s, "draws"))
        .map(|d| str_of(d, "id"))
        .collect();
    sampled.difference(&counted).map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// assess

/// The assessment of the last round: per contest the MACRO p-value over every draw so far.
fn assessment(state: &Value, checked: &Checked, m: &Model, alpha: f64) -> Result<Value, String> {
    let rounds = arr(state, "rounds");
    let Some(last) = rounds.last() else {
        return Err("no round has been drawn: run psephos audit draw first".to_owned());
    };
    if last.get("assessment").is_some() {
        return Err(format!("round {} is already assessed", rounds.len()));
    }
    if m.method == AuditMethod::Bravo {
        return bravo_assessment(state, m, alpha);
    }
    let e = &checked.package.election;
    // Hand counts by station: candidate id → votes.
    let mut counts: HashMap<&str, Vec<&Map<String, Value>>> = HashMap::new();
    for c in rounds.iter().flat_map(|r| arr(r, "counts")) {
        if let Some(v) = c.get("votes").and_then(Value::as_object) {
            counts.entry(str_of(c, "station")).or_default().push(v);
        }
    }
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for c in &m.contests {
        if c.status != Status::Audit {
            out.push(json!({"contest": c.id, "status": c.status.as_str()}));
            continue;
        }
        let ids: Vec<&str> = c.candidates.iter().map(|&k| e.candidate(k).id.as_str()).collect();
        let mut draws = Vec::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut overstatements = Vec::new();
        for d in rounds
            .iter()
            .flat_map(|r| arr(r, "sample"))
            .filter(|s| str_of(s, "contest") == c.id)
            .flat_map(|s| arr(s, "draws"))
        {
            let sid = str_of(d, "id");
            let Some(&k) = c.by_id.get(sid) else {
                return Err(format!("contest {}: drawn station {sid} is not in the plan", c.id));
            };
            let st = &c.stations[k];
            let hand = counts
                .get(sid)
                .and_then(|forms| forms.iter().find(|f| ids.iter().all(|id| f.contains_key(*id))));
            let Some(hand) = hand else {
                missing.insert(sid.to_owned());
                continue;
            };
            let a: Vec<i128> =
                ids.iter().map(|id| i128::from(hand[*id].as_u64().unwrap_or(0))).collect();
            // e_p = max over pairs ((v_w − v_ℓ) − (a_w − a_ℓ)) / V'_wℓ, exactly.
            let mut best: Option<(i128, i128, usize)> = None;
            for (j, &(w, l, v)) in c.pairs.iter().enumerate() {
                let delta = (i128::from(st.votes[w]) - i128::from(st.votes[l])) - (a[w] - a[l]);
                let den = c.reduced(v);
                if best.is_none_or(|(bn, bd, _)| delta * bd > bn * den) {
                    best = Some((delta, den, j));
                }
            }
            let (en, ed, j) = best.unwrap_or((0, 1, 0));
            draws.push(Drawn {
                max_error: st.u_num as f64 / st.u_den as f64,
                error: en as f64 / ed as f64,
            });
            if en != 0 && seen.insert(sid) {
                let (w, l, _) = c.pairs[j];
                overstatements.push(json!({
                    "station": sid,
                    "e": frac_text(en, ed as u128),
                    "votes": en.to_string(),
                    "winner": ids[w],
                    "loser": ids[l],
                    "u": frac_text(i128::from(st.u_num), u128::from(st.u_den)),
                }));
            }
            seen.insert(sid);
        }
        if !missing.is_empty() {
            continue;
        }
        let frame = c.frame();
        let all_counted = frame > 0
            && c.stations.iter().filter(|s| s.u_num > 0).all(|s| seen.contains(s.id.as_str()));
        let p = macro_batch::p_value(c.total_bound, &draws, all_counted);
        let mut o = json!({
            "contest": c.id,
            "draws": draws.len(),
            "stations_counted": seen.len(),
            "risk": fl(p),
            "overstatements": overstatements,
        });
        if p <= alpha {
            o["status"] = json!("confirmed");
        } else {
            let n = macro_batch::sample_size(alpha, c.total_bound, p, frame)
                .map_err(|e| e.to_string())?;
            if n >= frame {
                o["status"] = json!("full hand count");
            } else {
                o["status"] = json!("continue");
                o["next_round"] = json!(n);
            }
        }
        out.push(o);
    }
    if !missing.is_empty() {
        return Err(format!(
            "{} sampled station(s) have no recorded hand count: {}",
            missing.len(),
            missing.into_iter().collect::<Vec<_>>().join(" ")
        ));
    }
    Ok(json!({"risk_limit": fl(alpha), "contests": out}))
}

pub(crate) fn assess(args: &AssessArgs) -> Exit {
    let mut state = match read_state(&args.state) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let checked = match load_checked(&args.package) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (m, alpha) = match model_for_state(&checked, &state) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let a = match assessment(&state, &checked, &m, alpha) {
        Ok(a) => a,
        Err(msg) => return fail(Exit::InputErrors, &msg),
    };
    let summary = assessment_summary(&a);
    if let Some(last) =
        state.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
    {
        last["assessment"] = a;
    }
    if let Err(exit) = write_state(&args.state, &state) {
        return exit;
    }
    print!("{summary}");
    Exit::Ok
}

fn assessment_summary(a: &Value) -> String {
    let mut s = String::new();
    for c in arr(a, "contests") {
        let status = str_of(c, "status");
        s.push_str(&format!("{}: {status}", str_of(c, "contest")));
        if let Some(r) = c.get("risk").and_then(Value::as_str) {
            s.push_str(&format!(" (risk {r} after {} draw(s)", c["draws"]));
            let over = arr(c, "overstatements").len();
            if over > 0 {
                s.push_str(&format!(", {over} station(s) overstate a margin"));
            }
            s.push(')');
        }
        if let Some(n) = c.get("next_round") {
            s.push_str(&format!("; next round: {n} draw(s)"));
        }
        s.push('\n');
    }
    s
}

// ---------------------------------------------------------------------------------------------
// verify

/// The first path where two JSON values differ.
fn first_difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(&p, u, v) {
                            return Some(d);
                        }
                    }
                    (Some(_), None) => return Some(format!("{p}: in the file, not recomputed")),
                    (None, Some(_)) => return Some(format!("{p}: recomputed, not in the file")),
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(&format!("{path}[{i}]"), u, v) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| {
                format!("{path}: {} element(s) in the file, {} recomputed", x.len(), y.len())
            })
        }
        _ => (a != b).then(|| format!("{path}: the file has {a}, recomputed {b}")),
    }
}

pub(crate) fn verify(args: &VerifyArgs) -> Exit {
    let state = match read_state(&args.state) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    let checked = match load_checked(&args.package) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (m, alpha) = match model_for_state(&checked, &state) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    let differ = |what: &str| -> Exit {
        fail(Exit::InputErrors, &format!("the state file does not replay: {what}"))
    };
    // The plan.
    let plan = plan_json(&checked, &m, alpha);
    if let Some(d) = first_difference("plan", &state["plan"], &plan) {
        return differ(&d);
    }
    // Every round, replayed from the seed, the recorded files and the package.
    let mut replay = json!({"psephos": state["psephos"], "plan": plan, "rounds": []});
    let seed = state.get("seed").and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(s) = state.get("seed") {
        replay["seed"] = s.clone();
    }
    for (k, round) in arr(&state, "rounds").iter().enumerate() {
        let mut fresh = match next_round(&replay, &m, &seed) {
            Ok(r) => r,
            Err(msg) => return differ(&format!("rounds[{k}]: {msg}")),
        };
        // Targeted additions: the file must be unchanged and give the same stations.
        if let Some(t) = round.get("targets_file") {
            let path = PathBuf::from(str_of(t, "file"));
            let n = arr(round, "targeted").len();
            match targeted_additions(&path, n, &checked, &replay, &fresh) {
                Ok((ids, digest)) => {
                    if digest != str_of(t, "sha256") {
                        return differ(&format!(
                            "rounds[{k}]: the targets file {} changed since the draw",
                            path.display()
                        ));
                    }
                    add_targeted(&mut fresh, &ids, &path, &digest);
                }
                Err(msg) => return differ(&format!("rounds[{k}]: {msg}")),
            }
        }
        for key in ["round", "sample", "stations", "ballots", "targeted"] {
            if let Some(d) =
                first_difference(&format!("rounds[{k}].{key}"), &round[key], &fresh[key])
            {
                return differ(&d);
            }
        }
        if let Some(rs) = replay.get_mut("rounds").and_then(Value::as_array_mut) {
            rs.push(fresh);
        }
        if m.method == AuditMethod::Bravo {
            if let Err(d) = bravo_replay_interpretations(&mut replay, round, k, &m) {
                return differ(&d);
            }
        } else if let Err(d) = replay_counts(&mut replay, round, k, &checked) {
            return differ(&d);
        }
        if let Some(stored) = round.get("assessment") {
            let a = match assessment(&replay, &checked, &m, alpha) {
                Ok(a) => a,
                Err(msg) => return differ(&format!("rounds[{k}].assessment: {msg}")),
            };
            if let Some(d) = first_difference(&format!("rounds[{k}].assessment"), stored, &a) {
                return differ(&d);
            }
            if let Some(last) =
                replay.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
            {
                last["assessment"] = a;
            }
        }
    }
    if let Some(d) = first_difference("", &state, &replay) {
        return differ(&d);
    }
    println!(
        "The state file replays: plan, {} round(s), every draw, hand count and assessment recomputed identically.",
        arr(&state, "rounds").len()
    );
    Exit::Ok
}

/// Replays a MACRO round's hand counts into `replay`: every recorded file must still have its
/// digest and give its counts.
fn replay_counts(
    replay: &mut Value,
    round: &Value,
    k: usize,
    checked: &Checked,
) -> Result<(), String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for c in arr(round, "counts") {
        let f = PathBuf::from(str_of(c, "file"));
        match sha256_file(&f) {
            Ok(d) if d == str_of(c, "sha256") => {}
            Ok(d) => {
                return Err(format!(
                    "rounds[{k}].counts: {} now has SHA-256 {d}, recorded {}",
                    f.display(),
                    str_of(c, "sha256")
                ));
            }
            Err(e) => return Err(format!("rounds[{k}].counts: {}: {e}", f.display())),
        }
        if !files.contains(&f) {
            files.push(f);
        }
    }
    let mut counts = Vec::new();
    if !files.is_empty() {
        match record_forms(replay, checked, &files) {
            Ok((entries, _)) => counts = entries,
            Err(msg) => return Err(format!("rounds[{k}].counts: {msg}")),
        }
    }
    // Only the forms that were recorded (a file may hold forms that were refused).
    let recorded: BTreeSet<(String, String)> = arr(round, "counts")
        .iter()
        .map(|c| (str_of(c, "station").to_owned(), str_of(c, "ballot").to_owned()))
        .collect();
    counts.retain(|c| {
        recorded.contains(&(str_of(c, "station").to_owned(), str_of(c, "ballot").to_owned()))
    });
    counts.sort_by(|a, b| {
        (str_of(a, "station"), str_of(a, "ballot"))
            .cmp(&(str_of(b, "station"), str_of(b, "ballot")))
    });
    let counts = Value::Array(counts);
    if let Some(d) = first_difference(&format!("rounds[{k}].counts"), &round["counts"], &counts) {
        return Err(d);
    }
    if let Some(last) =
        replay.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
    {
        last["counts"] = counts;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Ballot polling (BRAVO): ballots drawn from the manifest, interpreted by hand.

/// Interpretations recorded so far: (contest, ballot) → candidate ("" blank, NOT_FOUND).
fn interpreted(state: &Value) -> HashMap<(&str, &str), &str> {
    arr(state, "rounds")
        .iter()
        .flat_map(|r| arr(r, "interpretations"))
        .map(|i| ((str_of(i, "contest"), str_of(i, "ballot")), str_of(i, "candidate")))
        .collect()
}

/// The next BRAVO round: per contest, `n` more draws of the consistent sampler's stream.
fn bravo_next_round(
    state: &Value,
    m: &Model,
    seed: &str,
    sizes: Vec<(String, u64)>,
) -> Result<Value, String> {
    let done = interpreted(state);
    let mut sample = Vec::new();
    let mut fetch: BTreeSet<(String, u64, String)> = BTreeSet::new();
    for (id, n) in sizes {
        let Some(c) = m.contests.iter().find(|c| c.id == id) else {
            return Err(format!("contest {id} is not in the plan"));
        };
        let prior = drawn_so_far(state, &id);
        let ids = c.manifest_ids();
        let take = usize::try_from(n).map_err(|_| "round size too large")?;
        let opts = SampleOptions { with_replacement: true, drop: prior, take };
        let draws: Vec<Value> = consistent_sample(&ids, seed, opts)
            .iter()
            .map(|d| {
                let bid = ids[d.index].as_str();
                if c.ballot_in_manifest(bid) == Some(false) && !done.contains_key(&(&*id, bid)) {
                    let (st, pos, _) = ballot_key(bid);
                    fetch.insert((st.to_owned(), pos, bid.to_owned()));
                }
                json!({"id": bid, "ticket": trim(&d.ticket, BRAVO_DIGITS), "generation": d.generation})
            })
            .collect();
        sample.push(json!({"contest": id, "draws": draws}));
    }
    let stations: BTreeSet<&str> = fetch.iter().map(|f| f.0.as_str()).collect();
    Ok(json!({
        "round": arr(state, "rounds").len() + 1,
        "sample": sample,
        "stations": stations.into_iter().collect::<Vec<_>>(),
        "ballots": fetch.iter().map(|f| f.2.as_str()).collect::<Vec<_>>(),
        "interpretations": [],
    }))
}

/// The interpretation entries read from `paths` against `state`, and the diagnostics; nothing
/// is to be recorded when any diagnostic is an error.
fn bravo_interpretations(
    state: &Value,
    m: &Model,
    paths: &[PathBuf],
) -> Result<(Vec<Value>, Vec<Diagnostic>), String> {
    let rounds = arr(state, "rounds");
    let Some(last) = rounds.last() else {
        return Err("no round has been drawn: run psephos audit draw first".to_owned());
    };
    if last.get("assessment").is_some() {
        return Err(format!(
            "round {} is already assessed; draw the next round before recording more interpretations",
            rounds.len()
        ));
    }
    let drawn: BTreeSet<(&str, &str)> = rounds
        .iter()
        .flat_map(|r| arr(r, "sample"))
        .flat_map(|s| arr(s, "draws").iter().map(move |d| (str_of(s, "contest"), str_of(d, "id"))))
        .collect();
    let done = interpreted(state);
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut entries = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let digest = match sha256_file(path) {
            Ok(d) => d,
            Err(err) => {
                diags.push(
                    Diagnostic::new(
                        Code::AuditInterpretation,
                        format!("cannot read the file: {err}"),
                    )
                    .in_file(&name),
                );
                continue;
            }
        };
        let (rows, read_diags) = psephos_io::read_interpretations(path, &name);
        diags.extend(read_diags);
        for row in rows {
            let bad = |code: Code, field: &str, msg: String| {
                Diagnostic::new(code, msg).at(&name, row.line).field(field)
            };
            let Some(c) = m.contests.iter().find(|c| c.id == row.contest) else {
                diags.push(bad(
                    Code::AuditInterpretation,
                    "contest",
                    format!("contest {:?} is not in the audit's plan", row.contest),
                ));
                continue;
            };
            match c.ballot_in_manifest(&row.ballot_id) {
                None => {
                    diags.push(bad(
                        Code::AuditInterpretation,
                        "ballot_id",
                        format!(
                            "{:?} is not a ballot of contest {}'s manifest (STATION:POSITION, position from 1 to the station's ballots)",
                            row.ballot_id, c.id
                        ),
                    ));
                    continue;
                }
                Some(true) => {
                    diags.push(bad(
                        Code::AuditInterpretation,
                        "ballot_id",
                        format!(
                            "{} is a ballot of a station without a counted form: the audit counts it as not found; nothing to record",
                            row.ballot_id
                        ),
                    ));
                    continue;
                }
                Some(false) => {}
            }
            if !drawn.contains(&(c.id.as_str(), row.ballot_id.as_str())) {
                diags.push(bad(
                    Code::AuditNotSampled,
                    "ballot_id",
                    format!("ballot {} was not drawn for contest {}", row.ballot_id, c.id),
                ));
                continue;
            }
            let known = row.candidate.is_empty()
                || row.candidate == psephos_io::NOT_FOUND
                || c.candidate_ids.contains(&row.candidate);
            if !known {
                diags.push(bad(
                    Code::AuditInterpretation,
                    "candidate",
                    format!(
                        "{:?} is not a candidate of contest {} (empty for a blank or invalid ballot, NOT_FOUND for a ballot not found)",
                        row.candidate, c.id
                    ),
                ));
                continue;
            }
            let key = (c.id.clone(), row.ballot_id.clone());
            if done.contains_key(&(c.id.as_str(), row.ballot_id.as_str())) || !seen.insert(key) {
                diags.push(bad(
                    Code::AuditRecordedTwice,
                    "ballot_id",
                    format!(
                        "ballot {} of contest {} is already interpreted; the first interpretation stays",
                        row.ballot_id, c.id
                    ),
                ));
                continue;
            }
            entries.push(json!({
                "contest": c.id,
                "ballot": row.ballot_id,
                "candidate": row.candidate,
                "file": name,
                "sha256": digest,
            }));
        }
    }
    diags.sort();
    sort_interpretations(&mut entries);
    Ok((entries, diags))
}

fn sort_interpretations(entries: &mut [Value]) {
    entries.sort_by(|a, b| {
        (str_of(a, "contest"), ballot_key(str_of(a, "ballot")))
            .cmp(&(str_of(b, "contest"), ballot_key(str_of(b, "ballot"))))
    });
}

/// Drawn ballots (not phantom) without an interpretation, as `CONTEST BALLOT`.
fn bravo_awaiting(state: &Value, m: &Model) -> Vec<String> {
    let done = interpreted(state);
    let mut out: BTreeSet<(&str, (&str, u64, &str))> = BTreeSet::new();
    for s in arr(state, "rounds").iter().flat_map(|r| arr(r, "sample")) {
        let contest = str_of(s, "contest");
        let Some(c) = m.contests.iter().find(|c| c.id == contest) else { continue };
        for d in arr(s, "draws") {
            let id = str_of(d, "id");
            if c.ballot_in_manifest(id) == Some(false) && !done.contains_key(&(contest, id)) {
                out.insert((contest, ballot_key(id)));
            }
        }
    }
    out.into_iter().map(|(c, (st, _, p))| format!("{c} {st}:{p}")).collect()
}

fn bravo_record(args: &RecordArgs, mut state: Value, m: &Model) -> Exit {
    let (entries, diags) = match bravo_interpretations(&state, m, &args.forms) {
        Ok(x) => x,
        Err(msg) => return fail(Exit::InputErrors, &msg),
    };
    eprint_lines(&diagnostics_text(&diags));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        let waiting = bravo_awaiting(&state, m);
        println!(
            "Nothing recorded: {errors} problem(s) in the interpretation file(s). Drawn ballots still to interpret: {}",
            waiting.len()
        );
        return Exit::InputErrors;
    }
    let n = entries.len();
    if n > 0 {
        let Some(last) =
            state.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
        else {
            return fail(Exit::InputErrors, "no round has been drawn");
        };
        if let Some(list) = last.get_mut("interpretations").and_then(Value::as_array_mut) {
            list.extend(entries);
            sort_interpretations(list);
        }
        if let Err(exit) = write_state(&args.state, &state) {
            return exit;
        }
    }
    let waiting = bravo_awaiting(&state, m);
    println!(
        "Recorded {n} ballot interpretation(s). Drawn ballots still to interpret: {}{}",
        waiting.len(),
        if waiting.is_empty() || waiting.len() > 50 {
            String::new()
        } else {
            format!(" ({})", waiting.join(", "))
        }
    );
    Exit::Ok
}

/// The assessment of the last BRAVO round: per contest and pair the p-value over every draw
/// so far (a ballot drawn twice counts twice; a ballot not found, or a phantom ballot, counts
/// for every loser), confirmed when every pair's p-value is at most α.
fn bravo_assessment(state: &Value, m: &Model, alpha: f64) -> Result<Value, String> {
    let done = interpreted(state);
    let rounds = arr(state, "rounds");
    let mut missing: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for c in &m.contests {
        if c.status != Status::Audit {
            out.push(json!({"contest": c.id, "status": c.status.as_str()}));
            continue;
        }
        let mut sample = vec![0u64; c.candidates.len()];
        let (mut draws, mut blank, mut not_found, mut phantom) = (0u64, 0u64, 0u64, 0u64);
        for d in rounds
            .iter()
            .flat_map(|r| arr(r, "sample"))
            .filter(|s| str_of(s, "contest") == c.id)
            .flat_map(|s| arr(s, "draws"))
        {
            let id = str_of(d, "id");
            draws += 1;
            match c.ballot_in_manifest(id) {
                None => {
                    return Err(format!(
                        "contest {}: drawn ballot {id} is not in the manifest",
                        c.id
                    ));
                }
                Some(true) => {
                    phantom += 1;
                    not_found += 1;
                }
                Some(false) => match done.get(&(c.id.as_str(), id)) {
                    None => missing.push(format!("{} {id}", c.id)),
                    Some(&"") => blank += 1,
                    Some(&cand) if cand == psephos_io::NOT_FOUND => not_found += 1,
                    Some(&cand) => {
                        let Some(k) = c.candidate_ids.iter().position(|x| x == cand) else {
                            return Err(format!(
                                "contest {}: ballot {id} is interpreted for {cand}, not a candidate",
                                c.id
                            ));
                        };
                        sample[k] += 1;
                    }
                },
            }
        }
        if !missing.is_empty() {
            continue;
        }
        let n_ballots = c.manifest_ballots();
        let mut assertions = Vec::new();
        let mut risk = 0.0f64;
        let mut next = 0u64;
        for &(w, l, _) in &c.pairs {
            let (n_w, n_l) = (sample[w], sample[l] + not_found);
            let p = bravo::pair_p_value(c.totals[w], c.totals[l], n_w, n_l)
                .map_err(|e| format!("contest {}: {e}", c.id))?;
            risk = risk.max(p);
            if p > alpha {
                let size = bravo::pair_quantile_size(
                    alpha,
                    c.totals[w],
                    c.totals[l],
                    n_ballots,
                    n_w,
                    n_l,
                    BRAVO_QUANTILE,
                )
                .map_err(|e| format!("contest {}: {e}", c.id))?;
                next = next.max(size.max(1));
            }
            assertions.push(json!({
                "winner": c.candidate_ids[w],
                "loser": c.candidate_ids[l],
                "winner_ballots": n_w,
                "loser_ballots": n_l,
                "p_value": fl(p),
            }));
        }
        let mut o = json!({
            "contest": c.id,
            "draws": draws,
            "risk": fl(risk),
            "sample": Value::Object(
                c.candidate_ids.iter().zip(&sample).map(|(id, &n)| (id.clone(), json!(n))).collect()
            ),
            "blank": blank,
            "not_found": not_found,
            "phantom": phantom,
            "assertions": assertions,
        });
        // Every pair's p-value is at most α exactly when the largest is.
        if risk <= alpha {
            o["status"] = json!("confirmed");
        } else if draws.saturating_add(next) >= n_ballots {
            o["status"] = json!("full hand count");
        } else {
            o["status"] = json!("continue");
            o["next_round"] = json!(next);
        }
        out.push(o);
    }
    if !missing.is_empty() {
        return Err(format!(
            "{} drawn ballot(s) have no recorded interpretation: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    Ok(json!({"risk_limit": fl(alpha), "contests": out}))
}

/// Replays a BRAVO round's interpretations into `replay`: every file must still have its
/// digest and give the recorded interpretations, without a problem.
fn bravo_replay_interpretations(
    replay: &mut Value,
    round: &Value,
    k: usize,
    m: &Model,
) -> Result<(), String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for i in arr(round, "interpretations") {
        let f = PathBuf::from(str_of(i, "file"));
        if files.contains(&f) {
            continue;
        }
        match sha256_file(&f) {
            Ok(d) if d == str_of(i, "sha256") => {}
            Ok(d) => {
                return Err(format!(
                    "rounds[{k}].interpretations: {} now has SHA-256 {d}, recorded {}",
                    f.display(),
                    str_of(i, "sha256")
                ));
            }
            Err(e) => return Err(format!("rounds[{k}].interpretations: {}: {e}", f.display())),
        }
        files.push(f);
    }
    let mut entries = Vec::new();
    if !files.is_empty() {
        let (fresh, diags) = bravo_interpretations(replay, m, &files)
            .map_err(|msg| format!("rounds[{k}].interpretations: {msg}"))?;
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            return Err(format!("rounds[{k}].interpretations: {d}"));
        }
        entries = fresh;
    }
    let entries = Value::Array(entries);
    if let Some(d) = first_difference(
        &format!("rounds[{k}].interpretations"),
        &round["interpretations"],
        &entries,
    ) {
        return Err(d);
    }
    if let Some(last) =
        replay.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
    {
        last["interpretations"] = entries;
    }
    Ok(())
}
