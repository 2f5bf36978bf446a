//! Ranked contests in a package: the `[[cvr_sources]]` of election.toml (RCTab's
//! `cvrFileSources`, one entry per file, each naming its contest) and the reading of their
//! ballots, with every label checked against the contest's candidates in candidates.csv.

use std::path::{Path, PathBuf};

use hashbrown::HashMap;
use psephos_count::RankedBallots;
use psephos_model::{CandidateIdx, Code, ContestIdx, Diagnostic, Election, Method};
use psephos_rcv::{BallotSet, BallotSetBuilder, Mark};
use serde::Deserialize;
use toml::Spanned;

use crate::cvr::{CvrSource, OVERVOTE, ReadOptions, UNDECLARED_WRITE_INS};
use crate::package::Package;

/// One `[[cvr_sources]]` entry as written: RCTab's `cvrFileSources` keys in snake case, and the
/// contest it holds ballots for.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct CvrSourceToml {
    contest: Spanned<String>,
    provider: Spanned<String>,
    file_path: Spanned<String>,
    #[serde(default)]
    contest_id: Option<Spanned<toml::Value>>,
    #[serde(default)]
    first_vote_column_index: Option<Spanned<u32>>,
    #[serde(default)]
    first_vote_row_index: Option<Spanned<u32>>,
    #[serde(default)]
    id_column_index: Option<Spanned<u32>>,
    #[serde(default)]
    precinct_column_index: Option<Spanned<u32>>,
    #[serde(default)]
    batch_column_index: Option<Spanned<u32>>,
    #[serde(default)]
    overvote_delimiter: Option<Spanned<String>>,
    #[serde(default)]
    overvote_label: Option<Spanned<String>>,
    #[serde(default)]
    skipped_rank_label: Option<Spanned<String>>,
    #[serde(default)]
    undeclared_write_in_label: Option<Spanned<String>>,
    #[serde(default)]
    treat_blank_as_undeclared_write_in: Option<Spanned<bool>>,
}

impl CvrSourceToml {
    /// The contest the entry names.
    pub(crate) fn contest_name(&self) -> &str {
        self.contest.get_ref()
    }
}

/// Where a ranked contest's ballots are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A cast-vote record source of one of RCTab's providers.
    Cvr(Box<CvrSource>),
    /// A BLT ballot file (path relative to the package).
    Blt(String),
    /// A PrefLib file (`.soi`, `.toi`, `.soc`, `.toc`).
    Preflib(String),
}

/// One `[[cvr_sources]]` entry, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankedSource {
    pub contest: ContestIdx,
    pub kind: SourceKind,
    /// Its line in election.toml.
    pub line: u64,
}

/// RCTab's camel-case key for a snake-case one, and back.
const KEYS: [(&str, &str); 13] = [
    ("provider", "provider"),
    ("file_path", "filePath"),
    ("contest_id", "contestId"),
    ("first_vote_column_index", "firstVoteColumnIndex"),
    ("first_vote_row_index", "firstVoteRowIndex"),
    ("id_column_index", "idColumnIndex"),
    ("precinct_column_index", "precinctColumnIndex"),
    ("batch_column_index", "batchColumnIndex"),
    ("overvote_delimiter", "overvoteDelimiter"),
    ("overvote_label", "overvoteLabel"),
    ("skipped_rank_label", "skippedRankLabel"),
    ("undeclared_write_in_label", "undeclaredWriteInLabel"),
    ("treat_blank_as_undeclared_write_in", "treatBlankAsUndeclaredWriteIn"),
];

fn snake(camel: &str) -> &str {
    KEYS.iter().find(|(_, c)| *c == camel).map_or(camel, |(s, _)| s)
}

