//! Checking the count against paper: risk-limiting audits.
//!
//! Samplers that anyone can replay from a public seed, the statistics that measure the risk
//! that a wrong outcome goes uncorrected, and the sample sizes audits plan with. Formulas and
//! conformance vectors: `../shared/docs/research/rla.md`, `conformance/rla/`. No I/O: callers
//! pass numbers and ids, and get numbers and ids back.

pub mod alpha;
pub mod minerva;
pub mod oneaudit;
pub mod shangrla;
pub mod simulate;
mod special;
pub mod stat_error;

pub use stat_error::StatError;

pub mod bravo;
pub mod kaplan_markov;
pub mod macro_batch;
pub mod sampling;
