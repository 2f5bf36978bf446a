//! Kaplan-Markov ballot-comparison audits, "super-simple" (Stark 2010), as Stark's tool,
//! rlacalc, ColoradoRLA and Arlo use them: the p-value of a sample with its discrepancy counts,
//! the minimum sample size `nmin`, and the rate-based expected sizes of round 1 and later
//! rounds.
//!
//! μ is the diluted margin (smallest winner-loser margin / ballots), γ the error inflation
//! ([`GAMMA`] = 1.03905). Discrepancies are counted per sampled card (a card drawn twice counts
//! twice): `o1`/`o2` one- and two-vote overstatements, `u1`/`u2` understatements. Floats: p-values
//! and sizes are f64; sizes are ceilings and match every conformance vector exactly.

use crate::bravo::{AuditError, check_alpha};

/// The error inflation factor used by Stark's tool, AGI, ColoradoRLA and Arlo.
pub const GAMMA: f64 = 1.03905;

/// Discrepancy counts of a sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Discrepancies {
    pub o1: u64,
    pub o2: u64,
    pub u1: u64,
    pub u2: u64,
}

/// Assumed discrepancy rates per sampled card.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    pub o1: f64,
    pub o2: f64,
    pub u1: f64,
    pub u2: f64,
}

impl Rates {
    /// Arlo's and Stark's defaults: 1-vote rates 0.001, 2-vote rates 0.0001.
    pub const ARLO: Rates = Rates { o1: 0.001, o2: 0.0001, u1: 0.001, u2: 0.0001 };
}

fn check(alpha: f64, margin: f64, gamma: f64) -> Result<(), AuditError> {
    check_alpha(alpha)?;
    if !(margin > 0.0 && margin <= 1.0) {
        return Err(AuditError::Inconsistent(format!("diluted margin {margin} is not in (0, 1]")));
    }
    if gamma.is_nan() || gamma <= 1.0 {
        return Err(AuditError::Inconsistent(format!("gamma {gamma} must exceed 1")));
    }
    Ok(())
}

/// The Kaplan-Markov p-value of `n` sampled cards with discrepancies `d`:
/// min(1, (1 − μ/2γ)^n (1 − 1/2γ)^−o1 (1 − 1/γ)^−o2 (1 + 1/2γ)^−u1 (1 + 1/γ)^−u2).
/// With `credit_understatements = false` (Arlo's conservative choice) understatements count as
/// no error.
pub fn p_value(
    n: u64,
    margin: f64,
    gamma: f64,
    d: Discrepancies,
    credit_understatements: bool,
) -> Result<f64, AuditError> {
    check(0.5, margin, gamma)?;
    let (u1, u2) = if credit_understatements { (d.u1, d.u2) } else { (0, 0) };
    let ln_p = n as f64 * (1.0 - margin / (2.0 * gamma)).ln()
        - d.o1 as f64 * (1.0 - 1.0 / (2.0 * gamma)).ln()
        - d.o2 as f64 * (1.0 - 1.0 / gamma).ln()
        - u1 as f64 * (1.0 + 1.0 / (2.0 * gamma)).ln()
        - u2 as f64 * (1.0 + 1.0 / gamma).ln();
    Ok(ln_p.exp().min(1.0))
}

/// The p-value as a product over the sampled cards, as Arlo computes it: each card contributes
/// (1 − 1/U)/(1 − e/(2γ)) with U = 2γ/μ and e its overstatement in votes (−2..2; negative
/// counted as 0 unless `credit_understatements`), raised to the times it was drawn.
pub fn p_value_cards(
    margin: f64,
    gamma: f64,
    cards: &[(i8, u64)],
    credit_understatements: bool,
) -> Result<f64, AuditError> {
    check(0.5, margin, gamma)?;
    let u = 2.0 * gamma / margin;
    let mut p = 1.0f64;
    for &(e, times) in cards {
        let e = if credit_understatements { e } else { e.max(0) };
        let term = (1.0 - 1.0 / u) / (1.0 - f64::from(e) / (2.0 * gamma));
        p *= term.powi(i32::try_from(times).unwrap_or(i32::MAX));
    }
    Ok(p.min(1.0))
}

