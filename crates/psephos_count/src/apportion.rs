//! Apportionment: dividing a number of seats among parties (or states) in proportion to votes
//! (or population), by a divisor method or a largest-remainder method, exactly.
//!
//! Every comparison is between exact rationals with `u128` cross-multiplication; Huntington-Hill's
//! geometric-mean divisors are compared through their squares. Nothing is rounded except what a
//! method itself rounds (the Droop quota). Ties are settled by the declared rule and recorded.

use std::cmp::Ordering;
use std::fmt;

use crate::lot::lot_ticket;

/// The largest vote count (or population) the exact arithmetic takes: 2^48, about 2.8 × 10^14.
pub const MAX_VOTES: u128 = 1 << 48;

/// A non-negative exact rational `num / den`; `den == 0` stands for +infinity. Equality is of
/// values (2/4 == 1/2).
#[derive(Clone, Copy, Debug)]
pub struct Ratio {
    pub num: u128,
    pub den: u128,
}

impl Ratio {
    pub fn new(num: u128, den: u128) -> Ratio {
        Ratio { num, den }
    }

    pub fn integer(n: u128) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// Parses a decimal such as `1.4`, `3`, `0.25` or a fraction such as `7/5`.
    pub fn parse(text: &str) -> Option<Ratio> {
        let text = text.trim();
        if let Some((n, d)) = text.split_once('/') {
            let (n, d) = (n.trim().parse::<u128>().ok()?, d.trim().parse::<u128>().ok()?);
            return (d > 0).then_some(Ratio { num: n, den: d });
        }
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if frac.len() > 12 || int.len() > 12 {
            return None;
        }
        let den = 10u128.pow(frac.len() as u32);
        let int: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac: u128 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        Some(Ratio { num: int.checked_mul(den)?.checked_add(frac)?, den })
    }

    pub fn is_infinite(self) -> bool {
        self.den == 0
    }

    /// The value as a decimal string with `places` decimals, rounded half up (for display).
    pub fn decimal(self, places: u32) -> String {
        if self.den == 0 {
            return "inf".to_owned();
        }
        let scale = 10u128.pow(places);
        let scaled = (self.num * scale * 2 + self.den) / (2 * self.den);
        if places == 0 {
            return scaled.to_string();
        }
        format!("{}.{:0width$}", scaled / scale, scaled % scale, width = places as usize)
    }
}

impl Ratio {
    /// The square root as a decimal string with `places` decimals, rounded half up, exactly
    /// (Huntington-Hill compares quotients through their squares).
    pub fn sqrt_decimal(self, places: u32) -> String {
        if self.den == 0 {
            return "inf".to_owned();
        }
        let scale = 10u128.pow(places);
        let exact = (|| {
            let n = self.num.checked_mul(scale)?.checked_mul(scale)?;
            let k = (n / self.den).isqrt();
            // Round half up: k + 1 when sqrt(n / den) >= k + 1/2, i.e. 4n >= (2k + 1)^2 den.
            let half = (2 * k + 1).checked_mul(2 * k + 1)?.checked_mul(self.den)?;
            Some(if n.checked_mul(4)? >= half { k + 1 } else { k })
        })();
        let Some(scaled) = exact else {
            return format!("{:.*}", places as usize, (self.num as f64 / self.den as f64).sqrt());
        };
        if places == 0 {
            return scaled.to_string();
        }
        format!("{}.{:0width$}", scaled / scale, scaled % scale, width = places as usize)
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.den == 0, other.den == 0) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            // Both finite: a/b vs c/d as a*d vs c*b, exactly.
            (false, false) => mul(self.num, other.den).cmp(&mul(other.num, self.den)),
        }
    }
}

