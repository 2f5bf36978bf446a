//! Reconciliation of counting phases: what a hand count, a recount or a correction shows against
//! the count it checks, station by station, and whether it changes any seat.
//!
//! For every station ballot with forms in two or more phases, each pair of phases is compared
//! count by count (ballots found, blank, invalid, every candidate) and classified as identical,
//! within a declared tolerance, or discrepant. The reported count (electronic where present) is
//! set against the hand count (correction, recount or manual where present) with the pairwise
//! overstatement algebra of Stark 2008 (rla.md §3.4): for a winner w and a loser ℓ of a contest
//! on the ballot, with reported votes v and hand-counted votes a at station p,
//!
//! δ_pwℓ = (v_w − v_ℓ) − (a_w − a_ℓ),  e_p = max δ_pwℓ / V_wℓ,  u_p = max (v_w − v_ℓ + b_p) / V_wℓ,
//!
//! where V_wℓ is the reported margin between w and ℓ and b_p the station's reported ballots. The
//! decisive answer comes from allocating twice with the existing allocation code: once from the
//! reported forms (`electronic > manual > recount > correction`) and once from the hand counts
//! (`correction > recount > manual > electronic`), and comparing the seats.
//!
//! Everything is integer arithmetic; e_p and u_p are exact fractions.

use std::cmp::Ordering;

use psephos_model::{
    CandidateIdx, ContestIdx, Election, Form, FormSet, Method, Phase, PhasePolicy, StationIdx,
};

use crate::allocate::{Allocation, Reason, allocate_with_ranked};
use crate::ranked::RankedBallots;
use crate::select::{StationStatus, select};
use crate::tabulate::{Tabulation, tabulate};
use crate::validate::{FormStatus, Validation};

/// The reported count: the tabulator's where there is one.
pub fn reported_policy() -> PhasePolicy {
    PhasePolicy {
        precedence: vec![Phase::Electronic, Phase::Manual, Phase::Recount, Phase::Correction],
    }
}

/// The hand count: the latest hand count where there is one, else the tabulator's.
pub fn hand_policy() -> PhasePolicy {
    PhasePolicy {
        precedence: vec![Phase::Correction, Phase::Recount, Phase::Manual, Phase::Electronic],
    }
}

/// How two forms of one station ballot compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Every count is the same.
    Identical,
    /// Some count differs, but none by more than the tolerance.
    WithinTolerance,
    /// Some count differs by more than the tolerance.
    Discrepant,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Identical => "identical",
            Class::WithinTolerance => "within-tolerance",
            Class::Discrepant => "discrepant",
        }
    }
}

/// One count that differs between two forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountDiff {
    pub candidate: CandidateIdx,
    /// Votes on the earlier phase's form.
    pub from: u32,
    /// Votes on the later phase's form.
    pub to: u32,
}

/// Two phases of one station ballot, the earlier (in the order electronic, manual, recount,
/// correction) against the later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhaseComparison {
    pub from: Phase,
    pub to: Phase,
    /// Form indices into the set.
    pub from_form: u32,
    pub to_form: u32,
    /// (earlier, later) ballots found, blank and invalid.
    pub ballots_found: (u32, u32),
    pub blank: (u32, u32),
    pub invalid: (u32, u32),
    /// The candidates whose votes differ, in ballot order.
    pub candidates: Vec<CountDiff>,
    /// The largest difference of any one count (ballots, blank, invalid or a candidate's).
    pub largest: u64,
    /// Sum of the absolute differences of the candidates' votes.
    pub votes_changed: u64,
    pub class: Class,
}

/// A non-negative or negative exact fraction `num / den` (den > 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    pub num: i128,
    pub den: u128,
}

impl Fraction {
    fn cmp_to(&self, other: &Fraction) -> Ordering {
        // Both denominators are vote margins (below 2^64), so products fit in i128.
        (self.num * other.den as i128).cmp(&(other.num * self.den as i128))
    }