/// Names in RCTab's messages, in the package's words.
fn in_package_words(message: &str) -> String {
    let mut m = message.replace("relative to the config", "relative to the package");
    for (s, c) in KEYS {
        m = m.replace(c, s);
    }
    m
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks the `[[cvr_sources]]` entries against the contests. `contest_index` finds a contest
/// by id; `contest_method` gives a contest's method. Every problem is pushed to `diags` at the
/// entry's line of election.toml.
pub(crate) fn resolve_sources(
    entries: &[CvrSourceToml],
    dir: &Path,
    contest_index: &dyn Fn(&str) -> Option<usize>,
    contest_method: &dyn Fn(usize) -> Method,
    line: &dyn Fn(std::ops::Range<usize>) -> u64,
    toml_file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<RankedSource> {
    let mut out = Vec::new();
    for e in entries {
        let at = |code: Code, span: std::ops::Range<usize>, field: &str, message: String| {
            Diagnostic::new(code, message).at(toml_file, line(span)).field(field)
        };
        let entry_line = line(e.contest.span());
        let contest_id = e.contest.get_ref();
        let contest = contest_index(contest_id);
        match contest {
            None => diags.push(at(
                Code::UnknownReference,
                e.contest.span(),
                "contest",
                format!("[[cvr_sources]] names contest {contest_id:?}, which is not in contests.csv"),
            )),
            Some(c) if contest_method(c).ranked().is_none() => diags.push(at(
                Code::InconsistentDefinition,
                e.contest.span(),
                "contest",
                format!(
                    "[[cvr_sources]] gives ranked ballots for contest {contest_id}, but its system counts by {}; give the contest a system with method irv, stv, scottish-stv, meek or irish",
                    contest_method(c).as_str()
                ),
            )),
            Some(_) => {}
        }
        let path = e.file_path.get_ref();
        if path.trim().is_empty() {
            diags.push(at(
                Code::CvrConfig,
                e.file_path.span(),
                "file_path",
                "file_path is empty; give the ballot file relative to the package".to_owned(),
            ));
        }
        let provider = e.provider.get_ref().as_str();
        let settings: [(&str, Option<std::ops::Range<usize>>); 11] = [
            ("contest_id", e.contest_id.as_ref().map(Spanned::span)),
            ("first_vote_column_index", e.first_vote_column_index.as_ref().map(Spanned::span)),
            ("first_vote_row_index", e.first_vote_row_index.as_ref().map(Spanned::span)),
            ("id_column_index", e.id_column_index.as_ref().map(Spanned::span)),
            ("precinct_column_index", e.precinct_column_index.as_ref().map(Spanned::span)),
            ("batch_column_index", e.batch_column_index.as_ref().map(Spanned::span)),
            ("overvote_delimiter", e.overvote_delimiter.as_ref().map(Spanned::span)),
            ("overvote_label", e.overvote_label.as_ref().map(Spanned::span)),
            ("skipped_rank_label", e.skipped_rank_label.as_ref().map(Spanned::span)),
            ("undeclared_write_in_label", e.undeclared_write_in_label.as_ref().map(Spanned::span)),
            (
                "treat_blank_as_undeclared_write_in",
                e.treat_blank_as_undeclared_write_in.as_ref().map(Spanned::span),
            ),
        ];
        let kind = match provider {
            "blt" | "preflib" => {
                let mut ok = true;
                for (key, span) in settings {
                    if let Some(span) = span {
                        diags.push(at(
                            Code::CvrConfig,
                            span,
                            key,
                            format!("provider {provider} takes only contest, provider and file_path; {key} is for the cast-vote-record providers"),
                        ));
                        ok = false;
                    }
                }
                ok.then(|| {
                    if provider == "blt" {
                        SourceKind::Blt(path.clone())
                    } else {
                        SourceKind::Preflib(path.clone())
                    }
                })
            }
            _ => {
                let text = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
                let number = |v: &Option<Spanned<u32>>| v.as_ref().map(|s| s.get_ref().to_string());
                let source = CvrSource {
                    provider: Some(provider.to_owned()),
                    file_path: Some(path.clone()),
                    contest_id: e.contest_id.as_ref().map(|v| value_text(v.get_ref())),
                    first_vote_column_index: number(&e.first_vote_column_index),
                    first_vote_row_index: number(&e.first_vote_row_index),
                    id_column_index: number(&e.id_column_index),
                    precinct_column_index: number(&e.precinct_column_index),
                    batch_column_index: number(&e.batch_column_index),
                    overvote_delimiter: text(&e.overvote_delimiter),
                    overvote_label: text(&e.overvote_label),
                    skipped_rank_label: text(&e.skipped_rank_label),
                    undeclared_write_in_label: text(&e.undeclared_write_in_label),
                    treat_blank_as_undeclared_write_in: e
                        .treat_blank_as_undeclared_write_in
                        .as_ref()
                        .is_some_and(|b| *b.get_ref()),
                };
                let mut found = Vec::new();
                let checked = source.settings(dir, &mut found);
                for d in found {
                    let field = d.field.as_deref().map(snake).unwrap_or("provider").to_owned();
                    let span = settings
                        .iter()
                        .find(|(k, _)| *k == field)
                        .and_then(|(_, s)| s.clone())
                        .unwrap_or_else(|| match field.as_str() {
                            "file_path" => e.file_path.span(),
                            _ => e.provider.span(),
                        });
                    let message = if field == "provider" && provider != "blt" {
                        format!(
                            "{}; or blt, preflib",
                            in_package_words(&d.message).trim_end_matches(" (exact case)")
                        )
                    } else {
                        in_package_words(&d.message)
                    };
                    diags.push(
                        Diagnostic::new(d.code, message).at(toml_file, line(span)).field(field),
                    );
                }
                checked.map(|_| SourceKind::Cvr(Box::new(source)))
            }
        };
        if let (Some(c), Some(kind)) = (contest, kind) {
            out.push(RankedSource { contest: ContestIdx::from_index(c), kind, line: entry_line });
        }
    }
    out
}

/// The labels a cast-vote record may use for the candidates of a contest: each one's name, id
/// and aliases. Two candidates with a common label are reported by the caller.
pub(crate) fn label_owners(
    election: &Election,
    contest: ContestIdx,
    aliases: &[Vec<String>],
) -> HashMap<String, Vec<CandidateIdx>> {
    let mut owners: HashMap<String, Vec<CandidateIdx>> = HashMap::new();
    for &c in election.candidates_in(contest) {
        let own = aliases.get(c.index()).map_or(&[][..], Vec::as_slice);
        for l in psephos_count::ranked::candidate_labels(election, c, own) {
            let v = owners.entry(l.to_owned()).or_default();
            if !v.contains(&c) {
                v.push(c);
            }
        }
    }
    owners
}

/// Reads the ballots of every ranked contest of the package. Diagnostics name the ballot files
/// as the package does its tables (the package directory joined with the path).
pub fn read_ranked_ballots(package: &Package) -> (Vec<RankedBallots>, Vec<Diagnostic>) {
    let e = &package.election;
    let mut all = Vec::new();
    let mut diags = Vec::new();
    for (ci, contest) in e.contests.iter().enumerate() {
        let Method::Ranked(rules) = &e.system(contest.system).method else { continue };
        let cidx = ContestIdx::from_index(ci);
        let sources: Vec<&RankedSource> =
            package.ranked_sources.iter().filter(|s| s.contest == cidx).collect();
        let mut found = Vec::new();
        let mut builder = BallotSetBuilder::new();
        let mut withdrawn = Vec::new();
        let cvrs: Vec<CvrSource> = sources
            .iter()
            .filter_map(|s| match &s.kind {
                SourceKind::Cvr(c) => Some((**c).clone()),
                _ => None,
            })
            .collect();
        let uwi = cvrs.iter().any(|c| {
            c.undeclared_write_in_label.as_deref().is_some_and(|l| !l.trim().is_empty())
                || c.treat_blank_as_undeclared_write_in
        });
        if !cvrs.is_empty() {
            let options =
                ReadOptions { max_rankings: rules.max_rankings, verify_signatures: false };
            let (set, d) = crate::cvr::read_sources(&cvrs, &package.dir, &options);
            found.extend(d);
            merge(&mut builder, &set, None);
        }
        for s in &sources {
            let (path, blt) = match &s.kind {
                SourceKind::Blt(p) => (p, true),
                SourceKind::Preflib(p) => (p, false),
                SourceKind::Cvr(_) => continue,
            };
            let full = package.dir.join(path);
            let (file, d) =
                if blt { crate::cvr::read_blt(&full) } else { crate::cvr::read_preflib(&full) };
            found.extend(d);
            if let Some(n) = file.seats.filter(|&n| n != contest.seats) {
                found.push(
                    Diagnostic::new(
                        Code::BallotFileMismatch,
                        format!(
                            "the file elects {n} seat(s) but contest {} has {} in contests.csv; contests.csv counts",
                            contest.id, contest.seats
                        ),
                    )
                    .in_file(full.display().to_string()),
                );
            }
            // Candidate numbers become the names the file gives them.
            let names: Vec<String> = (0..file.candidates.len())
                .map(|k| file.candidates.get(k).cloned().unwrap_or_else(|| (k + 1).to_string()))
                .collect();
            merge(&mut builder, &file.ballots, Some(&names));
            let owners = label_owners(e, cidx, &package.aliases);
            for &w in &file.withdrawn {
                if let Some(c) = names.get(w).and_then(|n| owners.get(n)).and_then(|v| v.first())
                    && !withdrawn.contains(c)
                {
                    withdrawn.push(*c);
                }
            }
        }
        let set = builder.build();
        // Every label the counted ballots use must name a candidate of the contest.
        let owners = label_owners(e, cidx, &package.aliases);
        let mut uses: Vec<u64> = vec![0; set.labels.len()];
        for d in set.distinct() {
            for m in set.marks(d) {
                if let Some(u) = uses.get_mut(m.label.0 as usize) {
                    *u += d.count;
                }
            }
        }
        for (label, n) in set.labels.iter().zip(&uses) {
            let known = owners.contains_key(label.as_str())
                || label == OVERVOTE
                || (uwi && label == UNDECLARED_WRITE_INS);
            if *n == 0 || known {
                continue;
            }
            let (file, line, field) = locate(package, &sources, label);
            let mut d = Diagnostic::new(
                Code::CvrUnknownCandidate,
                format!(
                    "unrecognized candidate \"{label}\" appears {n} time(s) in the ballots of contest {}; give a candidate of that contest this name, id or alias (the aliases column of candidates.csv), or set the source's undeclared_write_in_label or overvote_label",
                    contest.id
                ),
            );
            d.file = file;
            d.line = line;
            d.field = field;
            found.push(d);
        }
        // Files as the package names them.
        for d in &mut found {
            if let Some(f) = &d.file
                && Path::new(f).is_relative()
                && !f.starts_with(&package.dir.display().to_string())
            {
                d.file = Some(package.dir.join(f).display().to_string());
            }
            if d.file.is_none() {
                d.file = sources.first().map(|_| package.election_toml.clone());
                d.line = sources.first().map(|s| s.line);
            }
        }
        let errors = found.iter().any(Diagnostic::is_error);
        diags.extend(found);
        all.push(RankedBallots {
            contest: cidx,
            ballots: set,
            undeclared_write_ins: uwi,
            withdrawn,
            errors,
        });
    }
    diags.sort();
    (all, diags)
}

/// Adds every ballot of `set` to `builder`; `names` renames numbered labels (`"1"` is
/// `names[0]`), as BLT and PrefLib files number their candidates.
fn merge(builder: &mut BallotSetBuilder, set: &BallotSet, names: Option<&[String]>) {
    let labels: Vec<psephos_rcv::Label> = set
        .labels
        .iter()
        .map(|l| {
            let renamed = names.and_then(|n| {
                l.trim().parse::<usize>().ok().filter(|&k| k >= 1).and_then(|k| n.get(k - 1))
            });
            builder.label(renamed.map_or(l.as_str(), String::as_str))
        })
        .collect();
    let precincts: Vec<u32> = set.precincts.iter().map(|p| builder.precinct(p)).collect();
    let batches: Vec<u32> = set.batches.iter().map(|b| builder.batch(b)).collect();
    let mut marks = Vec::new();
    for d in set.distinct() {
        marks.clear();
        marks.extend(
            set.marks(d).iter().map(|m| Mark { rank: m.rank, label: labels[m.label.0 as usize] }),
        );
        builder.add(&marks, d.count, precincts[d.precinct as usize], batches[d.batch as usize]);
    }
}

/// Where a label is first written among a contest's sources: for a generic CSV, its header cell
/// (line 1, field = the column number); for another text file, the first line that holds it.
fn locate(
    package: &Package,
    sources: &[&RankedSource],
    label: &str,
) -> (Option<String>, Option<u64>, Option<String>) {
    for s in sources {
        let (rel, generic) = match &s.kind {
            SourceKind::Cvr(c) => (
                c.file_path.clone().unwrap_or_default(),
                c.provider.as_deref() == Some("genericCsv"),
            ),
            SourceKind::Blt(p) | SourceKind::Preflib(p) => (p.clone(), false),
        };
        let path: PathBuf = package.dir.join(&rel);
        let shown = path.display().to_string();
        if generic {
            let header = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(&path)
                .ok()
                .and_then(|mut r| r.records().next().and_then(Result::ok));
            if let Some(h) = header
                && let Some(col) =
                    h.iter().position(|cell| cell.trim_start_matches('\u{feff}') == label)
            {
                return (Some(shown), Some(1), Some((col + 1).to_string()));
            }
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let text = String::from_utf8_lossy(&bytes);
        if let Some(i) = text.lines().position(|l| l.contains(label)) {
            return (Some(shown), Some(i as u64 + 1), Some("candidate".to_owned()));
        }
    }
    let first = sources.first();
    (
        first.map(|_| package.election_toml.clone()),
        first.map(|s| s.line),
        Some("contest".to_owned()),
    )
}