/// A product of two factors whose product fits in 128 bits (the arithmetic's bound), with one
/// machine multiplication when both fit in 64 bits, as they almost always do.
#[inline]
fn mul(a: u128, b: u128) -> u128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => u128::from(a) * u128::from(b),
        _ => a * b,
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ratio {}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// An apportionment method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Divisors 1, 2, 3, ... (Jefferson).
    DHondt,
    /// Divisors 1, 3, 5, ... (Webster).
    SainteLague,
    /// Divisors f, 3, 5, 7, ...: Norway 1.4, Sweden 1.2, Iraq 1.7.
    ModifiedSainteLague { first: Ratio },
    /// Divisors 2, 3, 4, ...
    Imperiali,
    /// Divisors 1, 4, 7, 10, ...
    Danish,
    /// Divisors √(s(s+1)): 0, √2, √6, ... (US House).
    HuntingtonHill,
    /// Divisors 0, 1, 2, ...
    Adams,
    /// Divisors 2s(s+1)/(2s+1), the harmonic mean: 0, 4/3, 12/5, ...
    Dean,
    /// Largest remainders with the quota votes / seats.
    Hare,
    /// Largest remainders with the quota floor(votes / (seats + 1)) + 1.
    Droop,
    /// Largest remainders with the quota votes / (seats + 1).
    HagenbachBischoff,
    /// Largest remainders with the quota votes / (seats + 1) rounded half up (Slovakia).
    HagenbachBischoffRounded,
    /// Largest remainders with the quota votes / (seats + 2).
    ImperialiQuota,
}

impl Method {
    /// The names of the CLI and of packages.
    pub const NAMES: [&'static str; 13] = [
        "dhondt",
        "sainte-lague",
        "modified-sainte-lague",
        "huntington-hill",
        "adams",
        "dean",
        "danish",
        "imperiali",
        "hare",
        "droop",
        "hagenbach-bischoff",
        "hagenbach-bischoff-rounded",
        "imperiali-quota",
    ];

    /// A method by name; `modified-sainte-lague` takes its first divisor (default 1.4).
    pub fn parse(name: &str, first_divisor: Option<Ratio>) -> Option<Method> {
        Some(match name {
            "dhondt" | "d'hondt" | "jefferson" => Method::DHondt,
            "sainte-lague" | "webster" => Method::SainteLague,
            "modified-sainte-lague" => {
                Method::ModifiedSainteLague { first: first_divisor.unwrap_or(Ratio::new(7, 5)) }
            }
            "huntington-hill" => Method::HuntingtonHill,
            "adams" => Method::Adams,
            "dean" => Method::Dean,
            "danish" => Method::Danish,
            "imperiali" => Method::Imperiali,
            "hare" => Method::Hare,
            "droop" => Method::Droop,
            "hagenbach-bischoff" => Method::HagenbachBischoff,
            "hagenbach-bischoff-rounded" => Method::HagenbachBischoffRounded,
            "imperiali-quota" => Method::ImperialiQuota,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::DHondt => "dhondt",
            Method::SainteLague => "sainte-lague",
            Method::ModifiedSainteLague { .. } => "modified-sainte-lague",
            Method::HuntingtonHill => "huntington-hill",
            Method::Adams => "adams",
            Method::Dean => "dean",
            Method::Danish => "danish",
            Method::Imperiali => "imperiali",
            Method::Hare => "hare",
            Method::Droop => "droop",
            Method::HagenbachBischoff => "hagenbach-bischoff",
            Method::HagenbachBischoffRounded => "hagenbach-bischoff-rounded",
            Method::ImperialiQuota => "imperiali-quota",
        }
    }

    pub fn is_divisor(self) -> bool {
        !matches!(
            self,
            Method::Hare
                | Method::Droop
                | Method::HagenbachBischoff
                | Method::HagenbachBischoffRounded
                | Method::ImperialiQuota
        )
    }

    /// The divisor for a party that holds `s` seats, as a rational; `None` for Huntington-Hill,
    /// whose divisor is irrational (see [`Method::priority`]).
    pub fn divisor(self, s: u128) -> Option<Ratio> {
        Some(match self {
            Method::DHondt => Ratio::integer(s + 1),
            Method::SainteLague => Ratio::integer(2 * s + 1),
            Method::ModifiedSainteLague { first } => {
                if s == 0 {
                    first
                } else {
                    Ratio::integer(2 * s + 1)
                }
            }
            Method::Imperiali => Ratio::integer(s + 2),
            Method::Danish => Ratio::integer(3 * s + 1),
            Method::Adams => Ratio::integer(s),
            Method::Dean => Ratio::new(2 * s * (s + 1), 2 * s + 1),
            _ => return None,
        })
    }

    /// The priority of a party with `votes` and `s` seats: its quotient `votes / divisor`, or for
    /// Huntington-Hill the square of it (which orders the same). Infinite when the divisor is 0.
    pub fn priority(self, votes: u128, s: u128) -> Ratio {
        if votes == 0 {
            return Ratio::integer(0);
        }
        match self {
            Method::HuntingtonHill => Ratio::new(votes * votes, s * (s + 1)),
            _ => {
                let d = self.divisor(s).unwrap_or(Ratio::integer(1));
                Ratio::new(votes * d.den, d.num)
            }
        }
    }

    /// The quotient as people read it, for explanations.
    pub fn quotient_text(self, votes: u128, s: u128) -> String {
        match self {
            Method::HuntingtonHill => self.priority(votes, s).sqrt_decimal(3),
            _ => self.priority(votes, s).decimal(3),
        }
    }

    /// The quota of a largest-remainder method.
    pub fn quota(self, total: u128, seats: u128) -> Option<Ratio> {
        Some(match self {
            Method::Hare => Ratio::new(total, seats.max(1)),
            Method::Droop => Ratio::integer(total / (seats + 1) + 1),
            Method::HagenbachBischoff => Ratio::new(total, seats + 1),
            Method::HagenbachBischoffRounded => {
                Ratio::integer((2 * total + seats + 1) / (2 * (seats + 1)))
            }
            Method::ImperialiQuota => Ratio::new(total, seats + 2),
            _ => return None,
        })
    }
}

/// How ties that the votes do not settle are decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TieRule {
    /// A lot: lowest SHA-256 ticket of `seed|context|party` wins.
    Lot { seed: String, context: String },
    /// The party with more votes; a lot if they are equal too (Spain's LOREG art. 163).
    MostVotesThenLot { seed: String, context: String },
}