    /// The value with `places` decimals, rounded half away from zero (for display).
    pub fn decimal(&self, places: u32) -> String {
        let scale = 10i128.pow(places);
        let den = self.den as i128;
        let neg = self.num < 0;
        let abs = self.num.abs();
        let scaled = (abs * scale * 2 + den) / (2 * den);
        let text = if places == 0 {
            scaled.to_string()
        } else {
            format!("{}.{:0w$}", scaled / scale, scaled % scale, w = places as usize)
        };
        if neg && scaled != 0 { format!("-{text}") } else { text }
    }

    /// The smallest multiple of 10^-12 at or above the value, in units of 10^-12.
    fn ceil_pico(&self) -> i128 {
        let den = self.den as i128;
        let n = self.num.saturating_mul(1_000_000_000_000);
        n.div_euclid(den) + i128::from(n.rem_euclid(den) != 0)
    }
}

/// A winner–loser pair of a contest, as the audit algebra sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    pub contest: ContestIdx,
    pub winner: CandidateIdx,
    pub loser: CandidateIdx,
    /// Reported margin V_wℓ = v_w − v_ℓ, more than 0.
    pub margin: u64,
    /// Σ_p δ_pwℓ over the compared station ballots: the net overstatement of the margin.
    pub overstatement: i64,
    /// Station ballots where δ_pwℓ ≠ 0.
    pub stations: u32,
}

impl Assertion {
    /// Whether the hand counts overturn this pair: Σ δ ≥ V.
    pub fn overturned(&self) -> bool {
        self.overstatement >= 0 && self.overstatement as u64 >= self.margin
    }
}

/// The reported form of a station ballot against its hand count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overstatement {
    pub reported: Phase,
    pub audited: Phase,
    /// Ballots found on the reported form and on the hand count (b_p).
    pub ballots_reported: u32,
    pub ballots_counted: u32,
    /// e_p, the largest relative overstatement, and the assertion (index) where it is reached.
    pub e: Fraction,
    pub e_assertion: Option<usize>,
    /// δ_pwℓ of that assertion.
    pub e_delta: i64,
    /// u_p, the largest possible relative overstatement.
    pub u: Fraction,
    pub u_assertion: Option<usize>,
}

/// The forms of one station ballot in two or more phases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationReconciliation {
    pub station: StationIdx,
    /// The ballot (its contest).
    pub contest: ContestIdx,
    /// Per phase present, in phase order, the form that counts within it (highest version).
    pub phases: Vec<(Phase, u32)>,
    /// Phases whose latest form was rejected: not compared.
    pub held: Vec<Phase>,
    /// The phase the package's policy counts for this ballot, if it counts one.
    pub selected: Option<Phase>,
    /// Every pair of phases present.
    pub comparisons: Vec<PhaseComparison>,
    /// The reported form against the hand count, when both exist and differ in phase.
    pub overstatement: Option<Overstatement>,
}

/// A contest whose seats differ between the reported count and the hand counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatChange {
    pub contest: ContestIdx,
    /// Candidates who win on the reported count but not on the hand counts, with their votes
    /// (reported, hand).
    pub lost: Vec<(CandidateIdx, u64, u64)>,
    /// Candidates who win on the hand counts but not on the reported count.
    pub gained: Vec<(CandidateIdx, u64, u64)>,
    /// List PR: lists whose seats differ: (index into the contest's `lists`, reported seats,
    /// hand seats), leveling seats included.
    pub lists: Vec<(usize, u32, u32)>,
}

/// Totals of one pair of phases over all station ballots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairSummary {
    pub from: Option<Phase>,
    pub to: Option<Phase>,
    pub stations: u64,
    pub identical: u64,
    pub within_tolerance: u64,
    pub discrepant: u64,
    /// Σ of |Δ| of candidate votes.
    pub votes_changed: u64,
    /// The largest difference of any one count.
    pub largest: u64,
}

