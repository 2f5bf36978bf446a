//! Reading an election package: `election.toml` and the definition tables.
//!
//! The format is documented field by field in `docs/package.md`.

use std::collections::BTreeMap;

use hashbrown::HashMap;
use std::path::{Path, PathBuf};

use psephos_model::{
    Candidate, CandidateFilter, Coalition, Code, Contest, Diagnostic, Election, ElectionParts,
    Electorate, EqualPreferences, Formula, Fraction, Gender, GovernorateIdx, IrishPapers, ListKind,
    ListPr, ListThreshold, Meta, Method, Minimum, OvervoteRule, Party, Phase, PhasePolicy,
    QuotaRule, QuotaScope, Ranked, RankedKind, RankedQuota, RankedTiebreak, Rounding, Station,
    System, SystemIdx, ThresholdBase, ThresholdScope, TieMethod, TiePolicy,
};
use serde::Deserialize;
use toml::Spanned;

/// Words that cannot be candidate ids because result files use them as column names or row kinds.
pub(crate) const RESERVED_IDS: [&str; 9] = [
    "station",
    "contest",
    "phase",
    "version",
    "ballots_found",
    "blank",
    "invalid",
    "candidate",
    "votes",
];

/// A package read from disk.
#[derive(Debug)]
pub struct Package {
    pub dir: PathBuf,
    pub election: Election,
    /// Result files and directories named by `[tables] results`, resolved against `dir`.
    pub results: Vec<PathBuf>,
    /// Warnings found in the definition (errors make [`load_package`] fail instead).
    pub warnings: Vec<Diagnostic>,
    /// The stations table as displayed in diagnostics, and the line of each station in it.
    pub stations_file: String,
    station_lines: LineRuns,
    /// election.toml as displayed in diagnostics.
    pub election_toml: String,
    /// The ballot sources of the ranked contests (`[[cvr_sources]]`), in election.toml order.
    pub ranked_sources: Vec<crate::ranked::RankedSource>,
    /// Per candidate: the other labels cast-vote records may use for it (`aliases` column).
    pub aliases: Vec<Vec<String>>,
}

impl Package {
    /// The line of stations.csv that defines a station.
    pub fn station_line(&self, id: &str) -> Option<u64> {
        self.election.station_id(id).map(|s| self.station_lines.get(s.index()))
    }
}