/// A threshold that parties must reach to take part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// The share of the base, e.g. 3/100.
    pub share: Ratio,
    /// Votes in the base that belong to no party (e.g. blank ballots in Spain).
    pub extra_valid: u128,
    /// Shares for particular parties instead of `share` (e.g. coalitions), by party index.
    pub party_shares: Vec<(usize, Ratio)>,
}

impl Threshold {
    /// The same share for every party.
    pub fn uniform(share: Ratio, extra_valid: u128) -> Threshold {
        Threshold { share, extra_valid, party_shares: Vec::new() }
    }

    fn share_of(&self, party: usize) -> Ratio {
        self.party_shares.iter().find(|(p, _)| *p == party).map_or(self.share, |(_, s)| *s)
    }
}

/// One seat of a divisor method, in the order it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatStep {
    pub party: usize,
    /// The party's priority when it won the seat (the square of the quotient for Huntington-Hill).
    pub priority: Ratio,
    /// Seats the party held before this one.
    pub held: u128,
}

/// A decision the tie rule made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApportionTie {
    /// The tied parties, in the rule's order (first = favoured).
    pub parties: Vec<usize>,
    /// Seats that were at stake among them.
    pub seats: u128,
    pub chosen: Vec<usize>,
    /// Tickets of the lot, when one was drawn (hex, same order as `parties`).
    pub tickets: Vec<String>,
    pub rule: &'static str,
}

/// The result of an apportionment, with what explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Apportionment {
    pub seats: Vec<u128>,
    /// Parties below the threshold.
    pub excluded: Vec<bool>,
    /// The threshold in votes (the smallest vote count that qualifies), if there is one.
    pub threshold_votes: Option<Ratio>,
    /// Largest-remainder methods: the quota, and each party's remainder (empty for divisor
    /// methods).
    pub quota: Option<Ratio>,
    pub remainders: Vec<Option<Ratio>>,
    pub ties: Vec<ApportionTie>,
}

impl Apportionment {
    /// For a divisor method, every seat in the order it was given: all the quotients that won a
    /// seat, highest first (equal quotients in party order). Derived from the seats, so the
    /// allocation itself stores nothing it does not need.
    pub fn steps(&self, votes: &[u128], method: Method) -> Vec<SeatStep> {
        if !method.is_divisor() {
            return Vec::new();
        }
        let mut steps: Vec<SeatStep> = self
            .seats
            .iter()
            .enumerate()
            .flat_map(|(party, &n)| {
                (0..n).map(move |held| SeatStep {
                    party,
                    priority: method.priority(votes[party], held),
                    held,
                })
            })
            .collect();
        steps.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.party.cmp(&b.party)));
        steps
    }
}

