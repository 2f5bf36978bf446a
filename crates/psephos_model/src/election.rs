//! The election: its law (systems), contests, lists and polling stations.

use crate::forms::Phase;
use crate::ids::{
    CandidateIdx, CoalitionIdx, ContestIdx, GovernorateIdx, PartyIdx, StationIdx, SystemIdx,
};
use crate::index::{IdArena, IdIndex};

/// Descriptive metadata of an election.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub id: String,
    pub name: String,
    pub date: String,
    pub country: String,
}

/// How a contest's seats are allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Single non-transferable vote: the candidates with the most votes win.
    Sntv,
    /// List proportional representation: seats to parties by a formula, then to their candidates.
    ListPr(ListPr),
    /// Ranked ballots (instant-runoff or single transferable vote), read from cast-vote records
    /// or ballot files rather than station forms.
    Ranked(Ranked),
}

impl Method {
    /// The names `method` takes in election.toml.
    pub const NAMES: [&'static str; 7] =
        ["sntv", "list-pr", "irv", "stv", "scottish-stv", "meek", "irish"];

    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Sntv => "sntv",
            Method::ListPr(_) => "list-pr",
            Method::Ranked(r) => r.kind.as_str(),
        }
    }

    /// The ranked rules, for a system counted from ranked ballots.
    pub fn ranked(&self) -> Option<&Ranked> {
        match self {
            Method::Ranked(r) => Some(r),
            _ => None,
        }
    }
}

/// Which ranked count a system uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankedKind {
    /// Instant-runoff, one seat: RCTab's `singleWinnerMajority`.
    Irv,
    /// Multi-winner STV with fractional surplus transfer: RCTab's
    /// `multiWinnerAllowMultipleWinnersPerRound`.
    Stv,
    /// The Scottish Local Government Elections Order 2007: weighted inclusive Gregory, values
    /// truncated to 5 decimals.
    ScottishStv,
    /// Meek STV as stv-rs and Droop count it: keep factors, fixed point with 9 decimals.
    Meek,
    /// The Irish Dáil rules (Electoral Act 1992): whole papers, the last parcel received.
    Irish,
}

impl RankedKind {
    pub const ALL: [RankedKind; 5] = [
        RankedKind::Irv,
        RankedKind::Stv,
        RankedKind::ScottishStv,
        RankedKind::Meek,
        RankedKind::Irish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RankedKind::Irv => "irv",
            RankedKind::Stv => "stv",
            RankedKind::ScottishStv => "scottish-stv",
            RankedKind::Meek => "meek",
            RankedKind::Irish => "irish",
        }
    }

    /// Whether RCTab counts it (`irv`, `stv`): RCTab's rules for rankings and its lot apply.
    pub fn is_rctab(self) -> bool {
        matches!(self, RankedKind::Irv | RankedKind::Stv)
    }

    pub fn parse(s: &str) -> Option<RankedKind> {
        RankedKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The quota (winning threshold) of a multi-seat ranked count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankedQuota {
    /// votes / (seats + 1), as RCTab rounds it.
    Droop,
    /// votes / seats (RCTab's `hareQuota`).
    Hare,
}

impl RankedQuota {
    pub fn as_str(self) -> &'static str {
        match self {
            RankedQuota::Droop => "droop",
            RankedQuota::Hare => "hare",
        }
    }
}

/// How ties that the count cannot settle are broken in a ranked count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankedTiebreak {
    /// The candidate listed first in candidates.csv (RCTab's `useCandidateOrder`).
    Order,
    /// A lot from the system's tie seed (RCTab's `random`; SHA-256 tickets for scottish-stv,
    /// meek and irish).
    Lot,
    /// The candidate with fewer (more) votes in the latest round where the tied differ, then the
    /// lot (RCTab's `previousRoundCountsThenRandom`).
    PreviousRoundThenLot,
}

impl RankedTiebreak {
    pub const ALL: [RankedTiebreak; 3] =
        [RankedTiebreak::Order, RankedTiebreak::Lot, RankedTiebreak::PreviousRoundThenLot];