/// Why a package could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("the election package has {} problem(s)", .diagnostics.len())]
pub struct PackageError {
    /// Every problem found, errors and warnings, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ElectionToml {
    election: MetaToml,
    #[serde(default)]
    tables: TablesToml,
    #[serde(default)]
    phases: Option<PhasesToml>,
    ties: TiesToml,
    systems: BTreeMap<String, SystemToml>,
    #[serde(default)]
    leveling: Option<LevelingToml>,
    #[serde(default)]
    apportionment: Option<ApportionmentToml>,
    #[serde(default)]
    mmp: Option<MmpToml>,
    #[serde(default)]
    biproportional: Option<BiproportionalToml>,
    #[serde(default)]
    cvr_sources: Vec<crate::ranked::CvrSourceToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BiproportionalToml {
    system: Spanned<String>,
    formula: Spanned<String>,
    #[serde(default)]
    first_divisor: Option<Spanned<String>>,
    #[serde(default)]
    voter_numbers: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MmpToml {
    constituencies: Spanned<String>,
    lists: Spanned<String>,
    seats: Spanned<u32>,
    formula: Spanned<String>,
    #[serde(default)]
    first_divisor: Option<Spanned<String>>,
    overhang: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApportionmentToml {
    system: Spanned<String>,
    method: Spanned<String>,
    #[serde(default)]
    first_divisor: Option<Spanned<String>>,
    seats: Spanned<u32>,
    #[serde(default)]
    minimum: u32,
    #[serde(default)]
    by: Option<Spanned<String>>,
    #[serde(default)]
    population: Option<Spanned<BTreeMap<String, u32>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelingToml {
    system: Spanned<String>,
    seats: Spanned<u32>,
    formula: Spanned<String>,
    #[serde(default)]
    first_divisor: Option<Spanned<String>>,
    threshold: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaToml {
    id: String,
    name: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    country: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TablesToml {
    contests: String,
    coalitions: String,
    parties: String,
    candidates: String,
    stations: String,
    results: Vec<String>,
}

impl Default for TablesToml {
    fn default() -> Self {
        TablesToml {
            contests: "contests.csv".into(),
            coalitions: "coalitions.csv".into(),
            parties: "parties.csv".into(),
            candidates: "candidates.csv".into(),
            stations: "stations.csv".into(),
            results: vec!["results".into()],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhasesToml {
    precedence: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct TiesToml {
    method: Spanned<String>,
    seed: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemToml {
    method: Spanned<String>,
    #[serde(default)]
    formula: Option<Spanned<String>>,
    #[serde(default)]
    first_divisor: Option<Spanned<String>>,
    #[serde(default)]
    lists: Option<Spanned<String>>,
    #[serde(default)]
    preference_jump: Option<Spanned<String>>,
    #[serde(default)]
    threshold: Option<ThresholdToml>,
    #[serde(default)]
    electorate: Option<Spanned<String>>,
    #[serde(default)]
    reserved_for: Option<String>,
    #[serde(default)]
    ties: Option<TiesToml>,
    #[serde(default)]
    quotas: Vec<QuotaToml>,
    // Ranked methods (irv, stv, scottish-stv, meek, irish).
    #[serde(default)]
    quota: Option<Spanned<String>>,
    #[serde(default)]
    decimal_places: Option<Spanned<u32>>,
    #[serde(default)]
    tiebreak: Option<Spanned<String>>,
    #[serde(default)]
    overvote_rule: Option<Spanned<String>>,
    #[serde(default)]
    max_skipped_ranks: Option<Spanned<toml::Value>>,
    #[serde(default)]
    max_rankings: Option<Spanned<toml::Value>>,
    #[serde(default)]
    exhaust_on_duplicate: Option<Spanned<bool>>,
    #[serde(default)]
    batch_elimination: Option<Spanned<bool>>,
    #[serde(default)]
    continue_until_two: Option<Spanned<bool>>,
    #[serde(default)]
    equal_preferences: Option<Spanned<String>>,
    #[serde(default)]
    force_positive_surplus: Option<Spanned<bool>>,
    #[serde(default)]
    omega_exponent: Option<Spanned<i64>>,
    #[serde(default)]
    irish_papers: Option<Spanned<String>>,
    #[serde(default)]
    multiple_exclusion: Option<Spanned<bool>>,
    #[serde(default)]
    defer_surpluses: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdToml {
    share: Spanned<String>,
    #[serde(default)]
    base: Option<Spanned<String>>,
    #[serde(default)]
    scope: Option<Spanned<String>>,
    #[serde(default)]
    or_seats: Option<Spanned<u32>>,
    #[serde(default)]
    or_seats_in: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContestMinimumToml {
    #[serde(default)]
    minimum: Option<u32>,
    #[serde(default)]
    share: Option<Spanned<String>>,
    #[serde(default)]
    rounding: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaToml {
    name: Spanned<String>,
    #[serde(default)]
    gender: Option<Spanned<String>>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    minimum: Option<u32>,
    #[serde(default)]
    share: Option<Spanned<String>>,
    #[serde(default)]
    rounding: Option<Spanned<String>>,
    #[serde(default)]
    scope: Option<Spanned<String>>,
    #[serde(default)]
    unless_contest_has: Option<ContestMinimumToml>,
}

/// Reads `dir/election.toml` and the tables it names. Succeeds only when the definition has no
/// error; every problem found is reported at once.
pub fn load_package(dir: &Path) -> Result<Package, PackageError> {
    let mut diags = Vec::new();
    let display = |rel: &str| dir.join(rel).display().to_string();
    let toml_name = display("election.toml");
    let text = match std::fs::read(dir.join("election.toml")) {
        Ok(bytes) => bytes,
        Err(e) => {
            let message = if dir.is_dir() {
                format!(
                    "cannot read election.toml ({e}); every package has one at its root (`psephos init` writes one)"
                )
            } else {
                format!("{} is not a directory holding an election package ({e})", dir.display())
            };
            return Err(PackageError {
                diagnostics: vec![Diagnostic::new(Code::MissingFile, message).in_file(toml_name)],
            });
        }
    };
    let text = match String::from_utf8(crate::strip_bom(&text).to_vec()) {
        Ok(t) => t,
        Err(_) => {
            return Err(PackageError {
                diagnostics: vec![
                    Diagnostic::new(
                        Code::TomlSyntax,
                        "the file is not valid UTF-8 text; save it as UTF-8",
                    )
                    .in_file(toml_name),
                ],
            });
        }
    };
    let doc: ElectionToml = match toml::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => {
            let line = e.span().map_or(1, |s| crate::line_of(text.as_bytes(), s.start));
            return Err(PackageError {
                diagnostics: vec![
                    Diagnostic::new(Code::TomlSyntax, e.message().trim().to_owned())
                        .at(toml_name, line),
                ],
            });
        }
    };
    let line = |span: std::ops::Range<usize>| crate::line_of(text.as_bytes(), span.start);
    let toml_diag =
        |code, span, message: String| Diagnostic::new(code, message).at(&toml_name, line(span));

    // The law: tie policy, systems, phases.
    let ties = resolve_ties(&doc.ties, &mut diags, &toml_diag);
    let mut systems = Vec::new();
    let mut system_by_id = HashMap::new();
    for (id, s) in &doc.systems {
        let method = resolve_method(id, s, &doc.systems, &mut diags, &toml_diag);
        let electorate = match &s.electorate {
            None => Electorate::Own,
            Some(e) => Electorate::parse(e.get_ref()).unwrap_or_else(|| {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    e.span(),
                    format!(
                        "system {id:?}: unknown electorate {:?}; use one of {}",
                        e.get_ref(),
                        Electorate::ALL.map(Electorate::as_str).join(", ")
                    ),
                ));
                Electorate::Own
            }),
        };
        let ties = match &s.ties {
            Some(t) => resolve_ties(t, &mut diags, &toml_diag),
            None => ties.clone(),
        };
        if let Method::Ranked(r) = &method {
            if let Some(e) = s.electorate.as_ref().filter(|_| electorate != Electorate::Own) {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    e.span(),
                    format!("system {id:?}: method {} is voted on ranked ballots of its own, so its electorate is \"own\"; remove electorate", r.kind.as_str()),
                ));
            }
            // RCTab draws its lot with Java's Random, whose seed is a whole number.
            if r.kind.is_rctab()
                && r.tiebreak != RankedTiebreak::Order
                && !ties.seed.trim().parse::<i64>().is_ok_and(|n| n.unsigned_abs() <= 1 << 47)
                && let Some(t) = &s.tiebreak
            {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    t.span(),
                    format!(
                        "system {id:?}: tiebreak {:?} draws RCTab's lot, whose seed must be a whole number within ±2^47; the tie seed is {:?}",
                        r.tiebreak.as_str(),
                        ties.seed
                    ),
                ));
            }
        }
        let mut quotas = Vec::new();
        for q in &s.quotas {
            if let Some(rule) = resolve_quota(id, q, &mut diags, &toml_diag) {
                if rule.scope == QuotaScope::List && method == Method::Sntv {
                    diags.push(toml_diag(
                        Code::TomlSyntax,
                        q.name.span(),
                        format!(
                            "system {id:?}, quota {:?}: scope \"list\" needs method \"list-pr\"; SNTV has no lists",
                            q.name.get_ref()
                        ),
                    ));
                }
                quotas.push(rule);
            }
        }
        system_by_id.insert(id.clone(), SystemIdx::from_index(systems.len()));
        systems.push(System {
            id: id.clone(),
            method,
            reserved_for: s.reserved_for.clone().filter(|g| !g.is_empty()),
            electorate,
            quotas,
            ties,
        });
    }
    let systems_for_leveling: Vec<Method> = systems.iter().map(|s| s.method.clone()).collect();
    let phase_policy = doc.phases.as_ref().map(|p| {
        let mut precedence = Vec::new();
        if p.precedence.get_ref().is_empty() {
            diags.push(toml_diag(
                Code::TomlSyntax,
                p.precedence.span(),
                "[phases] precedence is empty, so no form would count; list the phases, e.g. [\"correction\", \"recount\", \"manual\", \"electronic\"]".to_owned(),
            ));
        }
        for name in p.precedence.get_ref() {
            match Phase::parse(name.get_ref()) {
                Some(phase) if !precedence.contains(&phase) => precedence.push(phase),
                Some(_) => diags.push(toml_diag(
                    Code::TomlSyntax,
                    name.span(),
                    format!("phase {:?} is listed twice in [phases] precedence", name.get_ref()),
                )),
                None => diags.push(toml_diag(
                    Code::UnknownPhase,
                    name.span(),
                    format!(
                        "unknown phase {:?} in [phases] precedence; use electronic, manual, recount or correction",
                        name.get_ref()
                    ),
                )),
            }
        }
        PhasePolicy { precedence }
    });

    // The tables.
    let t = &doc.tables;
    let read_table = |rel: &str, diags: &mut Vec<Diagnostic>| -> Option<crate::table::Table> {
        let name = display(rel);
        match std::fs::read(dir.join(rel)) {
            Ok(bytes) => Some(crate::table::Table::parse(&name, bytes, diags)),
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        Code::MissingFile,
                        format!("cannot read this table ({e}); election.toml [tables] names it"),
                    )
                    .in_file(name),
                );
                None
            }
        }
    };
    let leveling = doc.leveling.as_ref().and_then(|l| {
        let before = diags.len();
        let system = system_by_id.get(l.system.get_ref()).copied();
        match system.map(|s: SystemIdx| &systems_for_leveling[s.index()]) {
            None => diags.push(toml_diag(
                Code::TomlSyntax,
                l.system.span(),
                format!("[leveling] system {:?} is not defined", l.system.get_ref()),
            )),
            Some(Method::ListPr(_)) => {}
            Some(_) => diags.push(toml_diag(
                Code::TomlSyntax,
                l.system.span(),
                format!("[leveling] system {:?} must use method \"list-pr\"", l.system.get_ref()),
            )),
        }
        let first = l.first_divisor.as_ref().and_then(|f| {
            let parsed = Fraction::parse(f.get_ref()).filter(|x| x.numerator > 0);
            if parsed.is_none() {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    f.span(),
                    format!("[leveling] first_divisor {:?} is not a positive number such as 1.4", f.get_ref()),
                ));
            }
            parsed
        });
        let formula = Formula::parse(l.formula.get_ref(), first);
        match formula {
            None => diags.push(toml_diag(
                Code::TomlSyntax,
                l.formula.span(),
                format!("[leveling] unknown formula {:?}; use one of {}", l.formula.get_ref(), Formula::NAMES.join(", ")),
            )),
            Some(Formula::ModifiedSainteLague { .. }) => {}
            Some(_) => {
                if let Some(f) = &l.first_divisor {
                    diags.push(toml_diag(
                        Code::TomlSyntax,
                        f.span(),
                        "[leveling] first_divisor applies to formula \"modified-sainte-lague\" only".to_owned(),
                    ));
                }
            }
        }
        let threshold = Fraction::parse(l.threshold.get_ref());
        if threshold.is_none() {
            diags.push(toml_diag(
                Code::TomlSyntax,
                l.threshold.span(),
                format!(
                    "[leveling] threshold {:?} is not a share such as \"4%\"",
                    l.threshold.get_ref()
                ),
            ));
        }
        if diags.len() != before {
            return None;
        }
        Some((
            psephos_model::LevelingTier {
                system: system?,
                seats: *l.seats.get_ref(),
                formula: formula?,
                threshold: threshold?,
            },
            l.seats.span(),
        ))
    });
    let apportionment = doc.apportionment.as_ref().and_then(|a| {
        let before = diags.len();
        let system = system_by_id.get(a.system.get_ref()).copied();
        if system.is_none() {
            diags.push(toml_diag(
                Code::TomlSyntax,
                a.system.span(),
                format!("[apportionment] system {:?} is not defined", a.system.get_ref()),
            ));
        }
        let first = a.first_divisor.as_ref().and_then(|f| {
            let parsed = Fraction::parse(f.get_ref()).filter(|x| x.numerator > 0);
            if parsed.is_none() {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    f.span(),
                    format!("[apportionment] first_divisor {:?} is not a positive number such as 1.4", f.get_ref()),
                ));
            }
            parsed
        });
        let formula = Formula::parse(a.method.get_ref(), first);
        match formula {
            Some(f) if crate::package::is_divisor(f) => {}
            _ => diags.push(toml_diag(
                Code::TomlSyntax,
                a.method.span(),
                format!(
                    "[apportionment] method {:?} is not a divisor method; use one of dhondt, sainte-lague, modified-sainte-lague, imperiali, danish, huntington-hill, adams, dean",
                    a.method.get_ref()
                ),
            )),
        }
        let by_governorate = match a.by.as_ref().map(|b| (b, b.get_ref().as_str())) {
            None | Some((_, "contest")) => false,
            Some((_, "governorate")) => true,
            Some((b, other)) => {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    b.span(),
                    format!("[apportionment] by {other:?}: use contest or governorate"),
                ));
                false
            }
        };
        let governorate_population: Vec<(String, u32)> = match (&a.population, by_governorate) {
            (Some(p), true) => p.get_ref().iter().map(|(k, v)| (k.clone(), *v)).collect(),
            (None, true) => {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    a.system.span(),
                    "[apportionment] by = \"governorate\" needs a population table: population = { Name = 123, ... }".to_owned(),
                ));
                Vec::new()
            }
            (Some(p), false) => {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    p.span(),
                    "[apportionment] population belongs to by = \"governorate\"; by contest, populations go in contests.csv".to_owned(),
                ));
                Vec::new()
            }
            (None, false) => Vec::new(),
        };
        if diags.len() != before {
            return None;
        }
        Some((
            psephos_model::ContestApportionment {
                system: system?,
                formula: formula?,
                seats: *a.seats.get_ref(),
                minimum: a.minimum,
                governorate_population,
                apportioned: Vec::new(),
            },
            a.seats.span(),
        ))
    });
    let mixed_member = doc.mmp.as_ref().and_then(|m| {
        let before = diags.len();
        let mut system_of = |name: &Spanned<String>, want: &str| {
            let idx = system_by_id.get(name.get_ref()).copied();
            match idx.map(|i: SystemIdx| &systems_for_leveling[i.index()]) {
                None => diags.push(toml_diag(
                    Code::TomlSyntax,
                    name.span(),
                    format!("[mmp] system {:?} is not defined", name.get_ref()),
                )),
                Some(Method::Sntv) if want == "sntv" => {}
                Some(Method::ListPr(_)) if want == "list-pr" => {}
                Some(_) => diags.push(toml_diag(
                    Code::TomlSyntax,
                    name.span(),
                    format!("[mmp] system {:?} must use method {want:?}", name.get_ref()),
                )),
            }
            idx
        };
        let constituencies = system_of(&m.constituencies, "sntv");
        let lists = system_of(&m.lists, "list-pr");
        let first = m.first_divisor.as_ref().and_then(|f| Fraction::parse(f.get_ref()));
        let formula = Formula::parse(m.formula.get_ref(), first);
        if !formula.is_some_and(is_divisor) {
            diags.push(toml_diag(
                Code::TomlSyntax,
                m.formula.span(),
                format!(
                    "[mmp] formula {:?} is not a divisor method; use one of dhondt, sainte-lague, modified-sainte-lague, imperiali, danish, huntington-hill, adams, dean",
                    m.formula.get_ref()
                ),
            ));
        }
        let overhang = match m.overhang.get_ref().as_str() {
            "keep" => Some(psephos_model::Overhang::Keep),
            "level" => Some(psephos_model::Overhang::Level),
            other => {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    m.overhang.span(),
                    format!("[mmp] overhang {other:?}: use keep (New Zealand) or level (Germany 2013)"),
                ));
                None
            }
        };
        if diags.len() != before {
            return None;
        }
        Some((
            psephos_model::MixedMember {
                constituencies: constituencies?,
                lists: lists?,
                seats: *m.seats.get_ref(),
                formula: formula?,
                overhang: overhang?,
            },
            m.seats.span(),
        ))
    });
    let biproportional = doc.biproportional.as_ref().and_then(|b| {
        let before = diags.len();
        let system = system_by_id.get(b.system.get_ref()).copied();
        match system.map(|s: SystemIdx| &systems_for_leveling[s.index()]) {
            None => diags.push(toml_diag(
                Code::TomlSyntax,
                b.system.span(),
                format!("[biproportional] system {:?} is not defined", b.system.get_ref()),
            )),
            Some(Method::ListPr(_)) => {}
            Some(_) => diags.push(toml_diag(
                Code::TomlSyntax,
                b.system.span(),
                format!("[biproportional] system {:?} must use method \"list-pr\"", b.system.get_ref()),
            )),
        }
        let first = b.first_divisor.as_ref().and_then(|f| Fraction::parse(f.get_ref()));
        let formula = Formula::parse(b.formula.get_ref(), first);
        if !formula.is_some_and(is_divisor) {
            diags.push(toml_diag(
                Code::TomlSyntax,
                b.formula.span(),
                format!(
                    "[biproportional] formula {:?} is not a divisor method; use one of dhondt, sainte-lague, modified-sainte-lague, imperiali, danish, huntington-hill, adams, dean",
                    b.formula.get_ref()
                ),
            ));
        }
        if diags.len() != before {
            return None;
        }
        Some(psephos_model::BiproportionalTier {
            system: system?,
            formula: formula?,
            voter_numbers: b.voter_numbers,
        })
    });
    let apportioned_by_contest = apportionment
        .as_ref()
        .filter(|(a, _)| a.governorate_population.is_empty())
        .map(|(a, _)| a.system);
    let mut parts = ElectionParts {
        meta: Meta {
            id: doc.election.id.clone(),
            name: doc.election.name.clone(),
            date: doc.election.date.clone(),
            country: doc.election.country.clone(),
        },
        systems,
        phase_policy,
        leveling: leveling.as_ref().map(|(l, _)| l.clone()),
        apportionment: apportionment.as_ref().map(|(a, _)| a.clone()),
        mixed_member: mixed_member.as_ref().map(|(m, _)| m.clone()),
        biproportional,
        ..ElectionParts::default()
    };
    let mut governorate_by_name: HashMap<String, GovernorateIdx> = HashMap::new();
    let mut governorate = |name: &str, parts: &mut ElectionParts| -> Option<GovernorateIdx> {
        if name.is_empty() {
            return None;
        }
        Some(*governorate_by_name.entry(name.to_owned()).or_insert_with(|| {
            parts.governorates.push(name.to_owned());
            GovernorateIdx::from_index(parts.governorates.len() - 1)
        }))
    };

    // contests.csv
    let mut contest_by_id = HashMap::new();
    let mut known_contests = Known::default();
    let mut contest_lines = Vec::new();
    if let Some(table) = read_table(&t.contests, &mut diags) {
        let c_id = table.column("id", &mut diags);
        let c_name = table.column("name", &mut diags);
        let c_gov = table.column("governorate", &mut diags);
        let c_seats = table.column("seats", &mut diags);
        let c_system = table.column("system", &mut diags);
        let c_population = table.optional_column("population");
        known_contests = Known::new(c_id, &[c_name, c_gov, c_seats, c_system]);
        table.for_each_row(&mut diags, |row, diags| {
            known_contests.saw(&row, c_id);
            let id = row.id(c_id, diags);
            let system_name = row.get(c_system);
            let system = system_by_id.get(system_name).copied();
            // Seats apportioned by population may be left empty (they are computed below).
            let apportioned = system.is_some() && system == apportioned_by_contest;
            let seats = if apportioned && row.get(c_seats).is_empty() {
                Some(0)
            } else {
                row.number(c_seats, 1, "seats", diags)
            };
            let population = if row.get(c_population).is_empty() {
                None
            } else {
                row.number(c_population, 0, "population", diags)
            };
            if apportioned && population.is_none() && row.get(c_population).is_empty() {
                diags.push(row.diag(
                    Code::InconsistentDefinition,
                    c_population.or(c_seats),
                    format!(
                        "contest {} is in system {system_name:?}, whose seats are apportioned by population, but has no population; give it in a population column",
                        row.get(c_id)
                    ),
                ));
                return;
            }
            if system.is_none() && c_system.is_some() {
                diags.push(row.diag(
                    Code::UnknownReference,
                    c_system,
                    format!(
                        "system {system_name:?} is not defined; election.toml defines {}",
                        list_or_none(doc.systems.keys())
                    ),
                ));
            }
            let (Some(id), Some(seats), Some(system)) = (id, seats, system) else {
                return;
            };
            if !unique(
                &mut contest_by_id,
                &id,
                parts.contests.len(),
                &row,
                c_id,
                diags,
            ) {
                return;
            }
            let gov = governorate(row.get(c_gov), &mut parts);
            if gov.is_none()
                && matches!(
                    parts.systems[system.index()].electorate,
                    Electorate::Governorate | Electorate::GovernorateBallot
                )
            {
                diags.push(row.diag(
                    Code::InconsistentDefinition,
                    c_gov,
                    format!(
                        "contest {id} uses system {system_name:?}, whose electorate is its governorate, but has no governorate"
                    ),
                ));
            }
            contest_lines.push(row.line);
            parts.contests.push(Contest {
                id,
                name: row.get(c_name).to_owned(),
                governorate: gov,
                seats,
                system,
                population,
            });
        });
    }
    let ranked_sources = {
        let systems = &parts.systems;
        let contests = &parts.contests;
        crate::ranked::resolve_sources(
            &doc.cvr_sources,
            dir,
            &|id| contest_by_id.get(id).copied(),
            &|c| systems[contests[c].system.index()].method.clone(),
            &line,
            &toml_name,
            &mut diags,
        )
    };
    {
        let contests_file = display(&t.contests);
        for (i, c) in parts.contests.iter().enumerate() {
            let Method::Ranked(r) = &parts.systems[c.system.index()].method else { continue };
            let at = |d: Diagnostic, field: &str| {
                d.at(&contests_file, contest_lines.get(i).copied().unwrap_or(0)).field(field)
            };
            if r.kind == RankedKind::Irv && c.seats != 1 {
                diags.push(at(
                    Diagnostic::new(
                        Code::InconsistentDefinition,
                        format!("contest {} has {} seats, but instant-runoff (irv) fills one; use method stv for more", c.id, c.seats),
                    ),
                    "seats",
                ));
            }
            let has_source = ranked_sources.iter().any(|s| s.contest.index() == i);
            let named = doc.cvr_sources.iter().any(|s| s.contest_name() == c.id);
            if !has_source && !named {
                diags.push(at(
                    Diagnostic::new(
                        Code::InconsistentDefinition,
                        format!("contest {} is counted from ranked ballots (system {:?}, method {}), but no [[cvr_sources]] entry in election.toml gives its ballots", c.id, parts.systems[c.system.index()].id, r.kind.as_str()),
                    ),
                    "system",
                ));
            }
        }
    }
    if let Some((rule, span)) = &apportionment {
        let mut rule = rule.clone();
        let contests_file = display(&t.contests);
        apportion_contests(
            &mut rule,
            span.clone(),
            &mut parts,
            &contest_lines,
            &contests_file,
            &ties,
            &toml_diag,
            &mut diags,
        );
        parts.apportionment = Some(rule);
    }

    // coalitions.csv
    let mut coalition_by_id = HashMap::new();
    let mut known_coalitions = Known::default();
    if let Some(table) = read_table(&t.coalitions, &mut diags) {
        let c_id = table.column("id", &mut diags);
        let c_name = table.column("name", &mut diags);
        known_coalitions = Known::new(c_id, &[c_name]);
        table.for_each_row(&mut diags, |row, diags| {
            known_coalitions.saw(&row, c_id);
            let Some(id) = row.id(c_id, diags) else {
                return;
            };
            if unique(&mut coalition_by_id, &id, parts.coalitions.len(), &row, c_id, diags) {
                parts.coalitions.push(Coalition { id, name: row.get(c_name).to_owned() });
            }
        });
    }

    // parties.csv
    let mut party_by_id = HashMap::new();
    let mut known_parties = Known::default();
    if let Some(table) = read_table(&t.parties, &mut diags) {
        let c_id = table.column("id", &mut diags);
        let c_name = table.column("name", &mut diags);
        let c_coalition = table.column("coalition", &mut diags);
        let c_threshold = table.optional_column("threshold");
        let c_agreement = table.optional_column("agreement");
        known_parties = Known::new(c_id, &[c_name, c_coalition]);
        table.for_each_row(&mut diags, |row, diags| {
            known_parties.saw(&row, c_id);
            let Some(id) = row.id(c_id, diags) else {
                return;
            };
            let coalition_id = row.get(c_coalition);
            let coalition = if coalition_id.is_empty() {
                None
            } else if let Some(&i) = coalition_by_id.get(coalition_id) {
                Some(psephos_model::CoalitionIdx::from_index(i))
            } else {
                // An id whose own row is faulty (reported there) is not also reported here.
                if known_coalitions.reportable(coalition_id) {
                    diags.push(row.diag(
                    Code::UnknownReference,
                    c_coalition,
                    format!("coalition {coalition_id:?} is not in {}; add it there or leave the field empty", t.coalitions),
                ));
                }
                return;
            };
            let threshold_text = row.get(c_threshold);
            let threshold = if threshold_text.is_empty() {
                None
            } else if let Some(f) =
                Fraction::parse(threshold_text).filter(|f| f.numerator <= f.denominator)
            {
                Some(f)
            } else {
                diags.push(row.diag(
                    Code::InvalidValue,
                    c_threshold,
                    format!("threshold is {threshold_text:?}; write a share such as 8% or 1/12, or leave it empty for the system's"),
                ));
                return;
            };
            if unique(
                &mut party_by_id,
                &id,
                parts.parties.len(),
                &row,
                c_id,
                diags,
            ) {
                parts.parties.push(Party {
                    id,
                    name: row.get(c_name).to_owned(),
                    coalition,
                    threshold,
                    agreement: Some(row.get(c_agreement))
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned),
                });
            }
        });
    }

    // candidates.csv
    let mut candidate_by_id = HashMap::new();
    let mut aliases: Vec<Vec<String>> = Vec::new();
    let mut candidate_lines: Vec<u64> = Vec::new();
    if let Some(table) = read_table(&t.candidates, &mut diags) {
        let c_id = table.column("id", &mut diags);
        let c_name = table.column("name", &mut diags);
        let c_gender = table.column("gender", &mut diags);
        let c_party = table.column("party", &mut diags);
        let c_contest = table.column("contest", &mut diags);
        let c_groups = table.optional_column("groups");
        let c_kind = table.optional_column("kind");
        let c_person = table.optional_column("person");
        let c_aliases = table.optional_column("aliases");
        table.for_each_row(&mut diags, |row, diags| {
            // A row of kind "list" stands for votes cast for a party's list only.
            let kind = row.get(c_kind);
            let list_vote = match kind {
                "" | "candidate" => false,
                "list" => true,
                other => {
                    diags.push(row.diag(
                        Code::InvalidValue,
                        c_kind,
                        format!("kind is {other:?}; write candidate (or leave it empty) or list"),
                    ));
                    return;
                }
            };
            let id = row.id(c_id, diags);
            if let Some(id) = &id
                && RESERVED_IDS.contains(&id.as_str())
            {
                diags.push(row.diag(
                    Code::InvalidValue,
                    c_id,
                    format!("{id:?} cannot be a candidate id: result files use it as a column name; choose another id"),
                ));
                return;
            }
            let gender_raw = row.get(c_gender);
            let gender = match Gender::parse(gender_raw) {
                None if list_vote && gender_raw.is_empty() => Some(Gender::Other),
                g => g,
            };
            if gender.is_none() && c_gender.is_some() {
                diags.push(row.diag(
                    Code::InvalidValue,
                    c_gender,
                    format!("gender is {gender_raw:?}; write F (female), M (male) or X (other)"),
                ));
            }
            let party_id = row.get(c_party);
            let party = if party_id.is_empty() {
                Some(None)
            } else if let Some(&p) = party_by_id.get(party_id) {
                Some(Some(psephos_model::PartyIdx::from_index(p)))
            } else {
                if known_parties.reportable(party_id) {
                    diags.push(row.diag(
                    Code::UnknownReference,
                    c_party,
                    format!("party {party_id:?} is not in {}; add it there, or leave the field empty for an independent", t.parties),
                ));
                }
                None
            };
            let contest_id = row.get(c_contest);
            let contest = contest_by_id.get(contest_id).copied();
            if contest.is_none() && c_contest.is_some() && known_contests.reportable(contest_id) {
                diags.push(row.diag(
                    Code::UnknownReference,
                    c_contest,
                    format!("contest {contest_id:?} is not in {}", t.contests),
                ));
            }
            let groups: Vec<String> = row
                .get(c_groups)
                .split(';')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect();
            let (Some(id), Some(gender), Some(party), Some(contest)) = (id, gender, party, contest)
            else {
                return;
            };
            let contest = psephos_model::ContestIdx::from_index(contest);
            let system = &parts.systems[parts.contests[contest.index()].system.index()];
            if let Some(group) = &system.reserved_for
                && !groups.contains(group)
            {
                diags.push(row.diag(
                    Code::InconsistentDefinition,
                    c_groups.or(c_contest),
                    format!(
                        "candidate {id} stands for {contest_id}, a seat reserved for group {group:?}, but is not in that group; add {group} to the candidate's groups or correct the contest"
                    ),
                ));
                return;
            }
            if unique(
                &mut candidate_by_id,
                &id,
                parts.candidates.len(),
                &row,
                c_id,
                diags,
            ) {
                if list_vote && party.is_none() {
                    diags.push(row.diag(
                        Code::InconsistentDefinition,
                        c_party,
                        format!("{id} is a list row (kind = list) but names no party; give the party whose list it is"),
                    ));
                    return;
                }
                if list_vote && !matches!(system.method, Method::ListPr(_)) {
                    diags.push(row.diag(
                        Code::InconsistentDefinition,
                        c_kind.or(c_contest),
                        format!("{id} is a list row (kind = list) but contest {} counts by {}, where votes go to candidates only; remove the row or give the contest a list-pr system", parts.contests[contest.index()].id, system.method.as_str()),
                    ));
                    return;
                }
                aliases.push(
                    row.get(c_aliases)
                        .split(';')
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
                candidate_lines.push(row.line);
                parts.candidates.push(Candidate {
                    id,
                    name: row.get(c_name).to_owned(),
                    gender,
                    party,
                    contest,
                    groups,
                    list_vote,
                    person: Some(row.get(c_person)).filter(|p| !p.is_empty()).map(str::to_owned),
                });
            }
        });
    }

    // Within a ranked contest, every label a cast-vote record may use (name, id, alias) must
    // name one candidate.
    {
        let candidates_file = display(&t.candidates);
        let mut owner: HashMap<(usize, String), usize> = HashMap::new();
        for (k, c) in parts.candidates.iter().enumerate() {
            let contest = c.contest.index();
            if parts.systems[parts.contests[contest].system.index()].method.ranked().is_none() {
                continue;
            }
            let mut labels: Vec<(&str, &str)> =
                vec![("name", c.name.as_str()), ("id", c.id.as_str())];
            labels.extend(aliases[k].iter().map(|a| ("aliases", a.as_str())));
            for (field, label) in labels {
                if label.is_empty() {
                    continue;
                }
                match owner.get(&(contest, label.to_owned())) {
                    Some(&other) if other != k => diags.push(
                        Diagnostic::new(
                            Code::InconsistentDefinition,
                            format!(
                                "{label:?} names both {} and {} in ranked contest {}; a cast-vote record could not tell them apart; make names, ids and aliases of the contest's candidates distinct",
                                parts.candidates[other].id, c.id, parts.contests[contest].id
                            ),
                        )
                        .at(&candidates_file, candidate_lines.get(k).copied().unwrap_or(0))
                        .field(field),
                    ),
                    Some(_) => {}
                    None => {
                        owner.insert((contest, label.to_owned()), k);
                    }
                }
            }
        }
    }

    // stations.csv
    let mut station_lines = LineRuns::default();
    let mut station_index = None;
    if let Some(table) = read_table(&t.stations, &mut diags) {
        let c_id = table.column("id", &mut diags);
        let c_centre = table.column("centre", &mut diags);
        let c_district = table.column("district", &mut diags);
        let c_gov = table.column("governorate", &mut diags);
        let c_registered = table.column("registered", &mut diags);
        let rows = table.rows_hint();
        parts.stations.reserve_exact(rows);
        parts.station_ids = psephos_model::IdArena::with_capacity(rows, table.bytes_len() / 3);
        // Chunks of rows are read in parallel, each into its own small tables (ids, stations,
        // centres named in it); the chunks are then appended in file order, so the result does
        // not depend on the number of threads.
        let contest_info: Vec<(Option<GovernorateIdx>, Electorate, Option<&'static str>)> = parts
            .contests
            .iter()
            .map(|c| {
                let system = &parts.systems[c.system.index()];
                (c.governorate, system.electorate, system.method.ranked().map(|r| r.kind.as_str()))
            })
            .collect();
        let governorates = parts.governorates.clone();
        let parse = |row: crate::table::Row<'_>,
                     chunk: &mut StationChunk,
                     diags: &mut Vec<Diagnostic>| {
            let id = row.id_str(c_id, diags);
            let registered = row.number(c_registered, 0, "registered voters", diags);
            let district_id = row.get(c_district);
            // Consecutive rows usually share a district.
            let district = match &chunk.last_district {
                Some((name, d)) if name == district_id => *d,
                _ => {
                    let d = contest_by_id.get(district_id).copied();
                    chunk.last_district = Some((district_id.to_owned(), d));
                    d
                }
            };
            if district.is_none() && c_district.is_some() && known_contests.reportable(district_id)
            {
                diags.push(row.diag(
                    Code::UnknownReference,
                    c_district,
                    format!("district {district_id:?} is not a contest in {}", t.contests),
                ));
            }
            let (Some(id), Some(registered), Some(district)) = (id, registered, district) else {
                return;
            };
            let (contest_gov, electorate, ranked) = contest_info[district];
            if let Some(method) = ranked {
                diags.push(row.diag(
                    Code::InconsistentDefinition,
                    c_district,
                    format!(
                        "district {district_id} is counted by {method} from ranked ballots ([[cvr_sources]] in election.toml), not from station forms; give the station a district counted by sntv or list-pr"
                    ),
                ));
                return;
            }
            if electorate != Electorate::Own {
                diags.push(row.diag(
                    Code::InconsistentDefinition,
                    c_district,
                    format!(
                        "district {district_id} uses electorate {:?}; a station's district must be a contest with electorate \"own\" (the others are counted at every station they reach)",
                        electorate.as_str()
                    ),
                ));
                return;
            }
            let gov_name = row.get(c_gov);
            let governorate = match contest_gov {
                _ if gov_name.is_empty() => contest_gov,
                Some(cg) if governorates[cg.index()] == gov_name => Some(cg),
                Some(cg) => {
                    diags.push(row.diag(
                        Code::InconsistentDefinition,
                        c_gov,
                        format!(
                            "station is in governorate {gov_name:?} but its district {district_id} is in {:?}; correct one of them",
                            governorates[cg.index()]
                        ),
                    ));
                    return;
                }
                None => {
                    // Named only by stations (their district has none): interned when merged.
                    chunk.named_governorates.push((chunk.stations.len(), gov_name.to_owned()));
                    None
                }
            };
            let centre_name = row.get(c_centre);
            if chunk.centres.last().is_none_or(|c| c != centre_name) {
                chunk.centres.push(centre_name.to_owned());
            }
            chunk.ids.push(id);
            chunk.lines.push(u32::try_from(row.line).unwrap_or(u32::MAX));
            chunk.stations.push(Station {
                // The chunk's own centre number, made global when merged.
                centre: (chunk.centres.len() - 1) as u32,
                district: psephos_model::ContestIdx::from_index(district),
                governorate,
                registered,
            });
        };
        let mut centre_by_id: HashMap<String, u32> = HashMap::new();
        let mut station_ids = std::mem::take(&mut parts.station_ids);
        let mut stations = std::mem::take(&mut parts.stations);
        let mut centres = std::mem::take(&mut parts.centres);
        let merge = |chunk: StationChunk, _: &mut Vec<Diagnostic>| {
            let global: Vec<u32> = chunk
                .centres
                .into_iter()
                .map(|name| match centres.last() {
                    Some(last) if *last == name => (centres.len() - 1) as u32,
                    _ => *centre_by_id.entry_ref(name.as_str()).or_insert_with(|| {
                        centres.push(name.clone());
                        (centres.len() - 1) as u32
                    }),
                })
                .collect();
            let first = stations.len();
            station_ids.extend(&chunk.ids);
            for &line in &chunk.lines {
                station_lines.push(line);
            }
            stations.extend(chunk.stations.into_iter().map(|mut s| {
                s.centre = global[s.centre as usize];
                s
            }));
            for (k, name) in chunk.named_governorates {
                stations[first + k].governorate = governorate(&name, &mut parts);
            }
        };
        table.for_each_row_parallel(&mut diags, parse, merge);
        parts.station_ids = station_ids;
        parts.stations = stations;
        parts.centres = centres;
        // Repeated station ids, found without a second copy of a million ids. A package with
        // repeats is rejected, so the index is handed on only when there are none.
        let (index, repeats) = psephos_model::IdIndex::build(parts.station_ids.iter());
        for &i in &repeats {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateId,
                    format!(
                        "id {:?} is used by an earlier row; ids must be unique",
                        parts.station_ids.get(i)
                    ),
                )
                .at(&table.file, station_lines.get(i))
                .field("id"),
            );
        }
        if repeats.is_empty() {
            station_index = Some(index);
        }
    }

    if let Some((l, span)) = &leveling {
        let contests = parts.contests.iter().filter(|c| c.system == l.system).count();
        if l.seats as usize > contests {
            diags.push(toml_diag(
                Code::InconsistentDefinition,
                span.clone(),
                format!(
                    "[leveling] has {} seats but its system has {contests} contests; each contest takes at most one leveling seat",
                    l.seats
                ),
            ));
        }
    }

    if let Some((m, span)) = &mixed_member {
        let contests_file = display(&t.contests);
        let list_contests: Vec<&Contest> =
            parts.contests.iter().filter(|c| c.system == m.lists).collect();
        for (i, c) in parts.contests.iter().enumerate() {
            let at =
                |d: Diagnostic| d.at(&contests_file, contest_lines.get(i).copied().unwrap_or(0));
            if c.system == m.constituencies && c.seats != 1 {
                diags.push(at(Diagnostic::new(
                    Code::InconsistentDefinition,
                    format!("contest {} is a constituency of [mmp] but has {} seats; a constituency elects one member", c.id, c.seats),
                ))
                .field("seats"));
            }
            // With a list per governorate, every constituency needs its governorate's list.
            if c.system == m.constituencies
                && list_contests.len() > 1
                && !list_contests
                    .iter()
                    .any(|l| l.governorate.is_some() && l.governorate == c.governorate)
            {
                diags.push(at(Diagnostic::new(
                    Code::InconsistentDefinition,
                    format!("constituency {} has no list contest of system {:?} in its governorate; with several list contests, each constituency belongs to the list of its governorate", c.id, parts.systems[m.lists.index()].id),
                ))
                .field("governorate"));
            }
        }
        if list_contests.is_empty() {
            diags.push(toml_diag(
                Code::InconsistentDefinition,
                span.clone(),
                format!("[mmp] system {:?} has no contest", parts.systems[m.lists.index()].id),
            ));
        }
    }

    // Whole-package checks (warnings), only on a definition without errors: a faulty row would
    // otherwise show up again as an empty contest.
    let defined_cleanly = !diags.iter().any(Diagnostic::is_error);
    let mut has_station = vec![false; parts.contests.len()];
    let mut governorate_has_station = vec![false; parts.governorates.len()];
    for s in &parts.stations {
        has_station[s.district.index()] = true;
        if let Some(g) = s.governorate {
            governorate_has_station[g.index()] = true;
        }
    }
    let mut candidates_in = vec![0u32; parts.contests.len()];
    for c in &parts.candidates {
        candidates_in[c.contest.index()] += 1;
    }
    let contests_file = display(&t.contests);
    for (i, c) in parts.contests.iter().enumerate() {
        if !defined_cleanly {
            break;
        }
        let ranked = parts.systems[c.system.index()].method.ranked().is_some();
        let reachable = ranked
            || match parts.systems[c.system.index()].electorate {
                Electorate::Own => has_station[i],
                Electorate::Governorate | Electorate::GovernorateBallot => {
                    c.governorate.is_some_and(|g| governorate_has_station[g.index()])
                }
                Electorate::Nationwide | Electorate::NationwideBallot => !parts.stations.is_empty(),
            };
        if !reachable {
            let why = match parts.systems[c.system.index()].electorate {
                Electorate::Own => format!("has no polling station in {}", t.stations),
                Electorate::Governorate | Electorate::GovernorateBallot => format!(
                    "is elected by the voters of its governorate ({}), which has no polling station",
                    c.governorate.map_or("none", |g| parts.governorates[g.index()].as_str())
                ),
                Electorate::Nationwide | Electorate::NationwideBallot => {
                    "is elected nationwide, but there is no polling station".to_owned()
                }
            };
            diags.push(
                Diagnostic::new(
                    Code::ContestWithoutStations,
                    format!("contest {} {why}; nobody can vote in it", c.id),
                )
                .at(&contests_file, contest_lines.get(i).copied().unwrap_or(0))
                .field("id"),
            );
        }
        if candidates_in[i] < c.seats {
            diags.push(
                Diagnostic::new(
                    Code::TooFewCandidates,
                    format!(
                        "contest {} has {} seat(s) but {} candidate(s); {} seat(s) will stay empty",
                        c.id,
                        c.seats,
                        candidates_in[i],
                        c.seats - candidates_in[i]
                    ),
                )
                .at(&contests_file, contest_lines.get(i).copied().unwrap_or(0))
                .field("id"),
            );
        }
    }

    diags.sort();
    if diags.iter().any(Diagnostic::is_error) {
        return Err(PackageError { diagnostics: diags });
    }
    let results = t.results.iter().map(|r| dir.join(r)).collect();
    parts.station_index = station_index;
    Ok(Package {
        dir: dir.to_owned(),
        election: Election::new(parts),
        results,
        warnings: diags,
        stations_file: display(&t.stations),
        station_lines,
        election_toml: toml_name.clone(),
        ranked_sources,
        aliases,
    })
}

