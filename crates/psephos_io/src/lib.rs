//! Reading and writing psephos election packages and station result forms, and reading ranked
//! ballots ([`cvr`]: RCTab's cast-vote-record formats, BLT, PrefLib).
//!
//! Readers never stop at the first problem: they return what they could read together with a
//! [`Diagnostic`] for every problem, each naming the file, line and field. A form with any problem
//! is left out of the returned [`FormSet`], so nothing half-read is ever counted.
//!
//! [`Diagnostic`]: psephos_model::Diagnostic
//! [`FormSet`]: psephos_model::FormSet

mod count_cell;
pub mod cvr;
pub mod interpretations;
mod json_forms;
pub mod nist_err;
mod package;
pub mod ranked;
pub mod rctab_config;
mod results;
mod split;
pub mod station_table;
mod table;
pub mod urcvt;
mod votes_table;
mod write;

pub use cvr::{
    BallotFile, CvrSource, ReadOptions, read_blt, read_preflib, read_source, read_sources,
};
pub use interpretations::{InterpretationRow, NOT_FOUND, read_interpretations};
pub use json_forms::{FormFields, VoteList, read_form_fields};
pub use package::{Package, PackageError, load_package};
pub use ranked::{RankedSource, SourceKind, read_ranked_ballots};
pub use results::{ResultsRead, discover_results, parse_results, read_results};
pub use station_table::{StationColumns, StationRow, read_station_table};
pub use votes_table::read_party_votes;
pub use write::{
    ELECTION_TOML, write_election_toml, write_forms_wide, write_package, write_tables,
};

/// Removes a UTF-8 byte-order mark, which spreadsheet programs put at the start of CSV files.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(bytes: &[u8], offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    memchr::memchr_iter(b'\n', &bytes[..end]).count() as u64 + 1
}