    pub fn as_str(self) -> &'static str {
        match self {
            RankedTiebreak::Order => "order",
            RankedTiebreak::Lot => "lot",
            RankedTiebreak::PreviousRoundThenLot => "previous-round-then-lot",
        }
    }

    pub fn parse(s: &str) -> Option<RankedTiebreak> {
        RankedTiebreak::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a ranking with several candidates at one rank does (RCTab's `overvoteRule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OvervoteRule {
    ExhaustImmediately,
    AlwaysSkipToNextRank,
    ExhaustIfMultipleContinuing,
}

impl OvervoteRule {
    pub const ALL: [OvervoteRule; 3] = [
        OvervoteRule::ExhaustImmediately,
        OvervoteRule::AlwaysSkipToNextRank,
        OvervoteRule::ExhaustIfMultipleContinuing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OvervoteRule::ExhaustImmediately => "exhaust-immediately",
            OvervoteRule::AlwaysSkipToNextRank => "always-skip-to-next-rank",
            OvervoteRule::ExhaustIfMultipleContinuing => "exhaust-if-multiple-continuing",
        }
    }

    pub fn parse(s: &str) -> Option<OvervoteRule> {
        OvervoteRule::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How Meek counts a rank with several candidates (stv-rs's default, or `--equalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqualPreferences {
    /// Droop's recursive descent.
    Droop,
    /// The average over every order of the equal candidates.
    Equalize,
}

impl EqualPreferences {
    pub const ALL: [EqualPreferences; 2] = [EqualPreferences::Droop, EqualPreferences::Equalize];

    pub fn as_str(self) -> &'static str {
        match self {
            EqualPreferences::Droop => "droop",
            EqualPreferences::Equalize => "equalize",
        }
    }

    pub fn parse(s: &str) -> Option<EqualPreferences> {
        EqualPreferences::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which papers of a surplus move in an Irish count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrishPapers {
    /// Those last filed in each sub-parcel (the law's choice).
    Last,
    /// Those first filed (a sensitivity check).
    First,
    /// Every paper of the examined parcel at surplus ÷ transferable (exact Gregory).
    Fraction,
}

impl IrishPapers {
    pub const ALL: [IrishPapers; 3] =
        [IrishPapers::Last, IrishPapers::First, IrishPapers::Fraction];

    pub fn as_str(self) -> &'static str {
        match self {
            IrishPapers::Last => "last",
            IrishPapers::First => "first",
            IrishPapers::Fraction => "fraction",
        }
    }

    pub fn parse(s: &str) -> Option<IrishPapers> {
        IrishPapers::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The rules of a ranked count, as election.toml states them (see docs/package.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    pub kind: RankedKind,
    pub quota: RankedQuota,
    /// Decimal places of the vote arithmetic (RCTab's `decimalPlacesForVoteArithmetic`).
    pub decimal_places: u32,
    pub tiebreak: RankedTiebreak,
    pub overvote: OvervoteRule,
    /// `maxSkippedRanksAllowed`; `None` = unlimited.
    pub max_skipped_ranks: Option<u32>,
    /// `maxRankingsAllowed`; `None` = as many as there are candidates.
    pub max_rankings: Option<u32>,
    pub exhaust_on_duplicate: bool,
    pub batch_elimination: bool,
    pub continue_until_two: bool,
    /// Meek: how equal preferences are counted.
    pub equal_preferences: EqualPreferences,
    /// Meek: sum only positive surpluses (stv-rs `--force-positive-surplus`).
    pub force_positive_surplus: bool,
    /// Meek: ω = 10^-omega_exponent, 1 to 9.
    pub omega_exponent: u32,
    /// Irish: which papers of a surplus move.
    pub irish_papers: IrishPapers,
    /// Irish: exclude the lowest candidates together when they cannot overtake the next.
    pub multiple_exclusion: bool,
    /// Irish: defer surpluses too small to matter.
    pub defer_surpluses: bool,
}

impl Ranked {
    /// RCTab's suggested rules for a new contest of this kind (overvotes exhaust the ballot).
    pub fn new(kind: RankedKind) -> Ranked {
        Ranked {
            kind,
            quota: RankedQuota::Droop,
            decimal_places: if kind == RankedKind::ScottishStv { 5 } else { 4 },
            tiebreak: RankedTiebreak::Order,
            overvote: OvervoteRule::ExhaustImmediately,
            max_skipped_ranks: Some(1),
            max_rankings: None,
            exhaust_on_duplicate: false,
            batch_elimination: false,
            continue_until_two: false,
            equal_preferences: EqualPreferences::Droop,
            force_positive_surplus: false,
            omega_exponent: 6,
            irish_papers: IrishPapers::Last,
            multiple_exclusion: true,
            defer_surpluses: false,
        }
    }
}

/// A fraction as a law writes it: a share (5/100) or a divisor (1.4 = 7/5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fraction {
    pub numerator: u64,
    pub denominator: u64,
}

impl Fraction {
    pub fn new(numerator: u64, denominator: u64) -> Fraction {
        Fraction { numerator, denominator }
    }

    /// Parses `7/5`, a decimal such as `1.4` or `0.05`, or a percentage such as `5%` or `3.5%`.
    pub fn parse(text: &str) -> Option<Fraction> {
        let text = text.trim();
        if let Some(pct) = text.strip_suffix('%') {
            let f = Fraction::parse(pct)?;
            return Some(Fraction::new(f.numerator, f.denominator.checked_mul(100)?));
        }
        if let Some((n, d)) = text.split_once('/') {
            let (n, d) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            return (d > 0).then_some(Fraction::new(n, d));
        }
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if (int.is_empty() && frac.is_empty()) || int.len() > 12 || frac.len() > 9 {
            return None;
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let den = 10u64.pow(frac.len() as u32);
        let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        Some(Fraction::new(int.checked_mul(den)?.checked_add(frac)?, den))
    }

    /// As a law writes it: a decimal when it has a finite one (`1.7`, `7/5` as `1.4`), else `n/d`.
    pub fn text(self) -> String {
        let d = self.denominator;
        // The smallest power of ten p that d divides, and the numerator scaled to p.
        let decimal = (0..=18u32).find_map(|k| {
            let p = 10u64.pow(k);
            if d == 0 || p % d != 0 {
                return None;
            }
            Some((k, self.numerator.checked_mul(p / d)?, p))
        });
        match decimal {
            Some((0, n, _)) => n.to_string(),
            Some((k, n, p)) => {
                let frac = format!("{:0width$}", n % p, width = k as usize);
                format!("{}.{}", n / p, frac.trim_end_matches('0')).trim_end_matches('.').to_owned()
            }
            None => format!("{}/{}", self.numerator, d),
        }
    }

    /// As a percentage, for shares: `4%`, `3.5%`, or `n/d` when it has no finite decimal.
    pub fn percent_text(self) -> String {
        let pct = Fraction::new(self.numerator.saturating_mul(100), self.denominator).text();
        if pct.contains('/') { self.text() } else { format!("{pct}%") }
    }
}

/// The formula that divides a contest's seats among lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    DHondt,
    SainteLague,
    /// First divisor `first`, then 3, 5, 7, ...
    ModifiedSainteLague {
        first: Fraction,
    },
    Imperiali,
    Danish,
    HuntingtonHill,
    Adams,
    Dean,
    Hare,
    Droop,
    HagenbachBischoff,
    HagenbachBischoffRounded,
    ImperialiQuota,
}

impl Formula {
    pub const NAMES: [&'static str; 13] = [
        "dhondt",
        "sainte-lague",
        "modified-sainte-lague",
        "imperiali",
        "danish",
        "huntington-hill",
        "adams",
        "dean",
        "hare",
        "droop",
        "hagenbach-bischoff",
        "hagenbach-bischoff-rounded",
        "imperiali-quota",
    ];

    /// A formula by name; `modified-sainte-lague` takes its first divisor (default 1.4).
    pub fn parse(name: &str, first_divisor: Option<Fraction>) -> Option<Formula> {
        Some(match name {
            "dhondt" => Formula::DHondt,
            "sainte-lague" => Formula::SainteLague,
            "modified-sainte-lague" => {
                Formula::ModifiedSainteLague { first: first_divisor.unwrap_or(Fraction::new(7, 5)) }
            }
            "imperiali" => Formula::Imperiali,
            "danish" => Formula::Danish,
            "huntington-hill" => Formula::HuntingtonHill,
            "adams" => Formula::Adams,
            "dean" => Formula::Dean,
            "hare" => Formula::Hare,
            "droop" => Formula::Droop,
            "hagenbach-bischoff" => Formula::HagenbachBischoff,
            "hagenbach-bischoff-rounded" => Formula::HagenbachBischoffRounded,
            "imperiali-quota" => Formula::ImperialiQuota,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Formula::DHondt => "dhondt",
            Formula::SainteLague => "sainte-lague",
            Formula::ModifiedSainteLague { .. } => "modified-sainte-lague",
            Formula::Imperiali => "imperiali",
            Formula::Danish => "danish",
            Formula::HuntingtonHill => "huntington-hill",
            Formula::Adams => "adams",
            Formula::Dean => "dean",
            Formula::Hare => "hare",
            Formula::Droop => "droop",
            Formula::HagenbachBischoff => "hagenbach-bischoff",
            Formula::HagenbachBischoffRounded => "hagenbach-bischoff-rounded",
            Formula::ImperialiQuota => "imperiali-quota",
        }
    }
}

/// How a list's seats go to its candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// In the order of the list (candidates.csv).
    Closed,
    /// By personal votes; equal votes in list order.
    Open,
    /// Candidates with at least `jump` of the list's votes first, by votes; then list order.
    Preference { jump: Fraction },
}

/// What a list-PR threshold is a share of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdBase {
    /// The votes of all lists.
    ListVotes,
    /// The votes of all lists plus blank ballots (Spain's "valid votes").
    ValidBallots,
}

/// Where a list-PR threshold is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdScope {
    /// In the contest.
    Contest,
    /// Over every contest of the same system (a national threshold).
    System,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListThreshold {
    pub share: Fraction,
    pub base: ThresholdBase,
    pub scope: ThresholdScope,
    /// An alternative qualification: a party whose candidates won at least this many seats in
    /// the contests of an SNTV system qualifies whatever its share (Germany: 3 constituencies;
    /// New Zealand: 1 electorate).
    pub or_seats: Option<SeatsAlternative>,
}

/// Seats won elsewhere that qualify a party for a list-PR threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatsAlternative {
    pub seats: u32,
    /// The SNTV system whose contests count.
    pub system: SystemIdx,
}

/// A national tier of leveling seats over the contests of one list-PR system (Norway's
/// Storting): parties above a national threshold get seats in proportion to their national votes,
/// less what they won in the contests; each contest receives one leveling seat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelingTier {
    pub system: SystemIdx,
    /// Leveling seats, at most one per contest of the system.
    pub seats: u32,
    /// The formula of the national calculation.
    pub formula: Formula,
    /// Share of the national list votes a party needs.
    pub threshold: Fraction,
}