fn list_or_none<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() { "no systems".to_owned() } else { v.join(", ") }
}

/// Records `id` as taken, or reports it as a duplicate.
fn unique(
    seen: &mut HashMap<String, usize>,
    id: &str,
    index: usize,
    row: &crate::table::Row<'_>,
    column: Option<usize>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if seen.contains_key(id) {
        diags.push(row.diag(
            Code::DuplicateId,
            column,
            format!("id {id:?} is used by an earlier row; ids must be unique"),
        ));
        return false;
    }
    seen.insert(id.to_owned(), index);
    true
}

/// The method of a system and, for list PR, its formula, lists and threshold.
fn resolve_method(
    id: &str,
    s: &SystemToml,
    all_systems: &BTreeMap<String, SystemToml>,
    diags: &mut Vec<Diagnostic>,
    toml_diag: &dyn Fn(Code, std::ops::Range<usize>, String) -> Diagnostic,
) -> Method {
    let mut bad = |span: std::ops::Range<usize>, message: String| {
        diags.push(toml_diag(Code::TomlSyntax, span, format!("system {id:?}: {message}")));
    };
    let list_keys = [
        s.formula.as_ref().map(Spanned::span),
        s.first_divisor.as_ref().map(Spanned::span),
        s.lists.as_ref().map(Spanned::span),
        s.preference_jump.as_ref().map(Spanned::span),
        s.threshold.as_ref().map(|t| t.share.span()),
    ];
    let ranked_keys = [
        s.quota.as_ref().map(Spanned::span),
        s.decimal_places.as_ref().map(Spanned::span),
        s.tiebreak.as_ref().map(Spanned::span),
        s.overvote_rule.as_ref().map(Spanned::span),
        s.max_skipped_ranks.as_ref().map(Spanned::span),
        s.max_rankings.as_ref().map(Spanned::span),
        s.exhaust_on_duplicate.as_ref().map(Spanned::span),
        s.batch_elimination.as_ref().map(Spanned::span),
        s.continue_until_two.as_ref().map(Spanned::span),
        s.equal_preferences.as_ref().map(Spanned::span),
        s.force_positive_surplus.as_ref().map(Spanned::span),
        s.omega_exponent.as_ref().map(Spanned::span),
        s.irish_papers.as_ref().map(Spanned::span),
        s.multiple_exclusion.as_ref().map(Spanned::span),
        s.defer_surpluses.as_ref().map(Spanned::span),
    ];
    if let Some(kind) = RankedKind::parse(s.method.get_ref()) {
        if let Some(span) = list_keys.into_iter().flatten().next() {
            bad(
                span,
                format!(
                    "formula, first_divisor, lists, preference_jump and threshold belong to method \"list-pr\", not {:?}",
                    kind.as_str()
                ),
            );
        }
        return Method::Ranked(resolve_ranked(kind, s, &mut bad));
    }
    if let Some(span) = ranked_keys.into_iter().flatten().next() {
        bad(span, "quota, decimal_places, tiebreak, overvote_rule, max_skipped_ranks, max_rankings, exhaust_on_duplicate, batch_elimination, continue_until_two, equal_preferences, force_positive_surplus, omega_exponent, irish_papers, multiple_exclusion and defer_surpluses belong to the ranked methods irv, stv, scottish-stv, meek and irish".to_owned());
    }
    match s.method.get_ref().as_str() {
        "sntv" => {
            if let Some(span) = list_keys.into_iter().flatten().next() {
                bad(span, "formula, first_divisor, lists, preference_jump and threshold belong to method \"list-pr\"".to_owned());
            }
            Method::Sntv
        }
        "list-pr" => {
            let first = s.first_divisor.as_ref().and_then(|f| {
                let parsed = Fraction::parse(f.get_ref()).filter(|x| x.numerator > 0);
                if parsed.is_none() {
                    bad(
                        f.span(),
                        format!(
                            "first_divisor {:?} is not a positive number such as 1.4",
                            f.get_ref()
                        ),
                    );
                }
                parsed
            });
            let formula = match &s.formula {
                None => {
                    bad(
                        s.method.span(),
                        format!(
                            "method \"list-pr\" needs a `formula`: one of {}",
                            Formula::NAMES.join(", ")
                        ),
                    );
                    Formula::DHondt
                }
                Some(f) => Formula::parse(f.get_ref(), first).unwrap_or_else(|| {
                    bad(
                        f.span(),
                        format!(
                            "unknown formula {:?}; use one of {}",
                            f.get_ref(),
                            Formula::NAMES.join(", ")
                        ),
                    );
                    Formula::DHondt
                }),
            };
            if let (Some(f), false) =
                (&s.first_divisor, matches!(formula, Formula::ModifiedSainteLague { .. }))
            {
                bad(
                    f.span(),
                    "first_divisor applies to formula \"modified-sainte-lague\" only".to_owned(),
                );
            }
            let jump = s.preference_jump.as_ref().and_then(|j| {
                let parsed = Fraction::parse(j.get_ref());
                if parsed.is_none() {
                    bad(
                        j.span(),
                        format!("preference_jump {:?} is not a share such as \"5%\"", j.get_ref()),
                    );
                }
                parsed
            });
            let lists = match s.lists.as_ref().map(|l| (l, l.get_ref().as_str())) {
                None | Some((_, "closed")) => ListKind::Closed,
                Some((_, "open")) => ListKind::Open,
                Some((l, "preference")) => match jump {
                    Some(jump) => ListKind::Preference { jump },
                    None => {
                        if s.preference_jump.is_none() {
                            bad(
                                l.span(),
                                "lists = \"preference\" needs `preference_jump`, e.g. \"5%\""
                                    .to_owned(),
                            );
                        }
                        ListKind::Closed
                    }
                },
                Some((l, other)) => {
                    bad(l.span(), format!("lists {other:?}: use closed, open or preference"));
                    ListKind::Closed
                }
            };
            // With lists = "preference" a bad jump is reported above, not again here.
            let preference = s.lists.as_ref().is_some_and(|l| l.get_ref() == "preference");
            if let (Some(j), false) = (&s.preference_jump, preference) {
                bad(j.span(), "preference_jump applies to lists = \"preference\" only".to_owned());
            }
            let threshold = s.threshold.as_ref().and_then(|t| {
                let share = Fraction::parse(t.share.get_ref());
                if share.is_none() {
                    bad(
                        t.share.span(),
                        format!(
                            "threshold share {:?} is not a share such as \"5%\" or \"1/20\"",
                            t.share.get_ref()
                        ),
                    );
                }
                let base = match t.base.as_ref().map(|b| (b, b.get_ref().as_str())) {
                    None | Some((_, "list-votes")) => ThresholdBase::ListVotes,
                    Some((_, "valid-ballots")) => ThresholdBase::ValidBallots,
                    Some((b, other)) => {
                        bad(
                            b.span(),
                            format!("threshold base {other:?}: use list-votes or valid-ballots"),
                        );
                        ThresholdBase::ListVotes
                    }
                };
                let scope = match t.scope.as_ref().map(|b| (b, b.get_ref().as_str())) {
                    None | Some((_, "contest")) => ThresholdScope::Contest,
                    Some((_, "system")) => ThresholdScope::System,
                    Some((b, other)) => {
                        bad(b.span(), format!("threshold scope {other:?}: use contest or system"));
                        ThresholdScope::Contest
                    }
                };
                let or_seats = match (&t.or_seats, &t.or_seats_in) {
                    (None, None) => None,
                    (Some(n), Some(sys)) => {
                        // Systems are numbered in key order, as the package reader stores them.
                        let index = all_systems.keys().position(|k| k == sys.get_ref());
                        match index.map(|i| (i, &all_systems[sys.get_ref()])) {
                            Some((i, other)) if other.method.get_ref() == "sntv" => {
                                Some(psephos_model::SeatsAlternative {
                                    seats: *n.get_ref(),
                                    system: SystemIdx::from_index(i),
                                })
                            }
                            Some(_) => {
                                bad(
                                    sys.span(),
                                    format!(
                                        "threshold or_seats_in {:?} must name a system with method \"sntv\"",
                                        sys.get_ref()
                                    ),
                                );
                                None
                            }
                            None => {
                                bad(
                                    sys.span(),
                                    format!(
                                        "threshold or_seats_in {:?} is not a system of this package",
                                        sys.get_ref()
                                    ),
                                );
                                None
                            }
                        }
                    }
                    (Some(n), None) => {
                        bad(n.span(), "threshold or_seats needs or_seats_in: the SNTV system whose seats count".to_owned());
                        None
                    }
                    (None, Some(sys)) => {
                        bad(sys.span(), "threshold or_seats_in needs or_seats: how many seats qualify".to_owned());
                        None
                    }
                };
                Some(ListThreshold { share: share?, base, scope, or_seats })
            });
            Method::ListPr(ListPr { formula, lists, threshold })
        }
        other => {
            bad(
                s.method.span(),
                format!("unknown method {other:?}; supported: {}", Method::NAMES.join(", ")),
            );
            Method::Sntv
        }
    }
}