/// The whole reconciliation.
#[derive(Debug)]
pub struct Reconciliation {
    pub tolerance: u64,
    /// Station ballots with two or more phases, in station and ballot order.
    pub stations: Vec<StationReconciliation>,
    pub assertions: Vec<Assertion>,
    /// One entry per pair of phases seen, in phase order.
    pub pairs: Vec<PairSummary>,
    /// Σ_p e_p rounded up to 10^-12, in units of 10^-12 (an upper bound of the exact sum).
    pub sum_e_pico: i128,
    /// Station ballots whose reported form was set against a hand count.
    pub compared: u64,
    /// Assertions whose reported margin is 0 (a tie settled by lot): left out of e_p.
    pub tied_pairs: u64,
    /// Contests whose seats change.
    pub seat_changes: Vec<SeatChange>,
    pub reported: Allocation,
    pub hand: Allocation,
    pub reported_tabulation: Tabulation,
    pub hand_tabulation: Tabulation,
}

impl Reconciliation {
    /// Seats that change hands (the lost candidates and the list seats moved).
    pub fn seats_changed(&self) -> u64 {
        self.seat_changes
            .iter()
            .map(|c| {
                let lists: u64 =
                    c.lists.iter().map(|l| u64::from(l.1.saturating_sub(l.2))).sum::<u64>();
                (c.lost.len() as u64).max(lists)
            })
            .sum()
    }

    /// Σ e_p as a decimal (an upper bound, rounded up to 10^-12).
    pub fn sum_e_text(&self, places: u32) -> String {
        Fraction { num: self.sum_e_pico, den: 1_000_000_000_000 }.decimal(places)
    }
}