/// List proportional representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListPr {
    pub formula: Formula,
    pub lists: ListKind,
    pub threshold: Option<ListThreshold>,
}

/// Which voters may vote for a contest's candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Electorate {
    /// Voters of the stations whose district is this contest.
    Own,
    /// Voters of every station in the contest's governorate; the candidates appear on those
    /// stations' district ballots.
    Governorate,
    /// Every voter in the country; the candidates appear on every district ballot.
    Nationwide,
    /// Every voter of the contest's governorate, on a ballot paper of its own (a German Land
    /// list: the second vote).
    GovernorateBallot,
    /// Every voter in the country, on a ballot paper of its own (New Zealand's party vote).
    NationwideBallot,
}

impl Electorate {
    pub const ALL: [Electorate; 5] = [
        Electorate::Own,
        Electorate::Governorate,
        Electorate::Nationwide,
        Electorate::GovernorateBallot,
        Electorate::NationwideBallot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Electorate::Own => "own",
            Electorate::Governorate => "governorate",
            Electorate::Nationwide => "nationwide",
            Electorate::GovernorateBallot => "governorate-ballot",
            Electorate::NationwideBallot => "nationwide-ballot",
        }
    }

    /// Whether the contest is voted on a ballot paper of its own.
    pub fn has_ballot(self) -> bool {
        matches!(
            self,
            Electorate::Own | Electorate::GovernorateBallot | Electorate::NationwideBallot
        )
    }

    pub fn parse(s: &str) -> Option<Electorate> {
        Electorate::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// A candidate's gender as the candidate list records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
    /// Recorded as neither (`X`).
    Other,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "F",
            Gender::Male => "M",
            Gender::Other => "X",
        }
    }

    pub fn parse(s: &str) -> Option<Gender> {
        match s {
            "F" | "f" => Some(Gender::Female),
            "M" | "m" => Some(Gender::Male),
            "X" | "x" => Some(Gender::Other),
            _ => None,
        }
    }
}