/// Why an apportionment cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApportionError {
    /// No party qualifies (or no party has votes) but there are seats to give.
    NoEligibleParty,
    /// Votes too large for exact arithmetic (beyond [`MAX_VOTES`]).
    TooLarge,
}

impl fmt::Display for ApportionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApportionError::NoEligibleParty => f.write_str(
                "no party has votes and passes the threshold; the seats cannot be given",
            ),
            ApportionError::TooLarge => f.write_str(
                "a vote count exceeds 2^48 (about 2.8 × 10^14); exact arithmetic would overflow",
            ),
        }
    }
}

/// Apportions `seats` among parties with `votes`. `names` identify the parties in lots.
pub fn apportion(
    votes: &[u128],
    names: &[&str],
    seats: u128,
    method: Method,
    threshold: Option<&Threshold>,
    ties: &TieRule,
) -> Result<Apportionment, ApportionError> {
    if votes.iter().any(|&v| v > MAX_VOTES) || threshold.is_some_and(|t| t.extra_valid > MAX_VOTES)
    {
        return Err(ApportionError::TooLarge);
    }
    let n = votes.len();
    let total: u128 = votes.iter().sum();
    // Threshold: votes * den >= share * base, exactly.
    let (excluded, threshold_votes) = match threshold {
        Some(t) => {
            let base = total + t.extra_valid;
            let needed = Ratio::new(t.share.num * base, t.share.den);
            let excluded = votes
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let share = t.share_of(i);
                    Ratio::integer(v) < Ratio::new(share.num * base, share.den)
                })
                .collect();
            (excluded, Some(needed))
        }
        None => (vec![false; n], None),
    };
    let eligible: Vec<usize> = (0..n).filter(|&i| !excluded[i] && votes[i] > 0).collect();
    let mut result = Apportionment {
        seats: vec![0; n],
        excluded,
        threshold_votes,
        quota: None,
        remainders: if method.is_divisor() { Vec::new() } else { vec![None; n] },
        ties: Vec::new(),
    };
    if seats == 0 {
        return Ok(result);
    }
    if eligible.is_empty() {
        return Err(ApportionError::NoEligibleParty);
    }
    if method.is_divisor() {
        divisor(votes, names, seats, method, &eligible, ties, &mut result);
    } else {
        largest_remainder(votes, names, seats, method, &eligible, ties, &mut result);
    }
    Ok(result)
}

/// A divisor method that starts from `minimums` (e.g. the direct seats a party list must keep)
/// and gives out the rest: each party ends with max(minimum, its divisor-method seats) for the
/// common divisor that fills the house. Seats beyond `seats` in the minimums stay (overhang).
pub fn apportion_with_minimums(
    votes: &[u128],
    names: &[&str],
    seats: u128,
    method: Method,
    minimums: &[u128],
    ties: &TieRule,
) -> Result<Apportionment, ApportionError> {
    if !method.is_divisor() || votes.iter().any(|&v| v > MAX_VOTES) {
        return Err(ApportionError::TooLarge);
    }
    let n = votes.len();
    let eligible: Vec<usize> = (0..n).filter(|&i| votes[i] > 0).collect();
    let mut result = Apportionment {
        seats: minimums.to_vec(),
        excluded: vec![false; n],
        threshold_votes: None,
        quota: None,
        remainders: Vec::new(),
        ties: Vec::new(),
    };
    let given: u128 = minimums.iter().sum();
    if given < seats && !eligible.is_empty() {
        divisor(votes, names, seats, method, &eligible, ties, &mut result);
    }
    Ok(result)
}

