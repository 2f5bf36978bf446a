//! Counting: validation of forms, selection of the form that counts per station, exact
//! tabulation and seat allocation.
//!
//! Everything here is a pure function of an [`Election`](psephos_model::Election) and a
//! [`FormSet`](psephos_model::FormSet): no I/O, no clock, no ambient randomness. Seat allocation
//! uses integers only; ties are settled by a lot derived from the package's recorded seed.

mod allocate;
pub mod apportion;
pub mod biproportional;
pub mod leveling;
pub mod list_pr;
pub mod lists;
mod lot;
pub mod margins;
pub mod mmp;
pub mod ranked;
pub mod reconcile;
mod select;
mod tabulate;
mod validate;

pub use allocate::{
    Allocation, ContestResult, LevelingOutcome, LevelingParty, LevelingPlacement, PlacementTie,
    QuotaOutcome, Reason, Replacement, Seat, TieRecord, allocate, allocate_with_ranked,
};
pub use lot::{lot_ticket, lot_ticket_hex};
pub use ranked::{RankedBallots, RankedCount, RankedOutcome};
pub use select::{Selection, StationStatus, select};
pub use tabulate::{BallotTotals, Tabulation, tabulate};
pub use validate::{FormStatus, Validation, validate};