/// Rounding of a share-based minimum, as the law prescribes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
    /// Round to nearest, halves up.
    HalfUp,
}

impl Rounding {
    pub const ALL: [Rounding; 3] = [Rounding::Down, Rounding::Up, Rounding::HalfUp];

    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Down => "down",
            Rounding::Up => "up",
            Rounding::HalfUp => "half-up",
        }
    }

    pub fn parse(s: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The smallest number of a contest's seats that a quota guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Minimum {
    /// A fixed number of seats per contest.
    Count(u32),
    /// A share of the contest's seats, `numerator / denominator`, rounded as declared.
    Share { numerator: u32, denominator: u32, rounding: Rounding },
}

impl Minimum {
    /// The minimum for a contest of `seats` seats, never more than `seats`.
    pub fn for_seats(self, seats: u32) -> u32 {
        let m = match self {
            Minimum::Count(n) => u64::from(n),
            Minimum::Share { numerator, denominator, rounding } => {
                let num = u64::from(seats) * u64::from(numerator);
                let den = u64::from(denominator.max(1));
                match rounding {
                    Rounding::Down => num / den,
                    Rounding::Up => num.div_ceil(den),
                    Rounding::HalfUp => (2 * num + den) / (2 * den),
                }
            }
        };
        u32::try_from(m.min(u64::from(seats))).unwrap_or(seats)
    }
}

/// Which candidates a rule speaks of. Every condition that is set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CandidateFilter {
    pub gender: Option<Gender>,
    pub group: Option<String>,
}

impl CandidateFilter {
    pub fn matches(&self, candidate: &Candidate) -> bool {
        self.gender.is_none_or(|g| candidate.gender == g)
            && self.group.as_ref().is_none_or(|g| candidate.groups.iter().any(|c| c == g))
    }
}