/// The rules of a ranked system: RCTab's suggested values, then what the system says.
fn resolve_ranked(
    kind: RankedKind,
    s: &SystemToml,
    bad: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> Ranked {
    let mut r = Ranked::new(kind);
    let rctab = kind.is_rctab();
    let name = kind.as_str();
    if let Some(q) = &s.quota {
        match (kind, q.get_ref().as_str()) {
            (RankedKind::Irv, _) => bad(
                q.span(),
                "quota belongs to stv and scottish-stv; instant-runoff elects by a majority of the continuing ballots".to_owned(),
            ),
            (RankedKind::Meek, _) => bad(
                q.span(),
                "meek has its own threshold, (votes − exhausted) ÷ (seats + 1) recomputed as it counts; remove quota".to_owned(),
            ),
            (RankedKind::Irish, _) => bad(
                q.span(),
                "the Irish quota is fixed by law, ⌊valid papers ÷ (seats + 1)⌋ + 1; remove quota".to_owned(),
            ),
            (_, "droop") => r.quota = RankedQuota::Droop,
            (RankedKind::Stv, "hare") => r.quota = RankedQuota::Hare,
            (_, "hare") => bad(q.span(), "scottish-stv uses the Droop quota; remove quota or write \"droop\"".to_owned()),
            (_, other) => bad(q.span(), format!("quota {other:?}: use droop or hare")),
        }
    }
    if let Some(d) = &s.decimal_places {
        match kind {
            RankedKind::ScottishStv => bad(
                d.span(),
                "scottish-stv counts with 5 decimals, as the order says; remove decimal_places"
                    .to_owned(),
            ),
            RankedKind::Meek => bad(
                d.span(),
                "meek counts in fixed point with 9 decimals, as stv-rs and Droop; remove decimal_places"
                    .to_owned(),
            ),
            RankedKind::Irish => bad(
                d.span(),
                "irish moves whole papers (exact fractions with irish_papers = \"fraction\"); remove decimal_places"
                    .to_owned(),
            ),
            _ if (1..=20).contains(d.get_ref()) => r.decimal_places = *d.get_ref(),
            _ => bad(d.span(), format!("decimal_places {} must be from 1 to 20", d.get_ref())),
        }
    }
    if let Some(t) = &s.tiebreak {
        match RankedTiebreak::parse(t.get_ref()) {
            Some(RankedTiebreak::PreviousRoundThenLot) if !rctab => bad(
                t.span(),
                match kind {
                    RankedKind::Meek => "meek defeats the first of the tied in one order of all candidates; use order or lot".to_owned(),
                    _ => format!("{name} already looks at earlier stages before its lot; use order or lot"),
                },
            ),
            Some(tb) => r.tiebreak = tb,
            None => bad(
                t.span(),
                format!(
                    "tiebreak {:?}: use {}",
                    t.get_ref(),
                    RankedTiebreak::ALL.map(RankedTiebreak::as_str).join(", ")
                ),
            ),
        }
    }
    // RCTab's rules for reading rankings; the other counts have their own.
    let rctab_only = [
        ("overvote_rule", s.overvote_rule.as_ref().map(Spanned::span)),
        ("max_skipped_ranks", s.max_skipped_ranks.as_ref().map(Spanned::span)),
        ("exhaust_on_duplicate", s.exhaust_on_duplicate.as_ref().map(Spanned::span)),
    ];
    for (key, span) in rctab_only {
        if let (Some(span), false) = (span, rctab) {
            let how = if kind == RankedKind::Meek {
                "counts candidates at one rank as equal preferences"
            } else {
                "ends a ballot at equal preferences"
            };
            bad(
                span,
                format!(
                    "{key} is an RCTab rule for irv and stv; {name} {how} and passes over skipped ranks"
                ),
            );
        }
    }
    if let Some(o) = s.overvote_rule.as_ref().filter(|_| rctab) {
        match OvervoteRule::parse(o.get_ref()) {
            Some(rule) => r.overvote = rule,
            None => bad(
                o.span(),
                format!(
                    "overvote_rule {:?}: use {}",
                    o.get_ref(),
                    OvervoteRule::ALL.map(OvervoteRule::as_str).join(", ")
                ),
            ),
        }
    }
    let count_or = |v: &Spanned<toml::Value>,
                    word: &str,
                    min: i64,
                    key: &str,
                    bad: &mut dyn FnMut(std::ops::Range<usize>, String)|
     -> Option<Option<u32>> {
        match v.get_ref() {
            toml::Value::String(w) if w == word => Some(None),
            toml::Value::Integer(n) if (min..=i64::from(u32::MAX)).contains(n) => {
                Some(u32::try_from(*n).ok())
            }
            other => {
                bad(
                    v.span(),
                    format!(
                        "{key} is {other}; write a whole number of at least {min} or \"{word}\""
                    ),
                );
                None
            }
        }
    };
    if let Some(v) = s.max_skipped_ranks.as_ref().filter(|_| rctab)
        && let Some(m) = count_or(v, "unlimited", 0, "max_skipped_ranks", bad)
    {
        r.max_skipped_ranks = m;
    }
    if let Some(v) = &s.max_rankings
        && let Some(m) = count_or(v, "max", 1, "max_rankings", bad)
    {
        r.max_rankings = m;
    }
    if let Some(b) = s.exhaust_on_duplicate.as_ref().filter(|_| rctab) {
        r.exhaust_on_duplicate = *b.get_ref();
    }
    for (key, value, set) in [
        ("batch_elimination", &s.batch_elimination, &mut r.batch_elimination),
        ("continue_until_two", &s.continue_until_two, &mut r.continue_until_two),
    ] {
        if let Some(b) = value {
            if kind == RankedKind::Irv {
                *set = *b.get_ref();
            } else {
                bad(
                    b.span(),
                    format!(
                        "{key} applies to irv only (RCTab allows it with one winner), not {name}"
                    ),
                );
            }
        }
    }
    // Meek's and the Irish count's own rules.
    let meek = kind == RankedKind::Meek;
    let irish = kind == RankedKind::Irish;
    let own = [
        ("equal_preferences", "meek", meek, s.equal_preferences.as_ref().map(Spanned::span)),
        (
            "force_positive_surplus",
            "meek",
            meek,
            s.force_positive_surplus.as_ref().map(Spanned::span),
        ),
        ("omega_exponent", "meek", meek, s.omega_exponent.as_ref().map(Spanned::span)),
        ("irish_papers", "irish", irish, s.irish_papers.as_ref().map(Spanned::span)),
        ("multiple_exclusion", "irish", irish, s.multiple_exclusion.as_ref().map(Spanned::span)),
        ("defer_surpluses", "irish", irish, s.defer_surpluses.as_ref().map(Spanned::span)),
    ];
    for (key, owner, applies, span) in own {
        if let (Some(span), false) = (span, applies) {
            bad(span, format!("{key} is a rule of method {owner}, not {name}"));
        }
    }
    if let Some(e) = s.equal_preferences.as_ref().filter(|_| meek) {
        match EqualPreferences::parse(e.get_ref()) {
            Some(v) => r.equal_preferences = v,
            None => {
                bad(e.span(), format!("equal_preferences {:?}: use droop or equalize", e.get_ref()))
            }
        }
    }
    if let Some(b) = s.force_positive_surplus.as_ref().filter(|_| meek) {
        r.force_positive_surplus = *b.get_ref();
    }
    if let Some(o) = s.omega_exponent.as_ref().filter(|_| meek) {
        match u32::try_from(*o.get_ref()).ok().filter(|n| (1..=9).contains(n)) {
            Some(n) => r.omega_exponent = n,
            None => bad(
                o.span(),
                format!(
                    "omega_exponent {} must be from 1 to 9 (omega = 10^-N; values have 9 decimals)",
                    o.get_ref()
                ),
            ),
        }
    }
    if let Some(p) = s.irish_papers.as_ref().filter(|_| irish) {
        match IrishPapers::parse(p.get_ref()) {
            Some(v) => r.irish_papers = v,
            None => bad(
                p.span(),
                format!("irish_papers {:?}: use last, first or fraction", p.get_ref()),
            ),
        }
    }
    if let Some(b) = s.multiple_exclusion.as_ref().filter(|_| irish) {
        r.multiple_exclusion = *b.get_ref();
    }
    if let Some(b) = s.defer_surpluses.as_ref().filter(|_| irish) {
        r.defer_surpluses = *b.get_ref();
    }
    if !s.quotas.is_empty() {
        bad(
            s.method.span(),
            format!("quotas apply to sntv and list-pr; a {name} count elects by the ballots alone"),
        );
    }
    r
}

fn resolve_ties(
    t: &TiesToml,
    diags: &mut Vec<Diagnostic>,
    toml_diag: &dyn Fn(Code, std::ops::Range<usize>, String) -> Diagnostic,
) -> TiePolicy {
    let method = TieMethod::parse(t.method.get_ref()).unwrap_or_else(|| {
        diags.push(toml_diag(
            Code::TomlSyntax,
            t.method.span(),
            format!("unknown tie method {:?}; use \"lot\" or \"most-votes\"", t.method.get_ref()),
        ));
        TieMethod::Lot
    });
    if t.seed.get_ref().trim().is_empty() {
        diags.push(toml_diag(
            Code::EmptySeed,
            t.seed.span(),
            "the tie seed is empty; before the count, draw a seed in public (dice, a lottery draw) and record it here".to_owned(),
        ));
    }
    TiePolicy { method, seed: t.seed.get_ref().clone() }
}

fn resolve_quota(
    system: &str,
    q: &QuotaToml,
    diags: &mut Vec<Diagnostic>,
    toml_diag: &dyn Fn(Code, std::ops::Range<usize>, String) -> Diagnostic,
) -> Option<QuotaRule> {
    let mut ok = true;
    let gender = match &q.gender {
        None => None,
        Some(g) => match Gender::parse(g.get_ref()) {
            Some(g) => Some(g),
            None => {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    g.span(),
                    format!(
                        "quota {:?}: gender {:?}; write F, M or X",
                        q.name.get_ref(),
                        g.get_ref()
                    ),
                ));
                ok = false;
                None
            }
        },
    };
    let minimum = match (&q.minimum, &q.share) {
        (Some(n), None) => {
            if let Some(r) = &q.rounding {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    r.span(),
                    format!(
                        "quota {:?}: `rounding` applies to a `share`, not to a fixed `minimum`; remove it",
                        q.name.get_ref()
                    ),
                ));
                ok = false;
            }
            Some(Minimum::Count(*n))
        }
        (None, Some(share)) => {
            let rounding = match &q.rounding {
                None => Some(Rounding::Down),
                Some(r) => Rounding::parse(r.get_ref()).or_else(|| {
                    diags.push(toml_diag(
                        Code::TomlSyntax,
                        r.span(),
                        format!(
                            "quota {:?}: rounding {:?}; use down, up or half-up",
                            q.name.get_ref(),
                            r.get_ref()
                        ),
                    ));
                    None
                }),
            };
            let parsed = share.get_ref().split_once('/').and_then(|(n, d)| {
                Some((
                    n.trim().parse::<u32>().ok()?,
                    d.trim().parse::<u32>().ok().filter(|&d| d > 0)?,
                ))
            });
            if parsed.is_none() {
                diags.push(toml_diag(
                    Code::TomlSyntax,
                    share.span(),
                    format!(
                        "quota {:?}: share {:?} is not a fraction like \"1/4\"",
                        q.name.get_ref(),
                        share.get_ref()
                    ),
                ));
            }
            match (parsed, rounding) {
                (Some((numerator, denominator)), Some(rounding)) => {
                    Some(Minimum::Share { numerator, denominator, rounding })
                }
                _ => None,
            }
        }
        _ => {
            diags.push(toml_diag(
                Code::TomlSyntax,
                q.name.span(),
                format!(
                    "system {system:?}, quota {:?}: give exactly one of `minimum` (seats per contest) or `share` (e.g. \"1/4\")",
                    q.name.get_ref()
                ),
            ));
            None
        }
    };
    if gender.is_none() && q.group.is_none() && ok {
        diags.push(toml_diag(
            Code::TomlSyntax,
            q.name.span(),
            format!(
                "system {system:?}, quota {:?}: say whom it protects with `gender` and/or `group`",
                q.name.get_ref()
            ),
        ));
        ok = false;
    }
    let scope = match q.scope.as_ref().map(|s| (s, s.get_ref().as_str())) {
        None | Some((_, "contest")) => QuotaScope::Contest,
        Some((_, "list")) => QuotaScope::List,
        Some((s, other)) => {
            diags.push(toml_diag(
                Code::TomlSyntax,
                s.span(),
                format!("quota {:?}: scope {other:?}; use contest or list", q.name.get_ref()),
            ));
            ok = false;
            QuotaScope::Contest
        }
    };
    let unless_contest_has = match &q.unless_contest_has {
        None => None,
        Some(u) => {
            let as_quota = QuotaToml {
                name: q.name.clone(),
                gender: q.gender.clone(),
                group: q.group.clone(),
                minimum: u.minimum,
                share: u.share.clone(),
                rounding: u.rounding.clone(),
                scope: None,
                unless_contest_has: None,
            };
            let inner = resolve_quota(system, &as_quota, diags, toml_diag);
            if inner.is_none() {
                ok = false;
            }
            inner.map(|r| r.minimum)
        }
    };
    let minimum = minimum?;
    ok.then(|| QuotaRule {
        name: q.name.get_ref().clone(),
        filter: CandidateFilter { gender, group: q.group.clone() },
        minimum,
        scope,
        unless_contest_has,
    })
}