/// Reconciles every station ballot with forms in two or more phases, and allocates the seats
/// from the reported count and from the hand counts. `policy` is the package's phase policy
/// (which form counts); `tolerance` the largest difference of one count still tolerated.
#[allow(clippy::too_many_arguments)]
pub fn reconcile(
    election: &Election,
    set: &FormSet,
    validation: &Validation,
    policy: &PhasePolicy,
    ranked: &[RankedBallots],
    aliases: &dyn Fn(CandidateIdx) -> Vec<String>,
    tolerance: u64,
) -> Reconciliation {
    let sel_reported = select(election, set, validation, &reported_policy());
    let sel_hand = select(election, set, validation, &hand_policy());
    let sel_policy = select(election, set, validation, policy);
    let reported_tabulation = tabulate(election, set, &sel_reported);
    let hand_tabulation = tabulate(election, set, &sel_hand);
    let reported = allocate_with_ranked(election, &reported_tabulation, ranked, aliases);
    let hand = allocate_with_ranked(election, &hand_tabulation, ranked, aliases);

    let mut assertions = assertions_of(election, &reported, &reported_tabulation);
    let tied_pairs = tied_pairs(election, &reported, &reported_tabulation);
    // Per contest, the range of its assertions.
    let mut by_contest: Vec<(usize, usize)> = vec![(0, 0); election.contests.len()];
    {
        let mut k = 0;
        while k < assertions.len() {
            let c = assertions[k].contest.index();
            let start = k;
            while k < assertions.len() && assertions[k].contest.index() == c {
                k += 1;
            }
            by_contest[c] = (start, k);
        }
    }

    // Forms grouped by station ballot: (station, contest, phase, version, index).
    let mut keyed: Vec<(u32, u32, Phase, u32, u32, bool)> = set
        .forms
        .iter()
        .enumerate()
        .filter(|(i, _)| validation.status[*i] != FormStatus::Repeat)
        .map(|(i, f)| {
            (
                f.key.station.0,
                f.key.contest.0,
                f.key.phase,
                f.key.version,
                i as u32,
                validation.status[i] == FormStatus::Ok,
            )
        })
        .collect();
    keyed.sort_unstable();

    let mut stations = Vec::new();
    let mut scratch_v = vec![0u32; election.candidates.len()];
    let mut scratch_a = vec![0u32; election.candidates.len()];
    let mut sum_e_pico = 0i128;
    let mut compared = 0u64;
    for group in keyed.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        // The latest version of each phase.
        let mut phases: Vec<(Phase, u32)> = Vec::new();
        let mut held: Vec<Phase> = Vec::new();
        for per_phase in group.chunk_by(|a, b| a.2 == b.2) {
            let last = per_phase[per_phase.len() - 1];
            let (station, contest, phase, version) =
                (StationIdx(last.0), ContestIdx(last.1), last.2, last.3);
            // A newer form that could not be read holds the phase back too.
            let unreadable = set.rejected.iter().any(|r| {
                r.station == station
                    && r.contest.is_none_or(|c| c == contest)
                    && r.phase == phase
                    && r.version >= version
            });
            // Any rejected form at the latest version (a conflicting resubmission) holds it.
            let latest_ok = per_phase.iter().filter(|f| f.3 == version).all(|f| f.5);
            if latest_ok && !unreadable {
                phases.push((phase, last.4));
            } else {
                held.push(phase);
            }
        }
        if phases.len() + held.len() < 2 {
            continue;
        }
        let station = StationIdx(group[0].0);
        let contest = ContestIdx(group[0].1);
        let slot = election.station_ballot_index(station, contest).unwrap_or(0);
        let selected = match sel_policy.station_ballots(station.index()).nth(slot) {
            Some(StationStatus::Counted(i)) => Some(set.forms[i as usize].key.phase),
            _ => None,
        };
        let mut comparisons = Vec::new();
        for a in 0..phases.len() {
            for b in a + 1..phases.len() {
                comparisons.push(compare(
                    set,
                    phases[a],
                    phases[b],
                    tolerance,
                    &mut scratch_v,
                    &mut scratch_a,
                ));
            }
        }
        // The reported form against the hand count: the first and the last phase present.
        let overstatement = if phases.len() >= 2 {
            let (rp, ri) = phases[0];
            let (hp, hi) = phases[phases.len() - 1];
            let (rf, hf) = (&set.forms[ri as usize], &set.forms[hi as usize]);
            fill(set, rf, &mut scratch_v);
            fill(set, hf, &mut scratch_a);
            let mut o = Overstatement {
                reported: rp,
                audited: hp,
                ballots_reported: rf.ballots_found,
                ballots_counted: hf.ballots_found,
                e: Fraction { num: 0, den: 1 },
                e_assertion: None,
                e_delta: 0,
                u: Fraction { num: 0, den: 1 },
                u_assertion: None,
            };
            let b = i128::from(rf.ballots_found);
            // The contests on this ballot.
            let mut contests: Vec<ContestIdx> =
                set.layout(rf).iter().map(|&c| election.candidate(c).contest).collect::<Vec<_>>();
            contests.sort_unstable();
            contests.dedup();
            for c in contests {
                let (start, end) = by_contest[c.index()];
                for (k, a) in assertions[start..end].iter_mut().enumerate() {
                    let (w, l) = (a.winner.index(), a.loser.index());
                    let reported_diff = i128::from(scratch_v[w]) - i128::from(scratch_v[l]);
                    let delta =
                        reported_diff - (i128::from(scratch_a[w]) - i128::from(scratch_a[l]));
                    if delta != 0 {
                        a.overstatement += delta as i64;
                        a.stations += 1;
                    }
                    let den = u128::from(a.margin);
                    let e = Fraction { num: delta, den };
                    if o.e_assertion.is_none() || e.cmp_to(&o.e) == Ordering::Greater {
                        o.e = e;
                        o.e_assertion = Some(start + k);
                        o.e_delta = delta as i64;
                    }
                    let u = Fraction { num: reported_diff + b, den };
                    if o.u_assertion.is_none() || u.cmp_to(&o.u) == Ordering::Greater {
                        o.u = u;
                        o.u_assertion = Some(start + k);
                    }
                }
            }
            clear(set, rf, &mut scratch_v);
            clear(set, hf, &mut scratch_a);
            compared += 1;
            sum_e_pico += o.e.ceil_pico();
            Some(o)
        } else {
            None
        };
        stations.push(StationReconciliation {
            station,
            contest,
            phases,
            held,
            selected,
            comparisons,
            overstatement,
        });
    }

    // Totals per pair of phases.
    let mut pairs: Vec<PairSummary> = Vec::new();
    for s in &stations {
        for c in &s.comparisons {
            let at = match pairs.iter().position(|p| p.from == Some(c.from) && p.to == Some(c.to)) {
                Some(k) => k,
                None => {
                    pairs.push(PairSummary {
                        from: Some(c.from),
                        to: Some(c.to),
                        ..PairSummary::default()
                    });
                    pairs.len() - 1
                }
            };
            let p = &mut pairs[at];
            p.stations += 1;
            match c.class {
                Class::Identical => p.identical += 1,
                Class::WithinTolerance => p.within_tolerance += 1,
                Class::Discrepant => p.discrepant += 1,
            }
            p.votes_changed += c.votes_changed;
            p.largest = p.largest.max(c.largest);
        }
    }
    pairs.sort_by_key(|p| (p.to, p.from));

    let seat_changes = seat_changes(&reported, &hand, &reported_tabulation, &hand_tabulation);
    assertions.shrink_to_fit();
    Reconciliation {
        tolerance,
        stations,
        assertions,
        pairs,
        sum_e_pico,
        compared,
        tied_pairs,
        seat_changes,
        reported,
        hand,
        reported_tabulation,
        hand_tabulation,
    }
}