/// Where a quota's minimum applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuotaScope {
    /// Among all the winners of a contest; replacements across candidates of any list.
    Contest,
    /// Within each list's seats (list PR); replacements within the same list.
    List,
}

impl QuotaScope {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaScope::Contest => "contest",
            QuotaScope::List => "list",
        }
    }
}

/// A guaranteed minimum of seats for candidates who match a filter (e.g. women).
///
/// Applied after the ranking: while the winners hold fewer than the minimum, the best-placed
/// matching candidate who lost replaces the lowest-placed winner who does not match (and whose
/// removal would not break an earlier quota). Where no matching candidate is left, the quota
/// stays unmet and the allocation says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaRule {
    pub name: String,
    pub filter: CandidateFilter,
    pub minimum: Minimum,
    pub scope: QuotaScope,
    /// Applies only when the contest's winners, after the earlier rules, hold fewer matching
    /// candidates than this minimum of the contest's seats (Iraq 2025: lists give a third when
    /// the governorate falls short of a quarter).
    pub unless_contest_has: Option<Minimum>,
}

/// How a tie that the ranking cannot settle is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieMethod {
    /// A lot: each tied candidate's ticket is SHA-256 of `seed|contest|candidate` and the lowest
    /// ticket ranks first. Anyone can replay it.
    Lot,
    /// Between lists with equal quotients, the list with more votes; a lot if those are equal
    /// too (Spain). Between candidates, the lot.
    MostVotes,
}

impl TieMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TieMethod::Lot => "lot",
            TieMethod::MostVotes => "most-votes",
        }
    }

    pub fn parse(s: &str) -> Option<TieMethod> {
        match s {
            "lot" => Some(TieMethod::Lot),
            "most-votes" => Some(TieMethod::MostVotes),
            _ => None,
        }
    }
}

/// Tie policy and the recorded seed of its lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TiePolicy {
    pub method: TieMethod,
    pub seed: String,
}

/// An electoral system: how the contests that use it elect their members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct System {
    pub id: String,
    pub method: Method,
    /// Reserved seats: only candidates in this group may stand.
    pub reserved_for: Option<String>,
    pub electorate: Electorate,
    pub quotas: Vec<QuotaRule>,
    pub ties: TiePolicy,
}

/// A contest: a pool of seats allocated together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    pub id: String,
    pub name: String,
    pub governorate: Option<GovernorateIdx>,
    pub seats: u32,
    pub system: SystemIdx,
    /// The population its seats are apportioned by, under [`ContestApportionment`].
    pub population: Option<u32>,
}

/// How a mixed-member system treats a party whose constituency seats exceed its share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overhang {
    /// It keeps them and the house grows by as many seats (New Zealand).
    Keep,
    /// The house grows until every party has at least its minimum (Germany 2013–2020): the sum
    /// over the list contests of the larger of its constituency seats and its first-stage seats.
    Level,
}

impl Overhang {
    pub fn as_str(self) -> &'static str {
        match self {
            Overhang::Keep => "keep",
            Overhang::Level => "level",
        }
    }
}

/// A mixed-member proportional system: single-seat constituencies (an SNTV system with one
/// seat each, i.e. plurality) and party lists (a list-PR system) that compensate for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixedMember {
    pub constituencies: SystemIdx,
    /// Its threshold (with any `or_seats` alternative) decides which parties take part.
    pub lists: SystemIdx,
    /// Seats of the house before any overhang, constituencies included.
    pub seats: u32,
    /// The national formula, and the one that places a party's seats among its lists.
    pub formula: Formula,
    pub overhang: Overhang,
}

/// Biproportional apportionment over the contests of one list-PR system (Zurich's "double
/// Pukelsheim"): the parties' seats are computed over all the contests together (upper
/// apportionment), then divided among the contests so that every contest keeps its seats and
/// every party its total (lower apportionment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BiproportionalTier {
    pub system: SystemIdx,
    /// A divisor formula, for both apportionments (Zurich: Sainte-Laguë).
    pub formula: Formula,
    /// The upper apportionment uses each list's votes divided by its contest's seats, rounded
    /// (Zurich's voter numbers, where each voter casts as many votes as there are seats).
    pub voter_numbers: bool,
}

