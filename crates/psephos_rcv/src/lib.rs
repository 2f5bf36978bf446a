//! Ranked ballots and their counts.
//!
//! A [`BallotSet`] holds every ballot of one contest, interned: identical rankings (with the same
//! slice, such as a precinct) are stored once with a count, so a million ballots with a few
//! tens of thousands of distinct rankings count in the time of the distinct ones. The counts
//! follow RCTab's rules ([`rctab`]) and the STV laws RCTab lacks. Lots that RCTab draws with
//! Java's `java.util.Random` are reproduced bit for bit by [`java_random`].

pub mod ballots;
pub mod decimal;
pub mod java_hash;
pub mod java_random;
pub mod rctab;
pub mod stv;

pub use ballots::{BallotSet, BallotSetBuilder, Distinct, Label, Mark};
