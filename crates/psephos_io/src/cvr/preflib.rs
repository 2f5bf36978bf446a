//! PrefLib ordinal files: `.soi`, `.toi`, `.soc`, `.toc` (spec §10).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use psephos_model::{Code, Diagnostic};
use psephos_rcv::{BallotSetBuilder, Mark};

use super::BallotFile;

/// Reads a PrefLib ordinal file. Label `i` is alternative `i` (0-based), whose text is `i + 1`;
/// a `{…}` group puts its alternatives at one rank (an equal preference, not an overvote).
pub fn read_preflib(path: &Path) -> (BallotFile, Vec<Diagnostic>) {
    let file = path.display().to_string();
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    match std::fs::File::open(path) {
        Ok(f) => parse_preflib(std::io::BufReader::new(f), &file, ext.as_deref()),
        Err(e) => (
            BallotFile::default(),
            vec![
                Diagnostic::new(Code::CvrMissingFile, format!("cannot read the ballot file: {e}"))
                    .in_file(file),
            ],
        ),
    }
}

/// Reads a PrefLib file from a reader; `file` names it in diagnostics and `ext` (`soi`, `toc`, …)
/// gives the data type when the header does not.
pub fn parse_preflib<R: BufRead>(
    mut input: R,
    file: &str,
    ext: Option<&str>,
) -> (BallotFile, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let err =
        |line: u64, code: Code, msg: String| Diagnostic::new(code, msg).at(file.to_owned(), line);
    let mut header: HashMap<String, String> = HashMap::new();
    let mut names: HashMap<usize, String> = HashMap::new();
    let mut builder = BallotSetBuilder::new();
    let mut n: Option<usize> = None;
    let mut labels = Vec::new();
    let (mut voters, mut orders) = (0u64, 0u64);
    let mut has_ties = false;
    let mut incomplete = false;
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut data_started = false;
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                diags.push(
                    Diagnostic::new(
                        Code::CvrMissingFile,
                        format!("cannot read the ballot file: {e}"),
                    )
                    .in_file(file.to_owned()),
                );
                return (BallotFile::default(), diags);
            }
        }
        line_no += 1;
        let bytes =
            if line_no == 1 { buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buf) } else { &buf[..] };
        let Ok(text) = std::str::from_utf8(bytes) else {
            diags.push(err(line_no, Code::BallotFileSyntax, "the line is not UTF-8".into()));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(h) = text.strip_prefix('#') {
            if data_started {
                diags.push(err(
                    line_no,
                    Code::BallotFileSyntax,
                    "header lines must come before the data".into(),
                ));
                continue;
            }
            if let Some((key, value)) = h.split_once(':') {
                let key = key.trim().to_uppercase();
                let value = value.trim().to_owned();
                if let Some(k) =
                    key.strip_prefix("ALTERNATIVE NAME ").and_then(|k| k.trim().parse().ok())
                {
                    names.insert(k, value);
                } else {
                    header.insert(key, value);
                }
            }
            continue;
        }
        if !data_started {
            data_started = true;
            match header.get("NUMBER ALTERNATIVES").map(|v| v.parse::<usize>()) {
                Some(Ok(k)) if k <= super::MAX_CANDIDATES => {
                    n = Some(k);
                    labels = (1..=k).map(|i| builder.label(&i.to_string())).collect();
                }
                _ => {
                    diags.push(err(
                        line_no,
                        Code::BallotFileSyntax,
                        format!(
                            "the header has no NUMBER ALTERNATIVES (a whole number up to {})",
                            super::MAX_CANDIDATES
                        ),
                    ));
                    return (BallotFile::default(), diags);
                }
            }
        }
        let n = n.unwrap_or(0);
        let Some((count, order)) = text.split_once(':') else {
            diags.push(err(
                line_no,
                Code::BallotFileSyntax,
                format!("expected \"count: order\", found \"{text}\""),
            ));
            continue;
        };
        let Ok(count) = count.trim().parse::<u64>() else {
            diags.push(err(
                line_no,
                Code::BallotFileSyntax,
                format!("the count \"{}\" is not a whole number", count.trim()),
            ));
            continue;
        };
        match parse_order(order, n) {
            Ok(groups) => {
                has_ties |= groups.iter().any(|g| g.len() > 1);
                let ranked: usize = groups.iter().map(Vec::len).sum();
                incomplete |= ranked < n;
                let marks: Vec<Mark> = groups
                    .iter()
                    .enumerate()
                    .flat_map(|(i, g)| g.iter().map(move |&a| (i, a)))
                    .map(|(i, a)| Mark { rank: i as u32 + 1, label: labels[a] })
                    .collect();
                let Some(v) = voters.checked_add(count) else {
                    diags.push(err(
                        line_no,
                        Code::BallotFileSyntax,
                        format!("the counts add up past {}", u64::MAX),
                    ));
                    continue;
                };
                builder.add(&marks, count, 0, 0);
                voters = v;
                orders += 1;
            }
            Err((code, msg)) => diags.push(err(line_no, code, msg)),
        }
    }
    let Some(n) = n else {
        diags.push(
            Diagnostic::new(Code::BallotFileSyntax, "the file has no orders")
                .in_file(file.to_owned()),
        );
        return (BallotFile::default(), diags);
    };
    let warn =
        |msg: String| Diagnostic::new(Code::BallotFileMismatch, msg).in_file(file.to_owned());
    for (key, actual) in [("NUMBER VOTERS", voters), ("NUMBER UNIQUE ORDERS", orders)] {
        if let Some(v) = header.get(key)
            && v.parse::<u64>().ok() != Some(actual)
        {
            diags.push(warn(format!("{key} is {v}, but the file holds {actual}")));
        }
    }
    let kind = header
        .get("DATA TYPE")
        .map(|t| t.to_lowercase())
        .or_else(|| ext.map(str::to_owned))
        .unwrap_or_default();
    if has_ties && matches!(kind.as_str(), "soi" | "soc") {
        diags.push(warn(format!("a strict-order file ({kind}) has tied alternatives")));
    }
    if incomplete && matches!(kind.as_str(), "soc" | "toc") {
        diags.push(warn(format!(
            "a complete-order file ({kind}) has orders that leave alternatives out"
        )));
    }
    let mut candidates = Vec::with_capacity(n);
    let mut unnamed = 0;
    for k in 1..=n {
        candidates.push(names.get(&k).cloned().unwrap_or_else(|| {
            unnamed += 1;
            k.to_string()
        }));
    }
    if unnamed > 0 {
        diags.push(warn(format!(
            "{unnamed} alternatives have no ALTERNATIVE NAME; their numbers stand for them"
        )));
    }
    let title = header.get("TITLE").filter(|t| !t.is_empty()).cloned();
    (
        BallotFile {
            ballots: builder.build(),
            candidates,
            seats: None,
            title,
            withdrawn: Vec::new(),
            tie_order: None,
        },
        diags,
    )
}