/// Orders tied parties by the rule (first = favoured) and returns tickets if a lot was drawn.
pub(crate) fn order_tied(
    tied: &mut [usize],
    votes: &[u128],
    names: &[&str],
    rule: &TieRule,
) -> (Vec<String>, &'static str) {
    let (seed, context, by_votes) = match rule {
        TieRule::Lot { seed, context } => (seed, context, false),
        TieRule::MostVotesThenLot { seed, context } => (seed, context, true),
    };
    let ticket = |i: usize| lot_ticket(seed, context, names.get(i).copied().unwrap_or(""));
    tied.sort_by(|&a, &b| {
        let by = if by_votes { votes[b].cmp(&votes[a]) } else { Ordering::Equal };
        by.then_with(|| ticket(a).cmp(&ticket(b))).then(a.cmp(&b))
    });
    let lot_needed = !by_votes || tied.windows(2).any(|w| votes[w[0]] == votes[w[1]]);
    let tickets = if lot_needed {
        tied.iter().map(|&i| ticket(i).iter().map(|b| format!("{b:02x}")).collect()).collect()
    } else {
        Vec::new()
    };
    (
        tickets,
        if by_votes && !lot_needed {
            "most votes"
        } else if by_votes {
            "most votes, then lot"
        } else {
            "lot"
        },
    )
}

fn divisor(
    votes: &[u128],
    names: &[&str],
    seats: u128,
    method: Method,
    eligible: &[usize],
    ties: &TieRule,
    result: &mut Apportionment,
) {
    // A head start: every priority at or above a bound that at most `seats` priorities can reach
    // is certainly among the winners, and strictly above every priority below the bound, so
    // giving those seats at once changes neither the result nor which ties arise.
    if result.seats.iter().all(|&s| s == 0)
        && let Some(bound) = head_start_bound(method, eligible.iter().map(|&i| votes[i]), seats)
    {
        let mut given = 0u128;
        for &i in eligible {
            let mut k = 0u128;
            while k < seats && method.priority(votes[i], k) >= bound {
                k += 1;
            }
            result.seats[i] = k;
            given += k;
        }
        debug_assert!(given <= seats);
        if given > seats {
            for &i in eligible {
                result.seats[i] = 0;
            }
        }
    }
    // Seats go one at a time to the highest priority; ties at the boundary go by the rule.
    // Parties are few, so a scan of their current priorities beats a heap.
    let mut priority: Vec<(Ratio, usize)> =
        eligible.iter().map(|&i| (method.priority(votes[i], result.seats[i]), i)).collect();
    let mut given: u128 = result.seats.iter().sum();
    while given < seats {
        // The top priority, where it first occurs, and how many parties share it.
        let mut top = priority[0].0;
        let mut at = 0usize;
        let mut count = 0usize;
        for (k, &(p, _)) in priority.iter().enumerate() {
            match p.cmp(&top) {
                Ordering::Greater => {
                    top = p;
                    at = k;
                    count = 1;
                }
                Ordering::Equal => count += 1,
                Ordering::Less => {}
            }
        }
        let left = seats - given;
        if count == 1 {
            let (p, i) = &mut priority[at];
            result.seats[*i] += 1;
            *p = method.priority(votes[*i], result.seats[*i]);
            given += 1;
            continue;
        }
        if (count as u128) <= left {
            for (p, i) in priority.iter_mut() {
                if *p == top {
                    result.seats[*i] += 1;
                    *p = method.priority(votes[*i], result.seats[*i]);
                }
            }
            given += count as u128;
            continue;
        }
        let mut ordered: Vec<usize> =
            priority.iter().filter(|(p, _)| *p == top).map(|&(_, i)| i).collect();
        let (tickets, rule) = order_tied(&mut ordered, votes, names, ties);
        let chosen: Vec<usize> = ordered[..left as usize].to_vec();
        for &i in &chosen {
            result.seats[i] += 1;
        }
        result.ties.push(ApportionTie { parties: ordered, seats: left, chosen, tickets, rule });
        break;
    }
}

/// A priority that at most `seats` priorities reach, for the divisor methods whose divisors grow
/// at least as fast as D'Hondt's or Sainte-Laguë's (`None` for the others, or when the parties
/// are too many for the bound). With divisors d(s) >= s + a, at most V / b + n (1 - a) priorities
/// are >= b, for V votes among n parties: b = V / (S - n (1 - a)).
fn head_start_bound(
    method: Method,
    votes: impl Iterator<Item = u128>,
    seats: u128,
) -> Option<Ratio> {
    let (mut total, mut n) = (0u128, 0u128);
    for v in votes {
        total += v;
        n += 1;
    }
    if total == 0 {
        return None;
    }
    match method {
        // Divisors s + 1.
        Method::DHondt => Some(Ratio::new(total, seats)),
        // Priorities v / (2s + 1) (Sainte-Laguë; modified with a first divisor of at least 1):
        // at most V / (2b) + n / 2 reach b, so b = V / (2S - n).
        Method::SainteLague => (2 * seats > n).then(|| Ratio::new(total, 2 * seats - n)),
        Method::ModifiedSainteLague { first } if first.num >= first.den => {
            (2 * seats > n).then(|| Ratio::new(total, 2 * seats - n))
        }
        _ => None,
    }
}

