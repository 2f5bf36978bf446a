//! `psephos audit plan | draw | record | assess | verify`: a station-level risk-limiting audit
//! (MACRO with PPEB sampling, rla.md §3.3) kept in one append-only, replayable state file.
//! Design and file format: `docs/internals/audit-workflow.md`.
//!
//! Votes and error bounds are exact integers and fractions; only risk values (U, p-values,
//! diluted margins) are floats, written as the shortest text that reads back to the same `f64`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use clap::Args;
use psephos_audit::macro_batch::{self, Drawn};
use psephos_audit::sampling::{Weight, weighted_sample};
use psephos_count::StationStatus;
use psephos_model::{CandidateIdx, Code, ContestIdx, Diagnostic, Method, Phase, StationIdx};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::output::diagnostics_text;
use crate::pipeline::{Checked, Stop, check};
use crate::{Exit, eprint_lines};

#[derive(Args)]
pub(crate) struct PlanArgs {
    /// The election package directory.
    pub(crate) package: PathBuf,
    /// The risk limit α: a fraction (0.05) or a percentage (5%).
    #[arg(long, value_name = "A")]
    pub(crate) risk_limit: String,
    /// The audit method: `macro` (stations, batch comparison with PPEB sampling).
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
}

#[derive(Args)]
pub(crate) struct RecordArgs {
    /// The audit's state file.
    pub(crate) state: PathBuf,
    /// The election package directory (to read the forms against).
    pub(crate) package: PathBuf,
    /// Hand-count result files or directories (any result format; phase manual or recount).
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

struct ContestModel {
    id: String,
    seats: u32,
    /// The contest's candidates; votes are indexed like this.
    candidates: Vec<CandidateIdx>,
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
    round_1: u64,
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
}

struct Model {
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
                        "--contests: {id} is not an SNTV contest; station-level MACRO audits support SNTV contests only"
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
fn model(checked: &Checked, contests: &[ContestIdx], alpha: f64) -> Result<Model, String> {
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
                    "method {}: station-level MACRO audits support SNTV contests only",
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
                        models[m].unaccounted += u64::from(e.station(station).registered);
                        models[m].uncounted_stations += 1;
                    }
                }
            }
        }
    }
    for m in &mut models {
        m.stations.sort_by(|x, y| x.id.cmp(&y.id));
        m.by_id = m.stations.iter().enumerate().map(|(k, s)| (s.id.clone(), k)).collect();
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
    Ok(Model { contests: models, skipped, digests })
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
    json!({
        "risk_limit": fl(alpha),
        "method": "macro",
        "unit": "stations",
        "sampler": "weighted consistent sampler (docs/internals/sampling.md §4), with replacement, probability ∝ u_p, per contest",
        "digests": m.digests,
        "contests": contests,
        "skipped": skipped,
    })
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
    if method != "macro" {
        return Err(fail(Exit::InputErrors, &format!("unsupported audit method {method:?}")));
    }
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
    let m = model(checked, &contests, alpha).map_err(|msg| fail(Exit::InputErrors, &msg))?;
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
    if args.method != "macro" {
        return fail(
            Exit::Usage,
            &format!(
                "--method {:?}: only macro (station-level batch comparison) is implemented",
                args.method
            ),
        );
    }
    if args.out.exists() {
        return fail(
            Exit::Usage,
            &format!(
                "{} exists: an audit's state file is never replaced by a new plan; choose another --out",
                args.out.display()
            ),
        );
    }
    let (state, text) = match plan_state(&args.package, alpha, args.contests.as_deref()) {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    if let Err(exit) = write_state(&args.out, &state) {
        return exit;
    }
    print!("{text}");
    Exit::Ok
}

/// The state file of a new plan and its summary (also used by `psephos demo`).
pub(crate) fn plan_state(
    package: &Path,
    alpha: f64,
    contests: Option<&str>,
) -> Result<(Value, String), Exit> {
    let checked = load_checked(package)?;
    plan_from_checked(&checked, alpha, contests)
}

pub(crate) fn plan_from_checked(
    checked: &Checked,
    alpha: f64,
    contests: Option<&str>,
) -> Result<(Value, String), Exit> {
    if checked.errors() > 0 {
        eprint_lines(&diagnostics_text(&checked.diagnostics));
        return Err(fail(
            Exit::InputErrors,
            "the package has errors: an audit checks a count that stands; correct them first",
        ));
    }
    let list = parse_contests(checked, contests).map_err(|m| fail(Exit::Usage, &m))?;
    let m = model(checked, &list, alpha).map_err(|msg| fail(Exit::InputErrors, &msg))?;
    let state = json!({
        "psephos": env!("CARGO_PKG_VERSION"),
        "plan": plan_json(checked, &m, alpha),
        "rounds": [],
    });
    Ok((state, plan_summary(&m, alpha)))
}

fn plan_summary(m: &Model, alpha: f64) -> String {
    let audited: Vec<&ContestModel> =
        m.contests.iter().filter(|c| c.status == Status::Audit).collect();
    let full = m.contests.iter().filter(|c| c.status == Status::FullHandCount).count();
    let draws: u64 = audited.iter().map(|c| c.round_1).sum();
    let mut s = format!(
        "Audit plan (MACRO, stations drawn with probability proportional to their error bound, risk limit {}): {} contest(s) to audit with {draws} draw(s) in round 1; {full} contest(s) need a full hand count; {} not audited.\n",
        fl(alpha),
        audited.len(),
        m.skipped.len()
    );
    for c in &m.contests {
        match c.status {
            Status::Audit => s.push_str(&format!(
                "  {}: U = {:.3}, round 1: {} draw(s) of {} stations\n",
                c.id,
                c.total_bound,
                c.round_1,
                c.frame()
            )),
            _ => s.push_str(&format!("  {}: {} ({})\n", c.id, c.status.as_str(), c.reason)),
        }
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
    let round = match next_round(&state, &m, &seed) {
        Ok(r) => r,
        Err(msg) => return fail(Exit::InputErrors, &msg),
    };
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

fn round_summary(round: &Value) -> String {
    let draws: usize = arr(round, "sample").iter().map(|s| arr(s, "draws").len()).sum();
    let stations: Vec<&str> = arr(round, "stations").iter().filter_map(Value::as_str).collect();
    format!(
        "Round {}: {draws} draw(s) in {} contest(s); {} station(s) to hand count: {}\n",
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
    let sampled: BTreeSet<&str> = rounds
        .iter()
        .flat_map(|r| arr(r, "sample"))
        .flat_map(|s| arr(s, "draws"))
        .map(|d| str_of(d, "id"))
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
    if let Err(exit) = model_for_state(&checked, &state) {
        return exit;
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
        let fresh = match next_round(&replay, &m, &seed) {
            Ok(r) => r,
            Err(msg) => return differ(&format!("rounds[{k}]: {msg}")),
        };
        for key in ["round", "sample", "stations"] {
            if let Some(d) =
                first_difference(&format!("rounds[{k}].{key}"), &round[key], &fresh[key])
            {
                return differ(&d);
            }
        }
        if let Some(rs) = replay.get_mut("rounds").and_then(Value::as_array_mut) {
            rs.push(fresh);
        }
        // The hand counts: every recorded file must still have its digest and give its counts.
        let mut files: Vec<PathBuf> = Vec::new();
        for c in arr(round, "counts") {
            let f = PathBuf::from(str_of(c, "file"));
            match sha256_file(&f) {
                Ok(d) if d == str_of(c, "sha256") => {}
                Ok(d) => {
                    return differ(&format!(
                        "rounds[{k}].counts: {} now has SHA-256 {d}, recorded {}",
                        f.display(),
                        str_of(c, "sha256")
                    ));
                }
                Err(e) => return differ(&format!("rounds[{k}].counts: {}: {e}", f.display())),
            }
            if !files.contains(&f) {
                files.push(f);
            }
        }
        let mut counts = Vec::new();
        if !files.is_empty() {
            match record_forms(&replay, &checked, &files) {
                Ok((entries, _)) => counts = entries,
                Err(msg) => return differ(&format!("rounds[{k}].counts: {msg}")),
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
        if let Some(d) = first_difference(&format!("rounds[{k}].counts"), &round["counts"], &counts)
        {
            return differ(&d);
        }
        if let Some(last) =
            replay.get_mut("rounds").and_then(Value::as_array_mut).and_then(|r| r.last_mut())
        {
            last["counts"] = counts;
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
