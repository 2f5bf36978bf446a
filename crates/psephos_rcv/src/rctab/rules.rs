//! The contest and rules of an RCTab count, as its contest configuration states them.

/// `overvoteRule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OvervoteRule {
    AlwaysSkipToNextRank,
    ExhaustImmediately,
    ExhaustIfMultipleContinuing,
}

/// `winnerElectionMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinnerMode {
    SingleWinnerMajority,
    MultiWinnerAllowOnlyOneWinnerPerRound,
    MultiWinnerAllowMultipleWinnersPerRound,
    BottomsUp,
    BottomsUpUsingPercentageThreshold,
    MultiPassIrv,
}

/// `tiebreakMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieBreakMode {
    Random,
    StopCountingAndAsk,
    PreviousRoundCountsThenRandom,
    PreviousRoundCountsThenAsk,
    UseCandidateOrder,
    GeneratePermutation,
}

impl OvervoteRule {
    pub fn parse(s: &str) -> Option<OvervoteRule> {
        Some(match s {
            "alwaysSkipToNextRank" => OvervoteRule::AlwaysSkipToNextRank,
            "exhaustImmediately" => OvervoteRule::ExhaustImmediately,
            "exhaustIfMultipleContinuing" => OvervoteRule::ExhaustIfMultipleContinuing,
            _ => return None,
        })
    }
}

impl WinnerMode {
    pub fn parse(s: &str) -> Option<WinnerMode> {
        Some(match s {
            "singleWinnerMajority" => WinnerMode::SingleWinnerMajority,
            "multiWinnerAllowOnlyOneWinnerPerRound" => {
                WinnerMode::MultiWinnerAllowOnlyOneWinnerPerRound
            }
            "multiWinnerAllowMultipleWinnersPerRound" => {
                WinnerMode::MultiWinnerAllowMultipleWinnersPerRound
            }
            "bottomsUp" => WinnerMode::BottomsUp,
            "bottomsUpUsingPercentageThreshold" => WinnerMode::BottomsUpUsingPercentageThreshold,
            "multiPassIrv" => WinnerMode::MultiPassIrv,
            _ => return None,
        })
    }
}

impl TieBreakMode {
    pub fn parse(s: &str) -> Option<TieBreakMode> {
        Some(match s {
            "random" => TieBreakMode::Random,
            "stopCountingAndAsk" => TieBreakMode::StopCountingAndAsk,
            "previousRoundCountsThenRandom" => TieBreakMode::PreviousRoundCountsThenRandom,
            "previousRoundCountsThenAsk" => TieBreakMode::PreviousRoundCountsThenAsk,
            "useCandidateOrder" => TieBreakMode::UseCandidateOrder,
            "generatePermutation" => TieBreakMode::GeneratePermutation,
            _ => return None,
        })
    }

    /// Whether the mode draws from `java.util.Random(randomSeed)`.
    pub fn needs_seed(self) -> bool {
        matches!(
            self,
            TieBreakMode::Random
                | TieBreakMode::PreviousRoundCountsThenRandom
                | TieBreakMode::GeneratePermutation
        )
    }
}

/// A declared candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    /// Other labels cast-vote records may use for the candidate (aliases, vendor codes).
    pub aliases: Vec<String>,
    pub excluded: bool,
}

/// The rules of one count (one pass of a multi-pass count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    pub mode: WinnerMode,
    /// `numberOfWinners` (1 for each pass of multi-pass IRV, 0 for bottoms-up by percentage).
    pub seats: u32,
    pub overvote: OvervoteRule,
    /// `maxSkippedRanksAllowed`; `None` = unlimited.
    pub max_skipped_ranks: Option<u32>,
    pub exhaust_on_duplicate: bool,
    /// `decimalPlacesForVoteArithmetic`.
    pub decimal_places: u32,
    pub non_integer_threshold: bool,
    pub hare_quota: bool,
    pub first_round_determines_threshold: bool,
    pub batch_elimination: bool,
    pub continue_until_two: bool,
    /// `stopTabulationEarlyAfterRound`.
    pub stop_after_round: Option<u32>,
    /// `minimumVoteThreshold`, as written (its decimals are its scale).
    pub minimum_vote_threshold: Option<String>,
    /// `multiSeatBottomsUpPercentageThreshold`, as written (a percentage such as `15`).
    pub bottoms_up_percentage: Option<String>,
    pub cutoff_elimination: bool,
    pub tiebreak: TieBreakMode,
    pub random_seed: Option<i64>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            mode: WinnerMode::SingleWinnerMajority,
            seats: 1,
            overvote: OvervoteRule::AlwaysSkipToNextRank,
            max_skipped_ranks: None,
            exhaust_on_duplicate: false,
            decimal_places: 4,
            non_integer_threshold: false,
            hare_quota: false,
            first_round_determines_threshold: false,
            batch_elimination: false,
            continue_until_two: false,
            stop_after_round: None,
            minimum_vote_threshold: None,
            bottoms_up_percentage: None,
            cutoff_elimination: false,
            tiebreak: TieBreakMode::UseCandidateOrder,
            random_seed: None,
        }
    }
}

/// The contest: its declared candidates (in configuration order) and whether undeclared
/// write-ins are counted as a pseudo-candidate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contest {
    pub candidates: Vec<Candidate>,
    pub undeclared_write_ins: bool,
}

/// The pseudo-candidate that gathers undeclared write-ins.
pub const UNDECLARED_WRITE_INS: &str = "Undeclared Write-ins";
/// The label a reader gives a vendor's explicit overvote mark.
pub const OVERVOTE_LABEL: &str = "overvote";
