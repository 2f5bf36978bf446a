//! What a report shows: plain data, filled by the binary from the count, the reconciliation, the
//! margins, the audit's state file, the forensic battery and the ledger, then drawn by
//! [`crate::render`]. Names are kept as the package spells them, in whatever script; numbers are
//! kept as numbers and formatted for the report's language when drawn.

use psephos_model::{Gender, Method, Phase};

/// The whole report.
#[derive(Clone, Debug)]
pub struct Report {
    pub election: ElectionInfo,
    /// The package as named on the command line (used in the commands the report quotes).
    pub package: String,
    /// The phase precedence that picked each station's form (first wins).
    pub phase_policy: Vec<Phase>,
    pub nation: Totals,
    /// Registered voters of the station ballots without a counted form.
    pub registered_missing: u64,
    pub governorates: Vec<AreaTotals>,
    /// Every bloc (coalition, party outside a coalition, or the independents) that won votes
    /// or seats, most seats first: the hemicycle deals its seats in this order.
    pub blocs: Vec<Bloc>,
    pub contests: Vec<ContestReport>,
    pub reconciliation: Reconciliation,
    pub audit: AuditSection,
    pub forensics: ForensicsSection,
    pub ledger: LedgerSection,
    /// The program and version that wrote the report, e.g. `psephos 0.1.0`.
    pub generator: String,
    /// The command that wrote the report, without `--out`, so that anyone can rerun it.
    pub command: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElectionInfo {
    pub id: String,
    pub name: String,
    /// As in the package (`YYYY-MM-DD` is written out in the report's language).
    pub date: String,
    pub country: String,
}

/// Ballot totals over some stations (a contest, a governorate, the nation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub stations_expected: u64,
    pub stations_reporting: u64,
    pub stations_held: u64,
    pub registered: u64,
    /// Registered voters of the stations reporting (the turnout's denominator).
    pub registered_reporting: u64,
    pub ballots_found: u64,
    pub blank: u64,
    pub invalid: u64,
    /// Valid votes for candidates.
    pub votes: u64,
}

impl Totals {
    /// Stations with no counted form and none held back.
    pub fn stations_missing(&self) -> u64 {
        self.stations_expected.saturating_sub(self.stations_reporting + self.stations_held)
    }

    /// Every station reporting.
    pub fn complete(&self) -> bool {
        self.stations_reporting >= self.stations_expected
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaTotals {
    pub name: String,
    pub totals: Totals,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bloc {
    pub id: String,
    /// The name as the package writes it (the independents are named in the report's language).
    pub name: String,
    /// The candidates standing for no party.
    pub independents: bool,
    pub seats: u64,
    pub votes: u64,
    pub women: u64,
    /// Seats won by replacement under a quota rule.
    pub quota: u64,
    /// Reserved seats.
    pub reserved: u64,
    /// Member parties with votes or seats, most seats then votes first; empty for a bloc that
    /// is one party, or the independents.
    pub parties: Vec<PartyRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyRow {
    pub id: String,
    pub name: String,
    pub votes: u64,
    pub seats: u64,
}

/// Why a seat was won (psephos_count's `Reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatReason {
    /// Among the top candidates by votes.
    Rank,
    /// Replaced a winner under a quota rule.
    Quota,
    /// Top candidate of a reserved seat's group.
    Reserved,
    /// Tied for a last seat; the lot decided.
    Lot,
    /// A leveling seat of the national tier.
    Leveling,
    /// Elected in a ranked count.
    Rcv,
    /// Won a seat of its list under list PR.
    List,
}

/// A seat won by a candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatWon {
    pub reason: SeatReason,
    /// For a quota seat: the name of the winner it replaced.
    pub replaced: Option<String>,
    /// The smallest change of votes that takes this seat (None: none can, or not computed).
    pub margin: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateRow {
    pub id: String,
    pub name: String,
    pub gender: Gender,
    /// The party's name; None for an independent.
    pub party: Option<String>,
    pub votes: u64,
    pub seat: Option<SeatWon>,
}

/// A list of a list-PR contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRow {
    pub name: String,
    pub votes: u64,
    pub seats: u64,
    /// The smallest pairwise change that takes one of its seats.
    pub margin: Option<u64>,
}

/// One quota rule applied in a contest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaRow {
    pub rule: String,
    pub minimum: u32,
    pub won_on_votes: u32,
    /// (elected, replaced), by name.
    pub replacements: Vec<(String, String)>,
    /// Seats of the minimum that no candidate could fill.
    pub unmet: u32,
}

/// A tie settled by lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TieRow {
    pub candidates: Vec<String>,
    pub chosen: Vec<String>,
    pub votes: u64,
    pub seed: String,
}

