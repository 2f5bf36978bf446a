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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Single non-transferable vote: the candidates with the most votes win.
    Sntv,
}

impl Method {
    pub const ALL: [Method; 1] = [Method::Sntv];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Sntv => "sntv",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
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
}

impl Electorate {
    pub const ALL: [Electorate; 3] =
        [Electorate::Own, Electorate::Governorate, Electorate::Nationwide];

    pub fn as_str(self) -> &'static str {
        match self {
            Electorate::Own => "own",
            Electorate::Governorate => "governorate",
            Electorate::Nationwide => "nationwide",
        }
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
}

/// How a tie that the ranking cannot settle is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TieMethod {
    /// A lot: each tied candidate's ticket is SHA-256 of `seed|contest|candidate` and the lowest
    /// ticket ranks first. Anyone can replay it.
    Lot,
}

impl TieMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TieMethod::Lot => "lot",
        }
    }

    pub fn parse(s: &str) -> Option<TieMethod> {
        (s == "lot").then_some(TieMethod::Lot)
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
    contest_by_id: IdIndex,
    candidate_by_id: IdIndex,
    station_by_id: IdIndex,
    party_by_id: IdIndex,
    coalition_by_id: IdIndex,
    /// Per contest: its ballot (empty for contests that have no stations of their own).
    ballots: Vec<Ballot>,
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
        for (ci, contest) in contests.iter().enumerate() {
            if systems[contest.system.index()].electorate != Electorate::Own {
                continue;
            }
            let mut list = contest_candidates[ci].clone();
            for (other_i, other) in contests.iter().enumerate() {
                let reaches = match systems[other.system.index()].electorate {
                    Electorate::Own => false,
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
            contest_by_id,
            candidate_by_id,
            station_by_id,
            party_by_id,
            coalition_by_id,
            ballots,
            ballot_positions,
            contest_candidates,
        }
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

    /// Whether a contest is counted on ballots of its own, at its own stations.
    pub fn has_ballot(&self, c: ContestIdx) -> bool {
        self.system_of(c).electorate == Electorate::Own
    }

    pub fn candidates_in(&self, c: ContestIdx) -> &[CandidateIdx] {
        &self.contest_candidates[c.index()]
    }

    /// Total seats of all contests.
    pub fn total_seats(&self) -> u64 {
        self.contests.iter().map(|c| u64::from(c.seats)).sum()
    }

    /// Total registered voters of all stations.
    pub fn total_registered(&self) -> u64 {
        self.stations.iter().map(|s| u64::from(s.registered)).sum()
    }
}