/// An order such as `1, {4, 3}, 2` as rank groups of 0-based alternatives.
fn parse_order(order: &str, n: usize) -> Result<Vec<Vec<usize>>, (Code, String)> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut seen = vec![false; n];
    let mut group: Option<Vec<usize>> = None;
    let mut num = String::new();
    let mut push =
        |num: &mut String, group: &mut Option<Vec<usize>>, groups: &mut Vec<Vec<usize>>| {
            let t = num.trim();
            if t.is_empty() {
                return Ok(());
            }
            let a = t.parse::<usize>().ok().filter(|a| (1..=n).contains(a)).ok_or_else(|| {
                (Code::BallotFileCandidate, format!("\"{t}\" is not an alternative (1 to {n})"))
            })?;
            if std::mem::replace(&mut seen[a - 1], true) {
                return Err((
                    Code::BallotFileCandidate,
                    format!("alternative {a} appears twice in the order"),
                ));
            }
            num.clear();
            match group {
                Some(g) => g.push(a - 1),
                None => groups.push(vec![a - 1]),
            }
            Ok(())
        };
    for c in order.chars() {
        match c {
            '{' if group.is_none() => {
                push(&mut num, &mut group, &mut groups)?;
                group = Some(Vec::new());
            }
            '}' if group.is_some() => {
                push(&mut num, &mut group, &mut groups)?;
                if let Some(g) = group.take().filter(|g| !g.is_empty()) {
                    groups.push(g);
                }
            }
            ',' => push(&mut num, &mut group, &mut groups)?,
            '{' | '}' => {
                return Err((
                    Code::BallotFileSyntax,
                    format!("unbalanced braces in \"{}\"", order.trim()),
                ));
            }
            c => num.push(c),
        }
    }
    if group.is_some() {
        return Err((
            Code::BallotFileSyntax,
            format!("a {{ is not closed in \"{}\"", order.trim()),
        ));
    }
    push(&mut num, &mut group, &mut groups)?;
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cvr::test_support::rankings;

    const SOI: &str = "# FILE NAME: 00001-00000002.soi\n# TITLE: 2002 Dublin West\n# DESCRIPTION:\n\
        # DATA TYPE: soi\n# NUMBER ALTERNATIVES: 3\n# NUMBER VOTERS: 1178\n# NUMBER UNIQUE ORDERS: 3\n\
        # ALTERNATIVE NAME 1: Robert Bonnie G.P.\n# ALTERNATIVE NAME 2: Joan Burton Lab.\n\
        # ALTERNATIVE NAME 3: Deirdre Doherty Ryan F.F.\n621: 3,1,2\n555: 3, 1\n2: 2\n";

    #[test]
    fn strict_incomplete_orders() {
        let (f, diags) = parse_preflib(SOI.as_bytes(), "x.soi", Some("soi"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.title.as_deref(), Some("2002 Dublin West"));
        assert_eq!(f.candidates[1], "Joan Burton Lab.");
        assert_eq!(f.ballots.total(), 1178);
        assert_eq!(rankings(&f.ballots)[0], ("1:3 2:1 3:2".to_owned(), 621));
        assert_eq!(rankings(&f.ballots)[1], ("1:3 2:1".to_owned(), 555));
    }

    #[test]
    fn ties_counts_and_errors() {
        let text = "# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 4\n# NUMBER VOTERS: 30\n\
                    13: 1, {4, 3}, 2\n9: 3,{1,2,4}\n1: 5\n2: 1,1\n3: {1,2\n";
        let (f, diags) = parse_preflib(text.as_bytes(), "x.toi", None);
        assert_eq!(rankings(&f.ballots)[0], ("1:1 2:4=3 3:2".to_owned(), 13));
        assert_eq!(rankings(&f.ballots)[1], ("1:3 2:1=2=4".to_owned(), 9));
        let codes: Vec<_> = diags.iter().map(|d| (d.code.as_str(), d.line)).collect();
        assert_eq!(
            codes,
            [
                ("E521", Some(6)),
                ("E521", Some(7)),
                ("E520", Some(8)),
                ("W522", None),
                ("W522", None)
            ],
            "{diags:?}"
        );
        let (_, diags) = parse_preflib(&b"1: 1\n"[..], "x.soi", None);
        assert_eq!(diags[0].code, Code::BallotFileSyntax);
    }
}