/// Whether a contest's margins were computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginStatus {
    /// The smallest seat margin (None: no change of votes changes the outcome).
    Computed(Option<u64>),
    /// Not computed for this contest's system (surplus agreements, mixed-member and
    /// biproportional tiers, ranked counts).
    NotComputed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ContestReport {
    pub id: String,
    pub name: String,
    pub governorate: Option<String>,
    pub seats: u32,
    pub method: Method,
    /// The group a reserved seat is for (e.g. `christian`).
    pub reserved_for: Option<String>,
    pub totals: Totals,
    /// Candidates, most votes first (the count's ranking).
    pub candidates: Vec<CandidateRow>,
    pub lists: Vec<ListRow>,
    pub quotas: Vec<QuotaRow>,
    pub ties: Vec<TieRow>,
    pub empty_seats: u32,
    pub margin: MarginStatus,
}

/// Two phases of the same station ballots compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhasePair {
    pub from: Phase,
    pub to: Phase,
    pub stations: u64,
    pub identical: u64,
    pub within_tolerance: u64,
    pub discrepant: u64,
    pub votes_changed: u64,
    pub largest: u64,
}

/// A seat change when the hand counts replace the reported count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatChange {
    pub contest: String,
    /// (candidate name, votes reported, votes by hand).
    pub lost: Vec<(String, u64, u64)>,
    pub gained: Vec<(String, u64, u64)>,
    /// (list name, seats reported, seats by hand).
    pub lists: Vec<(String, u64, u64)>,
}

/// A station ballot whose counts differ between two phases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DifferingStation {
    pub station: String,
    pub contest: String,
    pub from: Phase,
    pub to: Phase,
    /// Beyond the tolerance (else within it).
    pub discrepant: bool,
    pub largest: u64,
    pub ballots: (u64, u64),
    /// (candidate name, votes in `from`, votes in `to`).
    pub changes: Vec<(String, u64, u64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub tolerance: u64,
    pub pairs: Vec<PhasePair>,
    pub seat_changes: Vec<SeatChange>,
    /// Station ballots set against a hand count.
    pub compared: u64,
    /// Σ e_p as decimal text.
    pub sum_e: String,
    /// Σ e_p < 1: no winner–loser pair of an SNTV contest can be overturned.
    pub sum_e_below_one: bool,
    /// Winner–loser pairs with a margin of 0, left out of Σ e_p.
    pub tied_pairs: u64,
    /// The differing station ballots shown, largest difference first.
    pub differing: Vec<DifferingStation>,
    /// All differing station ballots (more than shown when the list was cut).
    pub differing_total: u64,
}

/// The audit section: the plan and its rounds, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub enum AuditSection {
    /// No state file at this path.
    NotFound {
        looked_for: String,
    },
    /// The file exists but is not an audit state file.
    Unreadable {
        path: String,
        error: String,
    },
    Plan(AuditPlan),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditPlan {
    /// The state file as named.
    pub file: String,
    /// The risk limit as written in the file (a decimal).
    pub risk_limit: String,
    /// `macro` (stations) or `bravo` (ballots).
    pub method: String,
    /// The public seed, once drawn.
    pub seed: Option<String>,
    pub contests: Vec<AuditContest>,
    /// Contests not audited (by id).
    pub skipped: Vec<String>,
    /// Rounds drawn so far.
    pub rounds: Vec<AuditRound>,
}

