//! RCTab contest configuration files (`*_config.json`), read as RCTab reads them: unknown keys
//! ignored, numbers given as strings or numbers, booleans as `true` or `"True"`, and the
//! validation RCTab applies before it reads any ballot (docs/internals/rctab-semantics.md §12).

use psephos_rcv::rctab::{Candidate, Contest, OvervoteRule, Rules, TieBreakMode, WinnerMode};
use serde_json::Value;

/// An RCTab contest configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct RctabConfig {
    pub tabulator_version: Option<String>,
    pub contest_name: String,
    pub contest_date: String,
    pub jurisdiction: String,
    pub office: String,
    pub output_directory: Option<String>,
    pub tabulate_by_precinct: bool,
    pub tabulate_by_batch: bool,
    pub generate_cdf_json: bool,
    /// `cvrFileSources`, as written (the CVR readers interpret them).
    pub sources: Vec<Value>,
    pub contest: Contest,
    pub rules: Rules,
    /// `maxRankingsAllowed`: a number, or `None` for `max` (the number of declared candidates).
    pub max_rankings: Option<u32>,
    /// Passes of a multi-pass IRV count (its `numberOfWinners`); 1 otherwise.
    pub passes: u32,
}

/// A string, number or boolean field as text (RCTab's Jackson coerces all of them).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn flag(v: Option<&Value>) -> bool {
    text(v).is_some_and(|s| s.trim().eq_ignore_ascii_case("true"))
}

