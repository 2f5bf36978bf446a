//! The vocabulary of psephos.
//!
//! An [`Election`] is the law and the lists (contests, parties, coalitions, candidates, polling
//! stations); a [`FormSet`] holds every station result form as read, never merged; a
//! [`Diagnostic`] is one problem found in the input, with a stable [`Code`].
//!
//! This crate does no I/O and knows no file format: readers live in `psephos_io`, counting in
//! `psephos_count`.

mod diagnostic;
mod election;
mod forms;
mod ids;
mod index;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use election::{
    Ballot, BiproportionalTier, Candidate, CandidateFilter, Coalition, Contest,
    ContestApportionment, Election, ElectionParts, Electorate, EqualPreferences, Formula, Fraction,
    Gender, IrishPapers, LevelingTier, ListKind, ListPr, ListThreshold, Meta, Method, Minimum,
    MixedMember, Overhang, OvervoteRule, Party, PhasePolicy, QuotaRule, QuotaScope, Ranked,
    RankedKind, RankedQuota, RankedTiebreak, Rounding, SeatsAlternative, Station, System,
    ThresholdBase, ThresholdScope, TieMethod, TiePolicy,
};
pub use forms::{Form, FormKey, FormSet, Phase, RejectedForm, Source, Votes, VotesAt};
pub use ids::{
    CandidateIdx, CoalitionIdx, ContestIdx, GovernorateIdx, PartyIdx, StationIdx, SystemIdx,
};
pub use index::{IdArena, IdIndex};