fn fill(set: &FormSet, form: &Form, into: &mut [u32]) {
    for (&c, v) in set.layout(form).iter().zip(set.votes(form)) {
        into[c.index()] = v;
    }
}

fn clear(set: &FormSet, form: &Form, into: &mut [u32]) {
    for &c in set.layout(form) {
        into[c.index()] = 0;
    }
}

fn compare(
    set: &FormSet,
    (from, fi): (Phase, u32),
    (to, ti): (Phase, u32),
    tolerance: u64,
    a: &mut [u32],
    b: &mut [u32],
) -> PhaseComparison {
    let (f, t) = (&set.forms[fi as usize], &set.forms[ti as usize]);
    fill(set, f, a);
    fill(set, t, b);
    let diff = |x: u32, y: u32| u64::from(x.abs_diff(y));
    let mut largest = diff(f.ballots_found, t.ballots_found)
        .max(diff(f.blank, t.blank))
        .max(diff(f.invalid, t.invalid));
    let mut candidates = Vec::new();
    let mut votes_changed = 0u64;
    // The ballot's candidates, in the later form's order (both forms list the same ones).
    let mut seen_b = Vec::new();
    for &c in set.layout(f).iter() {
        let (x, y) = (a[c.index()], b[c.index()]);
        if x != y {
            candidates.push(CountDiff { candidate: c, from: x, to: y });
            votes_changed += diff(x, y);
            largest = largest.max(diff(x, y));
        }
    }
    // A candidate only on the later form (a faulty layout would be rejected, but stay total).
    for &c in set.layout(t) {
        if !set.layout(f).contains(&c) && b[c.index()] != 0 {
            seen_b.push(c);
        }
    }
    for c in seen_b {
        let y = b[c.index()];
        candidates.push(CountDiff { candidate: c, from: 0, to: y });
        votes_changed += u64::from(y);
        largest = largest.max(u64::from(y));
    }
    clear(set, f, a);
    clear(set, t, b);
    let class = if largest == 0 {
        Class::Identical
    } else if largest <= tolerance {
        Class::WithinTolerance
    } else {
        Class::Discrepant
    };
    PhaseComparison {
        from,
        to,
        from_form: fi,
        to_form: ti,
        ballots_found: (f.ballots_found, t.ballots_found),
        blank: (f.blank, t.blank),
        invalid: (f.invalid, t.invalid),
        candidates,
        largest,
        votes_changed,
        class,
    }
}

/// The losers a winner competes with: all of them, or, for a seat won under a quota rule, the
/// losers that rule would have seated instead.
fn competitors<'a>(
    election: &'a Election,
    result: &'a crate::allocate::ContestResult,
    seat: &'a crate::allocate::Seat,
) -> impl Iterator<Item = (CandidateIdx, u64)> + 'a {
    let system = election.system_of(result.contest);
    let rule = (seat.reason == Reason::Quota)
        .then(|| {
            result
                .quotas
                .iter()
                .find(|q| q.replacements.iter().any(|r| r.elected == seat.candidate))
                .and_then(|q| system.quotas.iter().find(|r| r.name == q.rule))
        })
        .flatten();
    result.ranking.iter().copied().filter(move |&(c, _)| {
        !result.seats.iter().any(|s| s.candidate == c)
            && rule.is_none_or(|r| r.filter.matches(election.candidate(c)))
    })
}

