//! One entry of an RCTab config's `cvrFileSources`, and its validation (RCTab's `ContestConfig`).

use std::path::{Path, PathBuf};

use psephos_model::{Code, Diagnostic};
use serde::{Deserialize, Deserializer};

/// A CVR source as RCTab's config writes it. Every setting is kept as text, because RCTab writes
/// numbers as strings but Jackson also reads JSON numbers and booleans; a missing key and `""` both
/// mean "not set". Unknown keys are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CvrSource {
    #[serde(deserialize_with = "text")]
    pub provider: Option<String>,
    #[serde(deserialize_with = "text")]
    pub file_path: Option<String>,
    #[serde(deserialize_with = "text")]
    pub contest_id: Option<String>,
    #[serde(deserialize_with = "text")]
    pub first_vote_column_index: Option<String>,
    #[serde(deserialize_with = "text")]
    pub first_vote_row_index: Option<String>,
    #[serde(deserialize_with = "text")]
    pub id_column_index: Option<String>,
    #[serde(deserialize_with = "text")]
    pub precinct_column_index: Option<String>,
    #[serde(deserialize_with = "text")]
    pub batch_column_index: Option<String>,
    #[serde(deserialize_with = "text")]
    pub overvote_delimiter: Option<String>,
    #[serde(deserialize_with = "text")]
    pub overvote_label: Option<String>,
    /// Called `undervoteLabel` before RCTab 2.0.
    #[serde(deserialize_with = "text", alias = "undervoteLabel")]
    pub skipped_rank_label: Option<String>,
    #[serde(deserialize_with = "text")]
    pub undeclared_write_in_label: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub treat_blank_as_undeclared_write_in: bool,
}

/// The CVR formats RCTab reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    Ess,
    Dominion,
    Hart,
    ClearBallot,
    Cdf,
    GenericCsv,
}

impl Provider {
    /// The provider named as RCTab names it (exact, case-sensitive).
    pub fn from_name(name: &str) -> Option<Provider> {
        Some(match name {
            "ess" => Provider::Ess,
            "dominion" => Provider::Dominion,
            "hart" => Provider::Hart,
            "clearBallot" => Provider::ClearBallot,
            "cdf" => Provider::Cdf,
            "genericCsv" => Provider::GenericCsv,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::Ess => "ess",
            Provider::Dominion => "dominion",
            Provider::Hart => "hart",
            Provider::ClearBallot => "clearBallot",
            Provider::Cdf => "cdf",
            Provider::GenericCsv => "genericCsv",
        }
    }

    fn has_contest_id(self) -> bool {
        !matches!(self, Provider::Ess | Provider::GenericCsv)
    }

    fn has_columns(self) -> bool {
        matches!(self, Provider::Ess | Provider::GenericCsv)
    }
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            Some(v.to_string())
        }
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a string or a number, found {other}"
            )));
        }
    })
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(serde_json::Value::String(s)) if s.eq_ignore_ascii_case("false") || s.is_empty() => {
            false
        }
        Some(other) => {
            return Err(serde::de::Error::custom(format!("expected true or false, found {other}")));
        }
    })
}

/// A source's settings, checked: indices 0-based, blank strings gone.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) provider: Provider,
    pub(crate) path: PathBuf,
    /// The path as the config gives it, for diagnostics.
    pub(crate) display: String,
    pub(crate) contest_id: String,
    pub(crate) first_col: usize,
    pub(crate) first_row: usize,
    pub(crate) id_col: Option<usize>,
    pub(crate) precinct_col: Option<usize>,
    pub(crate) batch_col: Option<usize>,
    pub(crate) overvote_delimiter: Option<String>,
    pub(crate) overvote_label: Option<String>,
    /// `""` when not set: RCTab then reads an empty cell as a skipped rank.
    pub(crate) skipped_rank_label: String,
    pub(crate) uwi_label: Option<String>,
    pub(crate) treat_blank_as_uwi: bool,
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