/// The ids a table holds, valid or not, so that a reference to an id whose own row is faulty
/// is not reported a second time.
#[derive(Default)]
struct Known {
    /// The table was read and has every column it needs.
    complete: bool,
    seen: std::collections::HashSet<String>,
}

impl Known {
    fn new(id: Option<usize>, others: &[Option<usize>]) -> Known {
        Known {
            complete: id.is_some() && others.iter().all(Option::is_some),
            seen: Default::default(),
        }
    }

    /// Records the id of a row, valid or not.
    fn saw(&mut self, row: &crate::table::Row<'_>, id: Option<usize>) {
        self.seen.insert(row.get(id).to_owned());
    }

    /// Whether a missing id is worth reporting: the table is whole and never mentions it.
    fn reportable(&self, id: &str) -> bool {
        self.complete && !self.seen.contains(id)
    }
}

/// The stations of one chunk of stations.csv, before they join the others.
#[derive(Default)]
struct StationChunk {
    ids: psephos_model::IdArena,
    stations: Vec<Station>,
    lines: Vec<u32>,
    /// Centre ids in order of appearance; a station's `centre` indexes this until merged.
    centres: Vec<String>,
    /// Stations (by position in the chunk) in a governorate that no contest names.
    named_governorates: Vec<(usize, String)>,
    /// The district of the last row, and what it resolved to.
    last_district: Option<(String, Option<usize>)>,
}

