//! RCTab's rules, as RCTab v2.0.1 applies them (docs/internals/rctab-semantics.md).

pub mod num;
pub mod rules;
pub mod tabulate;

pub use rules::{Candidate, Contest, OvervoteRule, Rules, TieBreakMode, WinnerMode};
pub use tabulate::{
    Round, RoundFigures, SliceRequest, Status, TabulateError, Tabulation, Target, tabulate,
};