/// Reads a configuration; the error lists every problem RCTab's validation would report.
pub fn parse_rctab_config(json: &str) -> Result<RctabConfig, Vec<String>> {
    let doc: Value = serde_json::from_str(json).map_err(|e| vec![format!("not JSON: {e}")])?;
    let mut problems = Vec::new();
    let out = doc.get("outputSettings");
    let field = |k: &str| text(out.and_then(|o| o.get(k))).unwrap_or_default();
    let rules_v = doc.get("rules");
    let rule = |k: &str| text(rules_v.and_then(|r| r.get(k)));
    let tabulator_version = text(doc.get("tabulatorVersion")).filter(|s| !s.is_empty());
    if tabulator_version.is_none() {
        problems.push("tabulatorVersion is required".to_owned());
    }
    let sources: Vec<Value> =
        doc.get("cvrFileSources").and_then(Value::as_array).cloned().unwrap_or_default();
    if sources.is_empty() {
        problems.push("cvrFileSources: at least one source is required".to_owned());
    }
    let candidates: Vec<Candidate> = doc
        .get("candidates")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    let name = text(c.get("name"))?.trim().to_owned();
                    let aliases = c
                        .get("aliases")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|x| text(Some(x))).collect())
                        .unwrap_or_default();
                    // Older configurations give a single `code`.
                    let mut aliases: Vec<String> = aliases;
                    if let Some(code) = text(c.get("code")).filter(|s| !s.is_empty()) {
                        aliases.push(code);
                    }
                    Some(Candidate { name, aliases, excluded: flag(c.get("excluded")) })
                })
                .collect()
        })
        .unwrap_or_default();
    if candidates.is_empty() {
        problems.push("candidates: at least one candidate is required".to_owned());
    }
    let tiebreak = match rule("tiebreakMode").as_deref().map(TieBreakMode::parse) {
        Some(Some(t)) => t,
        other => {
            problems.push(format!(
                "rules.tiebreakMode {:?} is not one of random, stopCountingAndAsk, previousRoundCountsThenRandom, previousRoundCountsThenAsk, useCandidateOrder, generatePermutation",
                other.map(|_| rule("tiebreakMode").unwrap_or_default())
            ));
            TieBreakMode::UseCandidateOrder
        }
    };
    let overvote = match rule("overvoteRule").as_deref().map(OvervoteRule::parse) {
        Some(Some(o)) => o,
        _ => {
            problems.push(format!(
                "rules.overvoteRule {:?} is not one of alwaysSkipToNextRank, exhaustImmediately, exhaustIfMultipleContinuing",
                rule("overvoteRule").unwrap_or_default()
            ));
            OvervoteRule::AlwaysSkipToNextRank
        }
    };
    let mode = match rule("winnerElectionMode").as_deref().map(WinnerMode::parse) {
        Some(Some(m)) => m,
        _ => {
            problems.push(format!(
                "rules.winnerElectionMode {:?} is not a winner election mode",
                rule("winnerElectionMode").unwrap_or_default()
            ));
            WinnerMode::SingleWinnerMajority
        }
    };
    let number = |k: &str, problems: &mut Vec<String>| -> Option<i64> {
        let t = rule(k)?;
        let t = t.trim();
        if t.is_empty() {
            return None;
        }
        match t.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(format!("rules.{k} {t:?} is not a whole number"));
                None
            }
        }
    };
    let seats = number("numberOfWinners", &mut problems).unwrap_or(1);
    let decimals = number("decimalPlacesForVoteArithmetic", &mut problems).unwrap_or(4);
    if !(1..=20).contains(&decimals) {
        problems.push(format!(
            "rules.decimalPlacesForVoteArithmetic {decimals} must be between 1 and 20"
        ));
    }
    let max_skipped = match rule("maxSkippedRanksAllowed").map(|s| s.trim().to_owned()) {
        Some(s) if s.eq_ignore_ascii_case("unlimited") => None,
        Some(s) if s.is_empty() => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n as u32),
            _ => {
                problems.push(format!(
                    "rules.maxSkippedRanksAllowed {s:?} must be a number of at least 0 or \"unlimited\""
                ));
                None
            }
        },
        None => None,
    };
    let max_rankings = match rule("maxRankingsAllowed").map(|s| s.trim().to_owned()) {
        Some(s) if s.eq_ignore_ascii_case("max") || s.is_empty() => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n as u32),
            _ => {
                problems.push(format!(
                    "rules.maxRankingsAllowed {s:?} must be a number of at least 1 or \"max\""
                ));
                None
            }
        },
        None => None,
    };
    let random_seed =
        match rule("randomSeed").map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n.unsigned_abs() <= 1 << 47 => Some(n),
                _ => {
                    problems.push(format!(
                        "rules.randomSeed {s:?} must be a whole number within ±2^47"
                    ));
                    None
                }
            },
            None => None,
        };
    if tiebreak.needs_seed() && random_seed.is_none() {
        problems.push("rules.randomSeed is required by this tiebreakMode".to_owned());
    }
    let batch_elimination = flag(rules_v.and_then(|r| r.get("batchElimination")));
    let continue_until_two = flag(rules_v.and_then(|r| r.get("continueUntilTwoCandidatesRemain")));
    if seats > 1 && mode != WinnerMode::MultiPassIrv {
        if batch_elimination {
            problems.push("rules.batchElimination is not allowed with more than one winner (except multiPassIrv)".to_owned());
        }
        if continue_until_two {
            problems.push("rules.continueUntilTwoCandidatesRemain is not allowed with more than one winner (except multiPassIrv)".to_owned());
        }
    }
    let bottoms_up_percentage =
        rule("multiSeatBottomsUpPercentageThreshold").filter(|s| !s.trim().is_empty());
    if mode == WinnerMode::BottomsUpUsingPercentageThreshold && bottoms_up_percentage.is_none() {
        problems.push(
            "rules.multiSeatBottomsUpPercentageThreshold is required by bottomsUpUsingPercentageThreshold"
                .to_owned(),
        );
    }
    let stop = number("stopTabulationEarlyAfterRound", &mut problems).filter(|&n| n > 0);
    let minimum = rule("minimumVoteThreshold")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s != "0");
    let uwi = sources.iter().any(|s| {
        text(s.get("undeclaredWriteInLabel")).is_some_and(|l| !l.trim().is_empty())
            || flag(s.get("treatBlankAsUndeclaredWriteIn"))
    });
    let rules = Rules {
        mode,
        seats: if mode == WinnerMode::MultiPassIrv { 1 } else { seats.max(0) as u32 },
        overvote,
        max_skipped_ranks: max_skipped,
        exhaust_on_duplicate: flag(rules_v.and_then(|r| r.get("exhaustOnDuplicateCandidate"))),
        decimal_places: decimals.clamp(1, 20) as u32,
        non_integer_threshold: flag(rules_v.and_then(|r| r.get("nonIntegerWinningThreshold"))),
        hare_quota: flag(rules_v.and_then(|r| r.get("hareQuota"))),
        first_round_determines_threshold: flag(
            rules_v.and_then(|r| r.get("doesFirstRoundDetermineThreshold")),
        ),
        batch_elimination,
        continue_until_two,
        stop_after_round: stop.map(|n| n as u32),
        minimum_vote_threshold: minimum,
        bottoms_up_percentage,
        cutoff_elimination: flag(rules_v.and_then(|r| r.get("cutoffElimination"))),
        tiebreak,
        random_seed,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RctabConfig {
        tabulator_version,
        contest_name: field("contestName"),
        contest_date: field("contestDate"),
        jurisdiction: field("contestJurisdiction"),
        office: field("contestOffice"),
        output_directory: Some(field("outputDirectory")).filter(|s| !s.is_empty()),
        tabulate_by_precinct: flag(out.and_then(|o| o.get("tabulateByPrecinct"))),
        tabulate_by_batch: flag(out.and_then(|o| o.get("tabulateByBatch"))),
        generate_cdf_json: flag(out.and_then(|o| o.get("generateCdfJson"))),
        sources,
        contest: Contest { candidates, undeclared_write_ins: uwi },
        rules,
        max_rankings,
        passes: if mode == WinnerMode::MultiPassIrv { seats.max(1) as u32 } else { 1 },
    })
}