/// The line of each row, stored as runs of consecutive lines: a million stations one per line
/// cost one entry, not a million.
#[derive(Debug, Default)]
struct LineRuns {
    /// (first row of the run, its line), in row order.
    runs: Vec<(u32, u32)>,
    rows: u32,
}

impl LineRuns {
    fn push(&mut self, line: u32) {
        let continues = self.runs.last().is_some_and(|&(row, first)| {
            u64::from(first) + u64::from(self.rows - row) == u64::from(line)
        });
        if !continues {
            self.runs.push((self.rows, line));
        }
        self.rows += 1;
    }

    fn get(&self, row: usize) -> u64 {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        let k = self.runs.partition_point(|&(start, _)| start <= row);
        match k.checked_sub(1).and_then(|k| self.runs.get(k)) {
            Some(&(start, line)) => u64::from(line) + u64::from(row - start),
            None => 0,
        }
    }
}

fn is_divisor(f: Formula) -> bool {
    psephos_count::list_pr::formula_method(f).is_divisor()
}

/// Apportions the seats of a system among its contests (by their populations) or among
/// governorates (by the populations given); in the first case the contests receive their seats
/// (a `seats` cell filled in must agree), in the second each governorate's contests of the system
/// must hold its seats between them.
#[allow(clippy::too_many_arguments)]
fn apportion_contests(
    rule: &mut psephos_model::ContestApportionment,
    span: std::ops::Range<usize>,
    parts: &mut ElectionParts,
    contest_lines: &[u64],
    contests_file: &str,
    ties: &TiePolicy,
    toml_diag: &dyn Fn(Code, std::ops::Range<usize>, String) -> Diagnostic,
    diags: &mut Vec<Diagnostic>,
) {
    use psephos_count::apportion::{TieRule, apportion_with_minimums};
    let members: Vec<usize> =
        (0..parts.contests.len()).filter(|&i| parts.contests[i].system == rule.system).collect();
    let by_governorate = !rule.governorate_population.is_empty();
    // The units: contests, or governorates.
    let units: Vec<(String, u32)> = if by_governorate {
        let mut units = rule.governorate_population.clone();
        // In the order governorates first appear in contests.csv, then any others.
        units.sort_by_key(|(name, _)| {
            parts.governorates.iter().position(|g| g == name).unwrap_or(usize::MAX)
        });
        for (name, _) in &units {
            if !parts.governorates.contains(name) {
                diags.push(toml_diag(
                    Code::InconsistentDefinition,
                    span.clone(),
                    format!("[apportionment] population names {name:?}, which no contest has as its governorate"),
                ));
            }
        }
        for &i in &members {
            let g = parts.contests[i].governorate.map(|g| parts.governorates[g.index()].clone());
            if !g.as_ref().is_some_and(|g| units.iter().any(|u| &u.0 == g)) {
                diags.push(
                    Diagnostic::new(
                        Code::InconsistentDefinition,
                        format!(
                            "contest {} is in system {:?}, apportioned by governorate, but its governorate has no population in [apportionment]",
                            parts.contests[i].id, parts.systems[rule.system.index()].id
                        ),
                    )
                    .at(contests_file, contest_lines.get(i).copied().unwrap_or(0))
                    .field("governorate"),
                );
                return;
            }
        }
        units
    } else {
        members
            .iter()
            .map(|&i| (parts.contests[i].id.clone(), parts.contests[i].population.unwrap_or(0)))
            .collect()
    };
    if units.is_empty() {
        return;
    }
    let population: Vec<u128> = units.iter().map(|u| u128::from(u.1)).collect();
    let names: Vec<&str> = units.iter().map(|u| u.0.as_str()).collect();
    let minimums = vec![u128::from(rule.minimum); units.len()];
    let context = "apportionment".to_owned();
    let tie_rule = match ties.method {
        TieMethod::Lot => TieRule::Lot { seed: ties.seed.clone(), context },
        TieMethod::MostVotes => TieRule::MostVotesThenLot { seed: ties.seed.clone(), context },
    };
    let method = psephos_count::list_pr::formula_method(rule.formula);
    let result = apportion_with_minimums(
        &population,
        &names,
        u128::from(rule.seats),
        method,
        &minimums,
        &tie_rule,
    );
    let seats = match result {
        Ok(a) if a.seats.iter().sum::<u128>() == u128::from(rule.seats) => a.seats,
        _ => {
            diags.push(toml_diag(
                Code::InconsistentDefinition,
                span,
                format!(
                    "[apportionment] cannot divide {} seats among {} units with a minimum of {} each; check the seats, the minimum and the populations",
                    rule.seats,
                    units.len(),
                    rule.minimum
                ),
            ));
            return;
        }
    };
    let seats: Vec<u32> = seats.iter().map(|&s| u32::try_from(s).unwrap_or(u32::MAX)).collect();
    rule.apportioned =
        units.iter().zip(&seats).map(|((name, pop), &s)| (name.clone(), *pop, s)).collect();
    if by_governorate {
        for ((name, _), &computed) in units.iter().zip(&seats) {
            let held: u32 = members
                .iter()
                .filter(|&&i| {
                    parts.contests[i]
                        .governorate
                        .is_some_and(|g| &parts.governorates[g.index()] == name)
                })
                .map(|&i| parts.contests[i].seats)
                .sum();
            if held != computed {
                diags.push(toml_diag(
                    Code::InconsistentDefinition,
                    span.clone(),
                    format!(
                        "[apportionment] gives governorate {name} {computed} seat(s), but its contests of system {:?} hold {held}; add or remove contests in {contests_file}",
                        parts.systems[rule.system.index()].id,
                    ),
                ));
            }
        }
        return;
    }
    for (k, &i) in members.iter().enumerate() {
        let computed = seats[k];
        let contest = &mut parts.contests[i];
        if contest.seats != 0 && contest.seats != computed {
            diags.push(
                Diagnostic::new(
                    Code::InconsistentDefinition,
                    format!(
                        "contest {} has {} seats, but the apportionment of {} seats by population gives it {computed}; correct the seats or leave them empty",
                        contest.id, contest.seats, rule.seats
                    ),
                )
                .at(contests_file, contest_lines.get(i).copied().unwrap_or(0))
                .field("seats"),
            );
        }
        contest.seats = computed;
    }
}

#[cfg(test)]
mod tests {
    use super::LineRuns;

    #[test]
    fn line_runs() {
        let mut lines = LineRuns::default();
        for line in [2, 3, 4, 6, 7, 10] {
            lines.push(line);
        }
        assert_eq!(lines.runs.len(), 3);
        assert_eq!((0..6).map(|r| lines.get(r)).collect::<Vec<_>>(), [2, 3, 4, 6, 7, 10]);
    }
}