/// Seats of the contests of one system apportioned by population (the US House among the
/// states; Germany's Land contingents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContestApportionment {
    pub system: SystemIdx,
    /// A divisor formula (US: Huntington-Hill; Germany: Sainte-Laguë).
    pub formula: Formula,
    /// Seats to apportion among the system's contests.
    pub seats: u32,
    /// Seats every unit receives whatever its population (US: 1).
    pub minimum: u32,
    /// What the seats are apportioned among: each contest of the system by its `population`
    /// (empty here), or each governorate by the population given here, its contests of the
    /// system then holding exactly its seats between them (US: a state's districts).
    pub governorate_population: Vec<(String, u32)>,
    /// The outcome, per unit in order: (contest or governorate, population, seats).
    pub apportioned: Vec<(String, u32, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coalition {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub coalition: Option<CoalitionIdx>,
    /// A list-PR threshold share for this party's lists instead of the system's (e.g. a higher
    /// one for a joint list of several parties, as in Czechia or Poland).
    pub threshold: Option<Fraction>,
    /// A surplus agreement (Israel): parties with the same agreement pool their list votes in
    /// the allocation and then divide the pool's seats.
    pub agreement: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    /// The name in whatever script the list uses.
    pub name: String,
    pub gender: Gender,
    /// `None` for an independent.
    pub party: Option<PartyIdx>,
    pub contest: ContestIdx,
    /// Group memberships, such as a minority community.
    pub groups: Vec<String>,
    /// Not a person but the list itself: votes cast for the list only (list PR).
    pub list_vote: bool,
    /// The person, when one person stands in several contests (a German constituency candidate
    /// who is also on the Land list): candidacies with the same person are one person.
    pub person: Option<String>,
}

/// A polling station. Its id lives in [`Election::station_ids`] (see [`Election::station_label`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Station {
    /// The polling centre, an index into [`Election::centres`].
    pub centre: u32,
    /// The contest whose ballot this station counts (its district).
    pub district: ContestIdx,
    pub governorate: Option<GovernorateIdx>,
    pub registered: u32,
}

/// Which phase's form counts for a station: the first phase in `precedence` that has a form,
/// and within it the highest version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhasePolicy {
    pub precedence: Vec<Phase>,
}

impl PhasePolicy {
    /// The default: latest correction, then recount, then manual, then electronic.
    pub fn latest() -> Self {
        PhasePolicy {
            precedence: vec![Phase::Correction, Phase::Recount, Phase::Manual, Phase::Electronic],
        }
    }

    /// Rank of a phase under this policy (0 = preferred); `None` if the policy ignores it.
    pub fn rank(&self, phase: Phase) -> Option<usize> {
        self.precedence.iter().position(|&p| p == phase)
    }

    pub fn describe(&self) -> String {
        self.precedence.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(" > ")
    }
}

/// Everything read from a package, with references already resolved to indices.
#[derive(Clone, Debug, Default)]
pub struct ElectionParts {
    pub meta: Meta,
    pub systems: Vec<System>,
    pub governorates: Vec<String>,
    pub contests: Vec<Contest>,
    pub coalitions: Vec<Coalition>,
    pub parties: Vec<Party>,
    pub candidates: Vec<Candidate>,
    pub stations: Vec<Station>,
    /// The id of each station, in the order of `stations`.
    pub station_ids: IdArena,
    /// Polling centre ids, by [`Station::centre`].
    pub centres: Vec<String>,
    pub phase_policy: Option<PhasePolicy>,
    pub leveling: Option<LevelingTier>,
    pub apportionment: Option<ContestApportionment>,
    pub mixed_member: Option<MixedMember>,
    pub biproportional: Option<BiproportionalTier>,
    /// An index of `stations` by id, when the reader built one already (it must match).
    pub station_index: Option<IdIndex>,
}

/// The candidates printed on the ballot of one contest: its own candidates and those of the
/// contests whose electorate includes its stations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ballot {
    pub candidates: Vec<CandidateIdx>,
}

/// An election, with its lookups and ballots derived once.
#[derive(Clone, Debug)]
pub struct Election {
    pub meta: Meta,
    pub systems: Vec<System>,
    pub governorates: Vec<String>,
    pub contests: Vec<Contest>,
    pub coalitions: Vec<Coalition>,
    pub parties: Vec<Party>,
    pub candidates: Vec<Candidate>,
    pub stations: Vec<Station>,
    pub station_ids: IdArena,
    pub centres: Vec<String>,
    pub phase_policy: PhasePolicy,
    pub leveling: Option<LevelingTier>,
    pub apportionment: Option<ContestApportionment>,
    pub mixed_member: Option<MixedMember>,
    pub biproportional: Option<BiproportionalTier>,
    contest_by_id: IdIndex,
    candidate_by_id: IdIndex,
    station_by_id: IdIndex,
    party_by_id: IdIndex,
    coalition_by_id: IdIndex,
    /// Per contest: its ballot (empty for contests that have no stations of their own).
    ballots: Vec<Ballot>,
    /// Contests on a nationwide ballot paper of their own.
    separate_nationwide: Vec<ContestIdx>,
    /// Per governorate: contests on a ballot paper of their own for its voters.
    separate_by_governorate: Vec<Vec<ContestIdx>>,
    /// Per contest, per candidate on its ballot: position on the ballot. Sorted by candidate.
    ballot_positions: Vec<Vec<(CandidateIdx, u32)>>,
    /// Per contest: the candidates standing in it.
    contest_candidates: Vec<Vec<CandidateIdx>>,
}