fn largest_remainder(
    votes: &[u128],
    names: &[&str],
    seats: u128,
    method: Method,
    eligible: &[usize],
    ties: &TieRule,
    result: &mut Apportionment,
) {
    let total: u128 = eligible.iter().map(|&i| votes[i]).sum();
    let Some(quota) = method.quota(total, seats) else { return };
    result.quota = Some(quota);
    let mut given = 0u128;
    for &i in eligible {
        // Whole quotas: floor(v / q) = floor(v * den / num); the remainder v - k q as a rational.
        let k = (votes[i] * quota.den) / quota.num.max(1);
        result.seats[i] = k;
        given += k;
        result.remainders[i] = Some(Ratio::new(votes[i] * quota.den - k * quota.num, quota.den));
    }
    // A quota below the Hare quota can give more whole quotas than seats: take back from the
    // smallest remainders (one each), as the methods' usual rule; equal remainders across the
    // line go to the tie rule, the favoured keeping their seats.
    while given > seats {
        let Some(smallest) =
            eligible.iter().filter(|&&i| result.seats[i] > 0).map(|&i| result.remainders[i]).min()
        else {
            break;
        };
        let group: Vec<usize> = eligible
            .iter()
            .copied()
            .filter(|&i| result.seats[i] > 0 && result.remainders[i] == smallest)
            .collect();
        let excess = given - seats;
        let losers: Vec<usize> = if (group.len() as u128) <= excess {
            group
        } else {
            let mut ordered = group;
            let (tickets, rule) = order_tied(&mut ordered, votes, names, ties);
            let keep = ordered.len() - excess as usize;
            let chosen = ordered[..keep].to_vec();
            let losers = ordered[keep..].to_vec();
            result.ties.push(ApportionTie {
                parties: ordered,
                seats: keep as u128,
                chosen,
                tickets,
                rule,
            });
            losers
        };
        for i in losers {
            result.seats[i] -= 1;
            given -= 1;
        }
    }
    // Remaining seats by largest remainder.
    let mut order: Vec<usize> = eligible.to_vec();
    order.sort_by(|&a, &b| result.remainders[b].cmp(&result.remainders[a]).then(a.cmp(&b)));
    let mut left = seats - given;
    let mut k = 0;
    while left > 0 && k < order.len() {
        let r = result.remainders[order[k]];
        let mut end = k;
        while end < order.len() && result.remainders[order[end]] == r {
            end += 1;
        }
        let group = &order[k..end];
        if (group.len() as u128) <= left {
            for &i in group {
                result.seats[i] += 1;
            }
            left -= group.len() as u128;
        } else {
            let mut ordered = group.to_vec();
            let (tickets, rule) = order_tied(&mut ordered, votes, names, ties);
            let chosen: Vec<usize> = ordered[..left as usize].to_vec();
            for &i in &chosen {
                result.seats[i] += 1;
            }
            result.ties.push(ApportionTie { parties: ordered, seats: left, chosen, tickets, rule });
            left = 0;
        }
        k = end;
    }
    // More seats than remainders can fill (few parties): hand them round by votes, repeatedly.
    while left > 0 {
        for &i in &order {
            if left == 0 {
                break;
            }
            result.seats[i] += 1;
            left -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot() -> TieRule {
        TieRule::Lot { seed: "s".into(), context: "c".into() }
    }

    fn run(votes: &[u128], seats: u128, m: Method) -> Vec<u128> {
        let names: Vec<String> = (0..votes.len()).map(|i| format!("P{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        apportion(votes, &names, seats, m, None, &lot()).unwrap().seats
    }

    #[test]
    fn square_roots_print_exactly_rounded() {
        assert_eq!(Ratio::new(2, 1).sqrt_decimal(3), "1.414");
        // 100,000 / sqrt(12) = 28867.5134...
        assert_eq!(Method::HuntingtonHill.quotient_text(100_000, 3), "28867.513");
        // Exact halves round up: sqrt(9/4) = 1.5; sqrt(1/4) = 0.5 to no places is 1.
        assert_eq!(Ratio::new(9, 4).sqrt_decimal(1), "1.5");
        assert_eq!(Ratio::new(1, 4).sqrt_decimal(0), "1");
        assert_eq!(Ratio::new(1, 0).sqrt_decimal(3), "inf");
    }

    #[test]
    fn equal_remainders_when_seats_are_taken_back_go_to_the_lot() {
        // Hagenbach-Bischoff, 8 seats: quota 20,000 gives 5 + 4 = 9 whole quotas, both
        // remainders 0; one seat is taken back from A or B by lot.
        let names = ["A", "B"];
        let a = apportion(&[100_000, 80_000], &names, 8, Method::HagenbachBischoff, None, &lot())
            .unwrap();
        assert_eq!(a.seats.iter().sum::<u128>(), 8);
        assert_eq!(a.ties.len(), 1);
        let keeps = if lot_ticket("s", "c", "A") < lot_ticket("s", "c", "B") { 0 } else { 1 };
        assert_eq!(a.ties[0].chosen, vec![keeps]);
        assert_eq!(a.seats[keeps], [5, 4][keeps]);
        assert_eq!(a.seats[1 - keeps], [5, 4][1 - keeps] - 1);
    }

    #[test]
    fn textbook_examples() {
        // Wikipedia's D'Hondt example: 100000, 80000, 30000, 20000 for 8 seats.
        assert_eq!(run(&[100_000, 80_000, 30_000, 20_000], 8, Method::DHondt), [4, 3, 1, 0]);
        assert_eq!(run(&[100_000, 80_000, 30_000, 20_000], 8, Method::SainteLague), [3, 3, 1, 1]);
        // Hare: 47000, 16000, 15800, 12000, 6100, 3100 for 10 seats (Wikipedia LR example).
        assert_eq!(
            run(&[47_000, 16_000, 15_800, 12_000, 6_100, 3_100], 10, Method::Hare),
            [5, 2, 1, 1, 1, 0]
        );
        assert_eq!(
            run(&[47_000, 16_000, 15_800, 12_000, 6_100, 3_100], 10, Method::Droop),
            [5, 2, 2, 1, 0, 0]
        );
    }

    #[test]
    fn ratios() {
        assert_eq!(Ratio::parse("1.4"), Some(Ratio::new(7, 5)));
        assert_eq!(Ratio::parse("1.4").map(|r| (r.num, r.den)), Some((14, 10)));
        assert_eq!(
            Ratio::parse("7/5").unwrap().cmp(&Ratio::parse("1.4").unwrap()),
            Ordering::Equal
        );
        assert_eq!(Ratio::parse("3"), Some(Ratio::new(3, 1)));
        assert_eq!(Ratio::parse(".5"), Some(Ratio::new(5, 10)));
        assert_eq!(Ratio::parse("x"), None);
        assert_eq!(Ratio::parse("-1"), None);
        assert_eq!(Ratio::new(2, 3).decimal(3), "0.667");
        assert!(Ratio::new(1, 0) > Ratio::new(u64::MAX as u128, 1));
    }

    #[test]
    fn ties_go_by_the_rule() {
        let names = ["A", "B"];
        let a = apportion(&[10, 10], &names, 1, Method::DHondt, None, &lot()).unwrap();
        assert_eq!(a.seats.iter().sum::<u128>(), 1);
        assert_eq!(a.ties.len(), 1);
        assert_eq!(a.ties[0].tickets.len(), 2);
        let rule = TieRule::MostVotesThenLot { seed: "s".into(), context: "c".into() };
        // Equal quotients 20/2 and 10/1: the party with more votes wins.
        let a = apportion(&[20, 10], &names, 2, Method::DHondt, None, &rule).unwrap();
        assert_eq!(a.seats, [2, 0]);
        assert_eq!(a.ties[0].rule, "most votes");
    }
}