/// A contest's status in the plan or its latest assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditStatus {
    Audit,
    FullHandCount,
    Uncontested,
    Confirmed,
    Continue,
    /// A status this version does not know, as written.
    Other(String),
}

impl AuditStatus {
    pub fn parse(text: &str) -> AuditStatus {
        match text {
            "audit" => AuditStatus::Audit,
            "full hand count" => AuditStatus::FullHandCount,
            "uncontested" => AuditStatus::Uncontested,
            "confirmed" => AuditStatus::Confirmed,
            "continue" => AuditStatus::Continue,
            other => AuditStatus::Other(other.to_owned()),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AuditContest {
    pub contest: String,
    pub seats: u64,
    pub status: AuditStatus,
    pub ballots: u64,
    pub stations: u64,
    /// Round-1 draws (stations or ballots).
    pub round_1: Option<u64>,
    /// The smallest winner–loser margin of its assertions.
    pub smallest_margin: Option<u64>,
    /// The latest assessment: status, risk (decimal text) and round.
    pub assessed: Option<(AuditStatus, String, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRound {
    pub round: u64,
    /// Distinct stations to fetch in this round.
    pub stations: u64,
    pub assessed: bool,
}

/// The forensic section: the battery's results, or why it did not run.
#[derive(Clone, Debug, PartialEq)]
pub enum ForensicsSection {
    /// The battery needs parties (to find a leader) and counted stations.
    NotRun,
    Results(Box<Forensics>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Forensics {
    pub stations_read: u64,
    pub stations_tested: u64,
    /// The leading party whose share is tested.
    pub leader: String,
    pub tests: Vec<ForensicTest>,
    /// The integer-percentage test's counts, when it ran.
    pub integer: Option<IntegerExcess>,
    /// `bins × bins` station counts, row-major by the leader's share, columns by turnout.
    pub fingerprint_bins: usize,
    pub fingerprint: Vec<f64>,
    /// Station counts by turnout and by leader's share, 0.1 % bins.
    pub turnout_histogram: Vec<u64>,
    pub share_histogram: Vec<u64>,
    /// Stations with a whole-percentage turnout or share, least likely first.
    pub flagged_total: u64,
    pub flagged: Vec<FlaggedStation>,
    /// Regions whose integer-percentage excess is significant at FDR 5 % (BH).
    pub regions_flagged: Vec<RegionFlag>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ForensicTest {
    /// The battery's name for the test (`integer_percentages`, ...).
    pub name: String,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    /// Holm-adjusted across the battery (None outside it).
    pub p_holm: Option<f64>,
    pub effect: Option<f64>,
    pub ci: Option<(f64, f64)>,
    /// What the effect measures, in English as the battery writes it.
    pub effect_is: String,
    /// The null model and assumptions, in English as the battery writes them.
    pub assumptions: String,
}

/// Stations with an integer turnout or leader share: observed, expected under the null, the
/// excess and its z-score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntegerExcess {
    pub observed: f64,
    pub expected: f64,
    pub excess: f64,
    pub z: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlaggedStation {
    pub id: String,
    pub region: Option<String>,
    pub turnout_on_grid: bool,
    pub share_on_grid: bool,
    /// Percent.
    pub turnout: Option<f64>,
    pub share: Option<f64>,
    pub null_probability: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionFlag {
    pub region: String,
    pub z: f64,
    pub q_value: f64,
}

/// The ledger section: the latest checkpoint, or where none was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerSection {
    NotFound {
        looked_for: String,
    },
    /// The checkpoint file exists but could not be read as text.
    Unreadable {
        path: String,
        error: String,
    },
    Found {
        bundle: String,
        checkpoint: String,
    },
}