impl Election {
    /// Builds the lookups and ballots. `parts` must have every index in range (the package
    /// reader guarantees it).
    pub fn new(parts: ElectionParts) -> Election {
        let ElectionParts {
            meta,
            systems,
            governorates,
            contests,
            coalitions,
            parties,
            candidates,
            stations,
            station_ids,
            centres,
            phase_policy,
            leveling,
            apportionment,
            mixed_member,
            biproportional,
            station_index,
        } = parts;
        // Repeated ids are the package reader's to report; here the first one wins.
        let contest_by_id = IdIndex::build(contests.iter().map(|c| c.id.as_str())).0;
        let candidate_by_id = IdIndex::build(candidates.iter().map(|c| c.id.as_str())).0;
        let station_by_id = station_index
            .filter(|i| i.len() == stations.len())
            .unwrap_or_else(|| IdIndex::build(station_ids.iter()).0);
        let party_by_id = IdIndex::build(parties.iter().map(|c| c.id.as_str())).0;
        let coalition_by_id = IdIndex::build(coalitions.iter().map(|c| c.id.as_str())).0;

        let mut contest_candidates = vec![Vec::new(); contests.len()];
        for (i, c) in candidates.iter().enumerate() {
            contest_candidates[c.contest.index()].push(CandidateIdx::from_index(i));
        }
        // A contest has a ballot when its own voters elect it. Candidates of contests with a
        // wider electorate are added to the ballots of every such contest they reach.
        let mut ballots = vec![Ballot::default(); contests.len()];
        let mut separate_nationwide = Vec::new();
        let mut separate_by_governorate = vec![Vec::new(); governorates.len()];
        for (ci, contest) in contests.iter().enumerate() {
            let electorate = systems[contest.system.index()].electorate;
            match electorate {
                Electorate::NationwideBallot => {
                    separate_nationwide.push(ContestIdx::from_index(ci));
                }
                Electorate::GovernorateBallot => {
                    if let Some(g) = contest.governorate {
                        separate_by_governorate[g.index()].push(ContestIdx::from_index(ci));
                    }
                }
                _ => {}
            }
            if !electorate.has_ballot() {
                continue;
            }
            let mut list = contest_candidates[ci].clone();
            // Candidates of wider electorates join district ballots only.
            let district_ballot = electorate == Electorate::Own;
            for (other_i, other) in contests.iter().enumerate() {
                let reaches = district_ballot
                    && match systems[other.system.index()].electorate {
                        Electorate::Own
                        | Electorate::GovernorateBallot
                        | Electorate::NationwideBallot => false,
                        Electorate::Nationwide => true,
                        Electorate::Governorate => {
                            other.governorate.is_some() && other.governorate == contest.governorate
                        }
                    };
                if reaches {
                    list.extend_from_slice(&contest_candidates[other_i]);
                }
            }
            ballots[ci] = Ballot { candidates: list };
        }
        let ballot_positions = ballots
            .iter()
            .map(|b| {
                let mut v: Vec<(CandidateIdx, u32)> = b
                    .candidates
                    .iter()
                    .enumerate()
                    .map(|(pos, &c)| (c, u32::try_from(pos).unwrap_or(u32::MAX)))
                    .collect();
                v.sort_unstable();
                v
            })
            .collect();

        Election {
            meta,
            systems,
            governorates,
            contests,
            coalitions,
            parties,
            candidates,
            stations,
            station_ids,
            centres,
            phase_policy: phase_policy.unwrap_or_else(PhasePolicy::latest),
            leveling,
            apportionment,
            mixed_member,
            biproportional,
            contest_by_id,
            candidate_by_id,
            station_by_id,
            party_by_id,
            coalition_by_id,
            ballots,
            ballot_positions,
            contest_candidates,
            separate_nationwide,
            separate_by_governorate,
        }
    }