/// The smallest sample that can confirm the outcome with discrepancies `d` (Stark's `nmin`):
/// max(o1 + o2 + u1 + u2, ⌈−2γ [ln α + o1 ln(1 − 1/2γ) + o2 ln(1 − 1/γ) + u1 ln(1 + 1/2γ) +
/// u2 ln(1 + 1/γ)] / μ⌉). rlacalc's lower bound adds u1 twice and omits u2; this follows the
/// formula.
pub fn nmin(alpha: f64, margin: f64, gamma: f64, d: Discrepancies) -> Result<u64, AuditError> {
    check(alpha, margin, gamma)?;
    let bracket = alpha.ln()
        + d.o1 as f64 * (1.0 - 1.0 / (2.0 * gamma)).ln()
        + d.o2 as f64 * (1.0 - 1.0 / gamma).ln()
        + d.u1 as f64 * (1.0 + 1.0 / (2.0 * gamma)).ln()
        + d.u2 as f64 * (1.0 + 1.0 / gamma).ln();
    let n = (-2.0 * gamma * bracket / margin).ceil();
    let n = if n.is_finite() && n > 0.0 { n as u64 } else { 0 };
    Ok(n.max(d.o1 + d.o2 + d.u1 + d.u2))
}

/// The expected sample size with assumed discrepancy rates (rlacalc `KM_Expected_sample_size`):
/// n₀ = ⌈ln α / [ln(1 − μ/2γ) − r_o1 ln(1 − 1/2γ) − r_o2 ln(1 − 1/γ) − r_u1 ln(1 + 1/2γ)
/// − r_u2 ln(1 + 1/γ)]⌉; `None` when the rates are so high that no sample size suffices.
pub fn expected_sample_size(
    alpha: f64,
    margin: f64,
    gamma: f64,
    rates: Rates,
) -> Result<Option<u64>, AuditError> {
    check(alpha, margin, gamma)?;
    let denom = (1.0 - margin / (2.0 * gamma)).ln()
        - rates.o1 * (1.0 - 1.0 / (2.0 * gamma)).ln()
        - rates.o2 * (1.0 - 1.0 / gamma).ln()
        - rates.u1 * (1.0 + 1.0 / (2.0 * gamma)).ln()
        - rates.u2 * (1.0 + 1.0 / gamma).ln();
    if denom.is_nan() || denom >= 0.0 {
        return Ok(None);
    }
    let n = (alpha.ln() / denom).ceil();
    Ok(if n.is_finite() { Some(n.max(0.0) as u64) } else { None })
}

/// Python's `round` of a non-negative value is half to even; Stark's tool and rlacalc round the
/// two-vote counts half up.
fn round_half_up(x: f64) -> u64 {
    (x + 0.5).floor().max(0.0) as u64
}

/// The expected size rounded up for whole discrepancies (rlacalc
/// `KM_Expected_sample_size_rounded`, Arlo's supersimple size): from n₀, o1 = ⌈r_o1 n₀⌉,
/// u1 = ⌈r_u1 n₀⌉, o2 and u2 rounded half up, then [`nmin`] with those counts. `None` as in
/// [`expected_sample_size`].
pub fn expected_sample_size_rounded(
    alpha: f64,
    margin: f64,
    gamma: f64,
    rates: Rates,
) -> Result<Option<u64>, AuditError> {
    let Some(n0) = expected_sample_size(alpha, margin, gamma, rates)? else { return Ok(None) };
    let n0 = n0 as f64;
    let d = Discrepancies {
        o1: (rates.o1 * n0).ceil() as u64,
        u1: (rates.u1 * n0).ceil() as u64,
        o2: round_half_up(rates.o2 * n0),
        u2: round_half_up(rates.u2 * n0),
    };
    nmin(alpha, margin, gamma, d).map(Some)
}

/// Arlo's round-1 size: the rounded expected size with `rates`, at most the ballots.
pub fn initial_sample_size(
    alpha: f64,
    margin: f64,
    gamma: f64,
    ballots: u64,
    rates: Rates,
) -> Result<u64, AuditError> {
    Ok(expected_sample_size_rounded(alpha, margin, gamma, rates)?.unwrap_or(ballots).min(ballots))
}

/// The next round's size (cards still to draw) after `n` sampled cards with overstatements
/// `d.o1`, `d.o2`: the observed rates o/n replace the assumptions (understatements ignored),
/// the rounded expected size is capped at the ballots, and the cards already drawn are
/// subtracted. When the observed rates admit no size, every remaining card (a full hand count).
pub fn next_round_size(
    alpha: f64,
    margin: f64,
    gamma: f64,
    ballots: u64,
    n: u64,
    d: Discrepancies,
) -> Result<u64, AuditError> {
    if n == 0 {
        return initial_sample_size(alpha, margin, gamma, ballots, Rates::ARLO);
    }
    let rates = Rates { o1: d.o1 as f64 / n as f64, o2: d.o2 as f64 / n as f64, u1: 0.0, u2: 0.0 };
    let total =
        expected_sample_size_rounded(alpha, margin, gamma, rates)?.unwrap_or(ballots).min(ballots);
    Ok(total.saturating_sub(n))
}