/// Every winner–loser pair with a positive reported margin, in the SNTV contests, by contest.
fn assertions_of(election: &Election, allocation: &Allocation, t: &Tabulation) -> Vec<Assertion> {
    let mut out = Vec::new();
    for r in &allocation.contests {
        if !matches!(election.system_of(r.contest).method, Method::Sntv) {
            continue;
        }
        for seat in &r.seats {
            let vw = t.candidate_votes[seat.candidate.index()];
            for (l, vl) in competitors(election, r, seat) {
                if vw > vl {
                    out.push(Assertion {
                        contest: r.contest,
                        winner: seat.candidate,
                        loser: l,
                        margin: vw - vl,
                        overstatement: 0,
                        stations: 0,
                    });
                }
            }
        }
    }
    out.sort_by_key(|a| a.contest);
    out
}

/// Every winner–loser pair of the SNTV contests, by contest, with its reported margin
/// v_w − v_ℓ (zero or negative when the loser has as many votes or more, which only a full hand
/// count settles): what a risk-limiting audit must confirm. Quota seats face the losers their
/// rule would have seated instead, as in [`reconcile`].
pub fn audit_pairs(
    election: &Election,
    allocation: &Allocation,
    t: &Tabulation,
) -> Vec<(ContestIdx, CandidateIdx, CandidateIdx, i128)> {
    let mut out = Vec::new();
    for r in &allocation.contests {
        if !matches!(election.system_of(r.contest).method, Method::Sntv) {
            continue;
        }
        for seat in &r.seats {
            let vw = i128::from(t.candidate_votes[seat.candidate.index()]);
            for (l, vl) in competitors(election, r, seat) {
                out.push((r.contest, seat.candidate, l, vw - i128::from(vl)));
            }
        }
    }
    out.sort_by_key(|a| a.0);
    out
}

fn tied_pairs(election: &Election, allocation: &Allocation, t: &Tabulation) -> u64 {
    let mut n = 0;
    for r in &allocation.contests {
        if !matches!(election.system_of(r.contest).method, Method::Sntv) {
            continue;
        }
        for seat in &r.seats {
            let vw = t.candidate_votes[seat.candidate.index()];
            n += competitors(election, r, seat).filter(|&(_, vl)| vl == vw).count() as u64;
        }
    }
    n
}

fn seat_changes(
    reported: &Allocation,
    hand: &Allocation,
    rt: &Tabulation,
    ht: &Tabulation,
) -> Vec<SeatChange> {
    let mut out = Vec::new();
    for (r, h) in reported.contests.iter().zip(&hand.contests) {
        let winners = |a: &crate::allocate::ContestResult| {
            let mut w: Vec<CandidateIdx> = a.seats.iter().map(|s| s.candidate).collect();
            w.sort_unstable();
            w
        };
        let (wr, wh) = (winners(r), winners(h));
        let votes =
            |c: CandidateIdx| (rt.candidate_votes[c.index()], ht.candidate_votes[c.index()]);
        let lost: Vec<(CandidateIdx, u64, u64)> = wr
            .iter()
            .filter(|c| wh.binary_search(c).is_err())
            .map(|&c| (c, votes(c).0, votes(c).1))
            .collect();
        let gained: Vec<(CandidateIdx, u64, u64)> = wh
            .iter()
            .filter(|c| wr.binary_search(c).is_err())
            .map(|&c| (c, votes(c).0, votes(c).1))
            .collect();
        let mut lists = Vec::new();
        for (k, (lr, lh)) in r.lists.iter().zip(&h.lists).enumerate() {
            let (sr, sh) = (lr.seats + lr.leveling, lh.seats + lh.leveling);
            if sr != sh {
                lists.push((k, sr, sh));
            }
        }
        if !lost.is_empty() || !gained.is_empty() || !lists.is_empty() {
            out.push(SeatChange { contest: r.contest, lost, gained, lists });
        }
    }
    out
}