    /// The ballots a station counts: its district's, then the contests on ballot papers of
    /// their own that reach it (nationwide, then its governorate's).
    pub fn station_ballots(&self, s: StationIdx) -> impl Iterator<Item = ContestIdx> + '_ {
        let station = &self.stations[s.index()];
        let governorate: &[ContestIdx] = match station.governorate {
            Some(g) => &self.separate_by_governorate[g.index()],
            None => &[],
        };
        std::iter::once(station.district)
            .chain(self.separate_nationwide.iter().copied())
            .chain(governorate.iter().copied())
    }

    /// How many ballots a station counts (see [`Election::station_ballots`]).
    pub fn station_ballot_count(&self, s: StationIdx) -> usize {
        let station = &self.stations[s.index()];
        1 + self.separate_nationwide.len()
            + station.governorate.map_or(0, |g| self.separate_by_governorate[g.index()].len())
    }

    /// Whether any contest has a ballot paper of its own beside the districts'.
    pub fn has_separate_ballots(&self) -> bool {
        !self.separate_nationwide.is_empty()
            || self.separate_by_governorate.iter().any(|g| !g.is_empty())
    }

    /// Where a contest's ballot comes among a station's ballots, if the station counts it.
    pub fn station_ballot_index(&self, s: StationIdx, contest: ContestIdx) -> Option<usize> {
        self.station_ballots(s).position(|c| c == contest)
    }

    pub fn contest_id(&self, id: &str) -> Option<ContestIdx> {
        self.contest_by_id.get(id, |i| &self.contests[i].id).map(ContestIdx::from_index)
    }
    pub fn candidate_id(&self, id: &str) -> Option<CandidateIdx> {
        self.candidate_by_id.get(id, |i| &self.candidates[i].id).map(CandidateIdx::from_index)
    }
    pub fn station_id(&self, id: &str) -> Option<StationIdx> {
        self.station_by_id.get(id, |i| self.station_ids.get(i)).map(StationIdx::from_index)
    }
    pub fn party_id(&self, id: &str) -> Option<PartyIdx> {
        self.party_by_id.get(id, |i| &self.parties[i].id).map(PartyIdx::from_index)
    }
    pub fn coalition_id(&self, id: &str) -> Option<CoalitionIdx> {
        self.coalition_by_id.get(id, |i| &self.coalitions[i].id).map(CoalitionIdx::from_index)
    }

    pub fn contest(&self, c: ContestIdx) -> &Contest {
        &self.contests[c.index()]
    }
    pub fn candidate(&self, c: CandidateIdx) -> &Candidate {
        &self.candidates[c.index()]
    }
    pub fn station(&self, s: StationIdx) -> &Station {
        &self.stations[s.index()]
    }
    /// The id of a station, as written in stations.csv.
    pub fn station_label(&self, s: StationIdx) -> &str {
        self.station_ids.get(s.index())
    }
    /// The id of a station's polling centre.
    pub fn centre_of(&self, s: &Station) -> &str {
        self.centres.get(s.centre as usize).map_or("", String::as_str)
    }

    /// The station with this id, trying `hint` first: result files usually list stations in the
    /// order of stations.csv, so the next row's station is often the one after the last.
    pub fn station_id_near(&self, id: &str, hint: usize) -> Option<StationIdx> {
        if hint < self.station_ids.len() && self.station_ids.get(hint) == id {
            return Some(StationIdx::from_index(hint));
        }
        self.station_id(id)
    }
    pub fn system(&self, s: SystemIdx) -> &System {
        &self.systems[s.index()]
    }
    pub fn system_of(&self, c: ContestIdx) -> &System {
        self.system(self.contest(c).system)
    }

    /// The coalition a candidate belongs to through their party.
    pub fn coalition_of(&self, c: CandidateIdx) -> Option<CoalitionIdx> {
        self.candidate(c).party.and_then(|p| self.parties[p.index()].coalition)
    }

    /// The ballot counted at the stations of a contest (empty if it has none of its own).
    pub fn ballot(&self, c: ContestIdx) -> &Ballot {
        &self.ballots[c.index()]
    }

    /// Position of a candidate on a contest's ballot, if the candidate is on it.
    pub fn ballot_position(&self, contest: ContestIdx, candidate: CandidateIdx) -> Option<usize> {
        let v = &self.ballot_positions[contest.index()];
        v.binary_search_by_key(&candidate, |&(c, _)| c).ok().map(|i| v[i].1 as usize)
    }

    /// Whether a contest is counted on ballots of its own.
    pub fn has_ballot(&self, c: ContestIdx) -> bool {
        self.system_of(c).electorate.has_ballot()
    }

    pub fn candidates_in(&self, c: ContestIdx) -> &[CandidateIdx] {
        &self.contest_candidates[c.index()]
    }

    /// Total seats of all contests, and the leveling seats. A mixed-member system counts as its
    /// `seats` (before any overhang), not as its constituencies plus its lists.
    pub fn total_seats(&self) -> u64 {
        let mixed = |c: &Contest| {
            self.mixed_member
                .as_ref()
                .is_some_and(|m| c.system == m.constituencies || c.system == m.lists)
        };
        self.contests.iter().filter(|c| !mixed(c)).map(|c| u64::from(c.seats)).sum::<u64>()
            + self.leveling.as_ref().map_or(0, |l| u64::from(l.seats))
            + self.mixed_member.as_ref().map_or(0, |m| u64::from(m.seats))
    }

    /// Total registered voters of all stations.
    pub fn total_registered(&self) -> u64 {
        self.stations.iter().map(|s| u64::from(s.registered)).sum()
    }
}
