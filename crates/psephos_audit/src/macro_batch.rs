//! Batch-level comparison audits where a batch is a polling station: MACRO (Stark 2008, 2009)
//! with PPEB sampling (probability proportional to an error bound), as Arlo runs them.
//!
//! For station p with reported votes v, hand count a and b_p ballots, over every (winner w,
//! loser ℓ) pair of the contest with reported margin V_wℓ:
//!
//! * u_p = max_{wℓ} ((v_w − v_ℓ) + b_p) / V_wℓ, the most the station can overstate;
//! * e_p = max_{wℓ} ((v_w − v_ℓ) − (a_w − a_ℓ)) / V_wℓ, what it did overstate;
//! * U = Σ_p u_p; the taint t_p = max(e_p, 0) / u_p (understatements count as 0);
//! * p = Π over draws (1 − 1/U) / (1 − t_p) over every draw (Arlo since 2024), 0 after a full
//!   hand count, at most 1;
//! * round size n = min(⌈(ln α − ln p) / ln(1 − 1/U)⌉ + 1, stations) (the +1 is Arlo's).
//!
//! Stations that do not hold the contest have u_p = 0: they are never drawn for it and their
//! draws do not count in its p-value. Margins V_wℓ can be reduced by ballots not yet tallied or
//! not auditable ([`MacroContest::unaccounted`]); a margin that is not positive means a full hand
//! count. Floats: u_p, U and p are f64 (Arlo uses 28-digit decimals); the tolerance against the
//! vectors is 1e-12 relative.

use crate::bravo::{AuditError, Contest, check_alpha};

/// A contest as MACRO sees it: the reported contest and ballots to subtract from every margin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroContest {
    pub contest: Contest,
    /// Ballots pending or not auditable: subtracted from every pairwise margin.
    pub unaccounted: u64,
}

/// One station's reported count of a contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationCount {
    /// Votes per candidate of the contest.
    pub votes: Vec<u64>,
    /// Ballots cast at the station.
    pub ballots: u64,
}

impl StationCount {
    pub fn new(votes: Vec<u64>, ballots: u64) -> Self {
        Self { votes, ballots }
    }
}

/// A (winner, loser) pair and its reduced margin in votes.
type Pair = (usize, usize, f64);

/// The pairs and their reduced margins; `None` when a margin is not positive.
fn margins(c: &MacroContest) -> Result<Option<Vec<Pair>>, AuditError> {
    let mut out = Vec::new();
    for (w, l) in c.contest.pairs()? {
        let v = c.contest.votes[w] as i128 - c.contest.votes[l] as i128 - c.unaccounted as i128;
        if v <= 0 {
            return Ok(None);
        }
        out.push((w, l, v as f64));
    }
    Ok(Some(out))
}

fn check_len(c: &MacroContest, votes: &[u64]) -> Result<(), AuditError> {
    if votes.len() == c.contest.votes.len() {
        Ok(())
    } else {
        Err(AuditError::Candidates { expected: c.contest.votes.len(), got: votes.len() })
    }
}

/// u_p of a station (`None`: the station does not hold the contest → 0). Infinite when a margin
/// is not positive.
pub fn max_error(c: &MacroContest, station: Option<&StationCount>) -> Result<f64, AuditError> {
    let Some(s) = station else { return Ok(0.0) };
    check_len(c, &s.votes)?;
    let Some(pairs) = margins(c)? else { return Ok(f64::INFINITY) };
    Ok(pairs
        .iter()
        .map(|&(w, l, v)| ((s.votes[w] as f64 - s.votes[l] as f64) + s.ballots as f64) / v)
        .fold(f64::NEG_INFINITY, f64::max))
}

/// e_p of a station: the largest relative overstatement of any pairwise margin (negative for
/// an understatement).
pub fn error(
    c: &MacroContest,
    reported: &StationCount,
    audited: &[u64],
) -> Result<f64, AuditError> {
    check_len(c, &reported.votes)?;
    check_len(c, audited)?;
    let Some(pairs) = margins(c)? else { return Ok(f64::INFINITY) };
    Ok(pairs
        .iter()
        .map(|&(w, l, v)| {
            let r = reported.votes[w] as f64 - reported.votes[l] as f64;
            let a = audited[w] as f64 - audited[l] as f64;
            (r - a) / v
        })
        .fold(f64::NEG_INFINITY, f64::max))
}

/// The overstatement in votes of the pair that decides e_p (Arlo's "counted_as").
pub fn error_votes(
    c: &MacroContest,
    reported: &StationCount,
    audited: &[u64],
) -> Result<i64, AuditError> {
    check_len(c, &reported.votes)?;
    check_len(c, audited)?;
    let Some(pairs) = margins(c)? else { return Ok(0) };
    let mut best = (f64::NEG_INFINITY, 0i64);
    for &(w, l, v) in &pairs {
        let votes = (reported.votes[w] as i64 - reported.votes[l] as i64)
            - (audited[w] as i64 - audited[l] as i64);
        let e = votes as f64 / v;
        if e > best.0 {
            best = (e, votes);
        }
    }
    Ok(best.1)
}

/// U = Σ u_p over the stations (`None` where a station does not hold the contest).
pub fn total_error_bound(
    c: &MacroContest,
    stations: &[Option<&StationCount>],
) -> Result<f64, AuditError> {
    let mut u = 0.0;
    for s in stations {
        u += max_error(c, *s)?;
    }
    Ok(u)
}

/// One draw for the p-value: the station's u_p and e_p.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drawn {
    pub max_error: f64,
    pub error: f64,
}

/// The MACRO p-value of the draws (every draw, with its multiplicity; draws of stations
/// without the contest, u_p = 0, are skipped). `all_counted`: every station was hand counted,
/// so the risk is 0.
pub fn p_value(total_bound: f64, draws: &[Drawn], all_counted: bool) -> f64 {
    if all_counted {
        return 0.0;
    }
    if total_bound.is_nan() || total_bound <= 1.0 || total_bound.is_infinite() {
        return 1.0;
    }
    let mut p = 1.0f64;
    for d in draws {
        if d.max_error <= 0.0 {
            continue;
        }
        let taint = d.error.max(0.0) / d.max_error;
        if taint >= 1.0 {
            return 1.0;
        }
        p *= (1.0 - 1.0 / total_bound) / (1.0 - taint);
    }
    p.min(1.0)
}

/// Stations to draw (with replacement, PPEB) so that, if they show no error, the risk falls to
/// α: min(⌈(ln α − ln p) / ln(1 − 1/U)⌉ + 1, stations), with p the risk so far (1 before
/// round 1). 0 when p ≤ α already; every station when U is infinite.
pub fn sample_size(
    alpha: f64,
    total_bound: f64,
    p_so_far: f64,
    stations: u64,
) -> Result<u64, AuditError> {
    check_alpha(alpha)?;
    if p_so_far <= alpha {
        return Ok(0);
    }
    if total_bound.is_infinite() || total_bound.is_nan() {
        return Ok(stations);
    }
    if total_bound <= 1.0 {
        // Σ u_p ≤ 1: no set of errors can change the outcome.
        return Ok(0);
    }
    let n = ((alpha.ln() - p_so_far.ln()) / (1.0 - 1.0 / total_bound).ln()).ceil();
    let n = if n.is_finite() && n > 0.0 { n as u64 } else { 0 };
    Ok((n + 1).min(stations))
}