impl CvrSource {
    /// Checks the source as RCTab's config validation does; `None` when it cannot be read.
    pub(crate) fn settings(
        &self,
        base_dir: &Path,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Settings> {
        let before = diags.iter().filter(|d| d.is_error()).count();
        let display = set(&self.file_path).unwrap_or("").to_owned();
        let mut bad = |field: &str, msg: String| {
            let mut d = Diagnostic::new(Code::CvrConfig, msg).field(field);
            if !display.is_empty() {
                d = d.in_file(display.clone());
            }
            diags.push(d);
        };
        let provider = match set(&self.provider) {
            None => {
                bad(
                    "provider",
                    "no provider; use ess, dominion, hart, clearBallot, cdf or genericCsv".into(),
                );
                None
            }
            Some(p) => {
                let found = Provider::from_name(p);
                if found.is_none() {
                    bad(
                        "provider",
                        format!(
                            "unknown provider \"{p}\"; use ess, dominion, hart, clearBallot, cdf or genericCsv (exact case)"
                        ),
                    );
                }
                found
            }
        };
        if display.is_empty() {
            bad(
                "filePath",
                "no filePath; give the CVR file (or folder) relative to the config".into(),
            );
        }
        let provider = provider?;
        let pname = provider.name();

        let contest_id = set(&self.contest_id).unwrap_or("").to_owned();
        if provider.has_contest_id() && contest_id.is_empty() {
            bad("contestId", format!("provider {pname} needs a contestId"));
        } else if !provider.has_contest_id() && !contest_id.is_empty() {
            bad("contestId", format!("provider {pname} does not take a contestId; leave it empty"));
        }

        let mut index = |field: &str,
                         v: &Option<String>,
                         max: u32,
                         required: bool|
         -> Option<usize> {
            match set(v) {
                None if required && provider.has_columns() => {
                    bad(
                        field,
                        format!("provider {pname} needs {field} (a whole number from 1 to {max})"),
                    );
                    None
                }
                None => None,
                Some(s) if !provider.has_columns() => {
                    bad(
                        field,
                        format!("provider {pname} does not take {field} (\"{s}\"); leave it empty"),
                    );
                    None
                }
                Some(s) => match s.trim().parse::<u32>() {
                    Ok(n) if (1..=max).contains(&n) => Some(n as usize - 1),
                    _ => {
                        bad(
                            field,
                            format!("{field} \"{s}\" is not a whole number from 1 to {max}"),
                        );
                        None
                    }
                },
            }
        };
        let first_col = index("firstVoteColumnIndex", &self.first_vote_column_index, 1000, true);
        let first_row = index("firstVoteRowIndex", &self.first_vote_row_index, 100_000, true);
        let id_col = index("idColumnIndex", &self.id_column_index, 1000, false);
        let precinct_col = index("precinctColumnIndex", &self.precinct_column_index, 1000, false);
        let batch_col = index("batchColumnIndex", &self.batch_column_index, 1000, false);

        let overvote_label = set(&self.overvote_label).map(str::to_owned);
        let overvote_delimiter = self.overvote_delimiter.clone().filter(|s| !s.is_empty());
        if let Some(d) = &overvote_delimiter
            && provider == Provider::Ess
        {
            if d.contains('\\') {
                bad("overvoteDelimiter", format!("overvoteDelimiter \"{d}\" may not contain \\"));
            } else if d
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".',-\"".contains(c) || c.is_whitespace())
            {
                bad(
                    "overvoteDelimiter",
                    format!(
                        "overvoteDelimiter \"{d}\" is made only of characters that names contain; use a symbol such as |"
                    ),
                );
            }
            if overvote_label.is_some() {
                bad(
                    "overvoteDelimiter",
                    "give an overvoteDelimiter or an overvoteLabel, not both".into(),
                );
            }
        }
        if self.treat_blank_as_undeclared_write_in && provider != Provider::Ess {
            bad(
                "treatBlankAsUndeclaredWriteIn",
                format!("treatBlankAsUndeclaredWriteIn applies to provider ess only, not {pname}"),
            );
        }
        let skipped_rank_label = set(&self.skipped_rank_label).unwrap_or("").to_owned();
        let uwi_label = set(&self.undeclared_write_in_label).map(str::to_owned);
        let labels = [
            ("overvoteLabel", overvote_label.as_deref()),
            ("skippedRankLabel", Some(skipped_rank_label.as_str()).filter(|s| !s.is_empty())),
            ("undeclaredWriteInLabel", uwi_label.as_deref()),
        ];
        for (i, (fa, a)) in labels.iter().enumerate() {
            for (fb, b) in &labels[i + 1..] {
                if let (Some(a), Some(b)) = (a, b)
                    && a.eq_ignore_ascii_case(b)
                {
                    bad(fb, format!("{fb} \"{b}\" equals {fa} \"{a}\"; the labels must differ"));
                }
            }
        }
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let warn = |field: &str, what: &str| {
            Diagnostic::new(Code::CvrSetting, format!("{what} is ignored by provider {pname}"))
                .in_file(display.clone())
                .field(field)
        };
        if overvote_delimiter.is_some() && provider != Provider::Ess {
            diags.push(warn("overvoteDelimiter", "overvoteDelimiter"));
        }
        if !skipped_rank_label.is_empty() && provider != Provider::Ess {
            diags.push(warn("skippedRankLabel", "skippedRankLabel"));
        }
        if errors > before {
            return None;
        }
        Some(Settings {
            provider,
            path: base_dir.join(&display),
            display,
            contest_id,
            first_col: first_col.unwrap_or(0),
            first_row: first_row.unwrap_or(0),
            id_col,
            precinct_col,
            batch_col,
            overvote_delimiter,
            overvote_label,
            skipped_rank_label,
            uwi_label,
            treat_blank_as_uwi: self.treat_blank_as_undeclared_write_in,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_numbers_and_old_keys() {
        let s: CvrSource = serde_json::from_str(
            r#"{"provider":"ess","filePath":"a.xlsx","firstVoteColumnIndex":3,"firstVoteRowIndex":"2",
                "undervoteLabel":"undervote","treatBlankAsUndeclaredWriteIn":"true","somethingNew":[1]}"#,
        )
        .unwrap();
        assert_eq!(s.first_vote_column_index.as_deref(), Some("3"));
        assert_eq!(s.skipped_rank_label.as_deref(), Some("undervote"));
        assert!(s.treat_blank_as_undeclared_write_in);
        let mut diags = Vec::new();
        let st = s.settings(Path::new("/cfg"), &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!((st.first_col, st.first_row), (2, 1));
        assert_eq!(st.path, Path::new("/cfg/a.xlsx"));
    }

    #[test]
    fn reports_every_invalid_setting() {
        let s: CvrSource = serde_json::from_str(
            r#"{"provider":"ess","filePath":"a.xlsx","contestId":"1","firstVoteColumnIndex":"0",
                "overvoteDelimiter":"a b","overvoteLabel":"X","undeclaredWriteInLabel":"x"}"#,
        )
        .unwrap();
        let mut diags = Vec::new();
        assert!(s.settings(Path::new("."), &mut diags).is_none());
        let fields: Vec<_> = diags.iter().map(|d| d.field.clone().unwrap_or_default()).collect();
        assert_eq!(
            fields,
            [
                "contestId",
                "firstVoteColumnIndex",
                "firstVoteRowIndex",
                "overvoteDelimiter",
                "overvoteDelimiter",
                "undeclaredWriteInLabel"
            ]
        );
        let s: CvrSource = serde_json::from_str(r#"{"provider":"Ess"}"#).unwrap();
        let mut diags = Vec::new();
        assert!(s.settings(Path::new("."), &mut diags).is_none());
        assert_eq!(diags.len(), 2);
    }
}
