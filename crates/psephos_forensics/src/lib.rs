//! Election forensics with explicit nulls.
//!
//! Every test here keeps each station's own denominators in its null model, says what it
//! assumes, and reports an effect size beside its p-value; station-level results rank stations
//! for audit targeting and prove nothing on their own. Specification:
//! `../shared/docs/research/forensics.md` §3. No I/O: callers pass station counts.
//!
//! Effects come with 95 % intervals: the integer-percentage excess with a normal interval from
//! the exact Poisson-binomial sd ([`integer::Excess::sd`]); the same-area comparison with a
//! seeded bootstrap percentile interval ([`natural::SameArea::ci`]); Rozenas' spikes estimate
//! with a Monte Carlo interval ([`rkd::Spikes::interval`]); the Klimek fit with a parametric
//! bootstrap ([`klimek::bootstrap`]). The last-digit tests' share of round counts takes a
//! Wilson interval (computed by the caller from [`digits::LastDigit`]'s counts).

pub mod binomial;
pub mod descriptive;
pub mod digits;
pub mod fingerprint;
pub mod integer;
pub mod klimek;
pub mod multiple;
pub mod natural;
pub mod rkd;

/// One polling station's protocol counts, as the tests read them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Station {
    /// Registered voters (N).
    pub registered: u64,
    /// Ballots issued to voters (G).
    pub issued: u64,
    /// Ballots found in the boxes: valid + invalid (R).
    pub found: u64,
    /// Votes for the leader (L).
    pub leader: u64,
}

impl Station {
    /// Kobak, Shpilkin and Pshenichnikov's (2016) inclusion rule: ballots found, at least 100
    /// registered voters, turnout and leader share at most 99 %. It selects on stations, not on
    /// the fractional parts the tests look at.
    pub fn kobak_included(&self) -> bool {
        self.found > 0
            && self.registered >= 100
            && u128::from(self.issued) * 100 <= u128::from(self.registered) * 99
            && u128::from(self.leader) * 100 <= u128::from(self.found) * 99
    }
}

/// Upper tail of the standard normal distribution, accurate far into the tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}
