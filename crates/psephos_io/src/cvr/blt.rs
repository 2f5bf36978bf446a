//! BLT ballot files (OpenSTV/ERS, with Droop's and stv-rs's extensions; spec §9).
//!
//! The file is read line by line: the header, options and ballots as a stream of tokens (a
//! ballot ends at its `0`, wherever the line breaks), then the names and title line by line,
//! because scot-elex files write them unquoted, one per line.

use std::io::BufRead;
use std::path::Path;

use psephos_model::{Code, Diagnostic};
use psephos_rcv::{BallotSetBuilder, Label, Mark};

use super::BallotFile;

/// Reads a BLT file. Ballot labels are candidate numbers: label `i` is candidate `i` (0-based),
/// whose text is `i + 1`. Withdrawn candidates are removed from the ballots, as Droop and stv-rs
/// do, and listed in [`BallotFile::withdrawn`].
pub fn read_blt(path: &Path) -> (BallotFile, Vec<Diagnostic>) {
    let file = path.display().to_string();
    match std::fs::File::open(path) {
        Ok(f) => parse_blt(std::io::BufReader::new(f), &file),
        Err(e) => (
            BallotFile::default(),
            vec![
                Diagnostic::new(Code::CvrMissingFile, format!("cannot read the ballot file: {e}"))
                    .in_file(file),
            ],
        ),
    }
}

/// A token and the line it is on.
struct Token {
    text: String,
    line: u64,
}

/// Splits lines into tokens, dropping `#` and `/* … */` comments outside quoted strings, and
/// keeps the comment text of `#` comments (names may hide there).
struct Lines<R> {
    input: R,
    line: u64,
    in_block_comment: bool,
    buf: Vec<u8>,
    bad_utf8: bool,
}

/// One line without its comments, and the text of its `#` comment.
struct Line {
    number: u64,
    content: String,
    comment: Option<String>,
}

impl<R: BufRead> Lines<R> {
    fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        self.buf.clear();
        if self.input.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(None);
        }
        self.line += 1;
        let mut bytes: &[u8] = &self.buf;
        if self.line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t.to_owned(),
            Err(_) => {
                self.bad_utf8 = true;
                String::from_utf8_lossy(bytes).into_owned()
            }
        };
        let text = text.trim_end_matches(['\n', '\r']);
        let mut content = String::with_capacity(text.len());
        let mut comment = None;
        let mut in_quote = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if self.in_block_comment {
                if c == '*' && chars.peek().is_some_and(|&(_, n)| n == '/') {
                    chars.next();
                    self.in_block_comment = false;
                }
                continue;
            }
            match c {
                '"' => {
                    in_quote = !in_quote;
                    content.push(c);
                }
                '#' if !in_quote => {
                    comment = Some(text[i + 1..].to_owned());
                    break;
                }
                '/' if !in_quote && chars.peek().is_some_and(|&(_, n)| n == '*') => {
                    chars.next();
                    self.in_block_comment = true;
                }
                _ => content.push(c),
            }
        }
        Ok(Some(Line { number: self.line, content, comment }))
    }
}

/// The parser's state between lines.
struct Blt {
    file: String,
    diags: Vec<Diagnostic>,
    candidates: usize,
    seats: Option<u32>,
    nicks: Vec<String>,
    withdrawn: Vec<usize>,
    tie_order: Option<Vec<usize>>,
    builder: BallotSetBuilder,
    labels: Vec<Label>,
    /// Total weight so far: the ballot set counts in `u64`.
    total: u64,
    /// Ballots ranking no one, as written.
    empty: u64,
    /// Ballots left empty once withdrawn candidates are removed (dropped).
    emptied: u64,
    skipped_rank_warned: bool,
}

impl Blt {
    fn error(&mut self, line: u64, code: Code, msg: String) {
        self.diags.push(Diagnostic::new(code, msg).at(self.file.clone(), line));
    }

    fn warn(&mut self, line: Option<u64>, msg: String) {
        let mut d = Diagnostic::new(Code::BallotFileMismatch, msg).in_file(self.file.clone());
        d.line = line;
        self.diags.push(d);
    }

    /// A candidate written as a number (always accepted) or a nickname; 0-based.
    fn candidate(&self, tok: &str) -> Option<usize> {
        if let Ok(n) = tok.parse::<usize>() {
            return (1..=self.candidates).contains(&n).then(|| n - 1);
        }
        self.nicks.iter().position(|n| n == tok)
    }

    /// An option `[name args…]`.
    fn option(&mut self, line: u64, words: &[String]) {
        let Some((name, args)) = words.split_first() else { return };
        match name.as_str() {
            "nick" => {
                let unique =
                    args.iter().collect::<std::collections::HashSet<_>>().len() == args.len();
                if args.len() != self.candidates || !unique {
                    let msg = format!(
                        "[nick] must give {} different nicknames, one per candidate; it gives {}",
                        self.candidates,
                        args.len()
                    );
                    self.error(line, Code::BallotFileSyntax, msg);
                } else {
                    self.nicks = args.to_vec();
                }
            }
            "withdrawn" => {
                for a in args {
                    match self.candidate(a) {
                        Some(c) if !self.withdrawn.contains(&c) => self.withdrawn.push(c),
                        Some(_) => {}
                        None => self.error(
                            line,
                            Code::BallotFileCandidate,
                            format!("[withdrawn] names an unknown candidate \"{a}\""),
                        ),
                    }
                }
            }
            "tie" => {
                let mut seen: Vec<usize> = args.iter().filter_map(|a| self.candidate(a)).collect();
                seen.sort_unstable();
                seen.dedup();
                if seen.len() != self.candidates || args.len() != self.candidates {
                    self.error(
                        line,
                        Code::BallotFileSyntax,
                        "[tie] must list each candidate exactly once".into(),
                    );
                } else {
                    self.tie_order = Some(args.iter().filter_map(|a| self.candidate(a)).collect());
                }
            }
            "droop" => {}
            other => self.warn(Some(line), format!("unknown option [{other}] is ignored")),
        }
    }

    /// One ballot: weight and rank tokens, without the closing `0`.
    fn ballot(&mut self, weight: &Token, ranks: &[Token]) {
        let count = if weight.text.starts_with('(') {
            1 // Droop's ballot id instead of a weight.
        } else {
            match weight.text.parse::<u64>() {
                Ok(w) => w,
                Err(_) => {
                    let msg = format!("ballot weight \"{}\" is not a whole number", weight.text);
                    self.error(weight.line, Code::BallotFileSyntax, msg);
                    return;
                }
            }
        };
        let Some(total) = self.total.checked_add(count) else {
            let msg = format!(
                "ballot weight {count} brings the total past {}; the ballot is left out",
                u64::MAX
            );
            self.error(weight.line, Code::BallotFileSyntax, msg);
            return;
        };
        // Rank groups: None for a skipped rank (`-`).
        let mut groups: Vec<Option<Vec<usize>>> = Vec::with_capacity(ranks.len());
        let mut seen = vec![false; self.candidates];
        for tok in ranks {
            if tok.text == "-" {
                if !self.skipped_rank_warned {
                    self.skipped_rank_warned = true;
                    self.warn(Some(tok.line), "\"-\" is read as a skipped rank".into());
                }
                groups.push(None);
                continue;
            }
            let mut group = Vec::new();
            for part in tok.text.split('=') {
                let Some(c) = self.candidate(part) else {
                    let msg = format!(
                        "\"{part}\" is not a candidate (1 to {} or a nickname)",
                        self.candidates
                    );
                    self.error(tok.line, Code::BallotFileCandidate, msg);
                    return;
                };
                if std::mem::replace(&mut seen[c], true) {
                    let msg = format!("candidate {} appears twice on this ballot", c + 1);
                    self.error(tok.line, Code::BallotFileCandidate, msg);
                    return;
                }
                group.push(c);
            }
            groups.push(Some(group));
        }
        if groups.is_empty() {
            self.empty += count;
        } else if !self.withdrawn.is_empty() {
            for g in groups.iter_mut().flatten() {
                g.retain(|c| !self.withdrawn.contains(c));
            }
            groups.retain(|g| g.as_ref().is_none_or(|g| !g.is_empty()));
            if groups.iter().all(Option::is_none) {
                self.emptied += count;
                return;
            }
        }
        self.total = total;
        let mut marks = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            for &c in g.iter().flatten() {
                marks.push(Mark { rank: i as u32 + 1, label: self.labels[c] });
            }
        }
        self.builder.add(&marks, count, 0, 0);
    }
}

/// Reads a BLT file from a reader; `file` names it in diagnostics.
pub fn parse_blt<R: BufRead>(input: R, file: &str) -> (BallotFile, Vec<Diagnostic>) {
    let mut lines =
        Lines { input, line: 0, in_block_comment: false, buf: Vec::new(), bad_utf8: false };
    let mut p = Blt {
        file: file.to_owned(),
        diags: Vec::new(),
        candidates: 0,
        seats: None,
        nicks: Vec::new(),
        withdrawn: Vec::new(),
        tie_order: None,
        builder: BallotSetBuilder::new(),
        labels: Vec::new(),
        total: 0,
        empty: 0,
        emptied: 0,
        skipped_rank_warned: false,
    };
    let io_error = |p: &mut Blt, e: std::io::Error| {
        p.diags.push(
            Diagnostic::new(Code::CvrMissingFile, format!("cannot read the ballot file: {e}"))
                .in_file(p.file.clone()),
        );
    };

    // Header, options and ballots, as tokens.
    #[derive(PartialEq)]
    enum State {
        Header,
        Options,
        Ballots,
    }
    let mut state = State::Header;
    let mut header: Vec<Token> = Vec::new();
    let mut option: Option<(u64, Vec<String>)> = None;
    let mut weight: Option<Token> = None;
    let mut ranks: Vec<Token> = Vec::new();
    // What follows the end of the ballots on the same line.
    let mut rest: Option<Line> = None;
    let mut ended = false;
    while !ended {
        let line = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                io_error(&mut p, e);
                return (BallotFile::default(), p.diags);
            }
        };
        let mut words = line.content.split_whitespace().peekable();
        while let Some(w) = words.next() {
            let tok = Token { text: w.to_owned(), line: line.number };
            if state == State::Header {
                header.push(tok);
                if header.len() == 2 {
                    match (header[0].text.parse::<usize>(), header[1].text.parse::<u32>()) {
                        (Ok(c), Ok(s)) if c <= super::MAX_CANDIDATES => {
                            p.candidates = c;
                            p.seats = Some(s);
                            p.labels = (1..=c).map(|i| p.builder.label(&i.to_string())).collect();
                            state = State::Options;
                        }
                        _ => {
                            let msg = format!(
                                "the header must be the number of candidates (at most {}) and of seats, found \"{} {}\"",
                                super::MAX_CANDIDATES,
                                header[0].text,
                                header[1].text
                            );
                            p.error(header[0].line, Code::BallotFileSyntax, msg);
                            return (BallotFile::default(), p.diags);
                        }
                    }
                }
                continue;
            }
            if let Some((start, words_so_far)) = option.as_mut() {
                let done = tok.text.ends_with(']');
                let t = tok.text.trim_end_matches(']');
                if !t.is_empty() {
                    words_so_far.push(t.to_owned());
                }
                if done {
                    let (start, w) = (*start, std::mem::take(words_so_far));
                    option = None;
                    p.option(start, &w);
                }
                continue;
            }
            if state == State::Options {
                if let Some(body) = tok.text.strip_prefix('[') {
                    let done = body.ends_with(']');
                    let t = body.trim_end_matches(']');
                    let first = if t.is_empty() { Vec::new() } else { vec![t.to_owned()] };
                    if done {
                        p.option(tok.line, &first);
                    } else {
                        option = Some((tok.line, first));
                    }
                    continue;
                }
                if let Some(k) = tok.text.strip_prefix('-').and_then(|k| k.parse::<usize>().ok()) {
                    if (1..=p.candidates).contains(&k) {
                        if !p.withdrawn.contains(&(k - 1)) {
                            p.withdrawn.push(k - 1);
                        }
                    } else {
                        p.error(
                            tok.line,
                            Code::BallotFileCandidate,
                            format!("withdrawn candidate {k} does not exist"),
                        );
                    }
                    continue;
                }
                state = State::Ballots;
            }
            // Ballots.
            match &weight {
                None if tok.text == "0" => {
                    ended = true;
                    let remaining: Vec<&str> = words.by_ref().collect();
                    if !remaining.is_empty() {
                        rest = Some(Line {
                            number: line.number,
                            content: remaining.join(" "),
                            comment: None,
                        });
                    }
                    break;
                }
                None => weight = Some(tok),
                Some(w)
                    if w.text.starts_with('(') && !w.text.ends_with(')') && ranks.is_empty() =>
                {
                    // A ballot id may span tokens up to its `)`.
                    if tok.text.ends_with(')') {
                        weight = Some(Token { text: "()".into(), line: w.line });
                    }
                }
                Some(_) if tok.text == "0" => {
                    if let Some(w) = weight.take() {
                        p.ballot(&w, &ranks);
                    }
                    ranks.clear();
                }
                Some(_) => ranks.push(tok),
            }
        }
    }
    if lines.bad_utf8 {
        p.warn(None, "the file is not valid UTF-8; invalid bytes were replaced".into());
    }
    if !ended {
        let line = lines.line.max(1);
        let msg = if state == State::Header {
            "the file ends before its header (candidates and seats)".to_owned()
        } else if weight.is_some() {
            "the file ends inside a ballot: a ballot must end with 0".to_owned()
        } else {
            "the file ends before the 0 that ends the ballots".to_owned()
        };
        p.error(line, Code::BallotFileSyntax, msg);
        return (BallotFile::default(), p.diags);
    }

    // Names and title: quoted strings or whole unquoted lines, in order.
    let mut entries: Vec<String> = Vec::new();
    let mut comment_names: Vec<(usize, String)> = Vec::new();
    let mut last_line = lines.line;
    let mut take = |line: &Line, entries: &mut Vec<String>| {
        let content = line.content.trim();
        if content.starts_with('"') {
            entries.extend(quoted_strings(content));
        } else if !content.is_empty() {
            entries.push(content.to_owned());
        }
        if let Some(c) = &line.comment
            && let Some((k, name)) =
                c.trim().strip_prefix("ALTERNATIVE NAME ").and_then(|r| r.split_once(':'))
            && let Ok(k) = k.trim().parse::<usize>()
        {
            comment_names.push((k, name.trim().to_owned()));
        }
    };
    if let Some(l) = &rest {
        take(l, &mut entries);
    }
    loop {
        match lines.next_line() {
            Ok(Some(l)) => {
                last_line = l.number;
                take(&l, &mut entries);
            }
            Ok(None) => break,
            Err(e) => {
                io_error(&mut p, e);
                return (BallotFile::default(), p.diags);
            }
        }
    }
    let c = p.candidates;
    let (candidates, title) = if entries.len() >= c {
        let title = entries.get(c).cloned();
        entries.truncate(c);
        (entries, title)
    } else {
        comment_names.sort_by_key(|(k, _)| *k);
        let from_comments: Vec<String> = comment_names.iter().map(|(_, n)| n.clone()).collect();
        if from_comments.len() == c
            && comment_names.iter().enumerate().all(|(i, (k, _))| *k == i + 1)
        {
            p.warn(
                None,
                "the candidates' names are taken from the # ALTERNATIVE NAME comments".into(),
            );
            (from_comments, entries.first().cloned())
        } else {
            let msg = format!("the file gives {} names for {c} candidates", entries.len());
            p.error(last_line.max(1), Code::BallotFileSyntax, msg);
            return (BallotFile::default(), p.diags);
        }
    };
    if p.empty > 0 {
        p.warn(
            None,
            format!(
                "{} ballots rank no one; they are kept, and the counting rule decides",
                p.empty
            ),
        );
    }
    if p.emptied > 0 {
        p.warn(
            None,
            format!("{} ballots ranked only withdrawn candidates and were removed", p.emptied),
        );
    }
    p.withdrawn.sort_unstable();
    let out = BallotFile {
        ballots: p.builder.build(),
        candidates,
        seats: p.seats,
        title,
        withdrawn: p.withdrawn,
        tie_order: p.tie_order,
    };
    (out, p.diags)
}

/// The quoted strings of a line, with `""` read as `"` (scot-elex writes names so).
fn quoted_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut cur = String::new();
        loop {
            match chars.next() {
                None => break,
                Some('"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cur.push('"');
                }
                Some('"') => break,
                Some(ch) => cur.push(ch),
            }
        }
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cvr::test_support::{conformance_dir, rankings};

    fn parse(text: &str) -> (BallotFile, Vec<Diagnostic>) {
        parse_blt(text.as_bytes(), "t.blt")
    }

    #[test]
    fn irish_dublin_west() {
        let path = conformance_dir().join("tabulation/irish_2002/DublinWest2002.blt");
        let (f, diags) = read_blt(&path);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.ballots.total(), 29_988);
        assert_eq!(f.ballots.distinct().len(), 10_335);
        assert_eq!(f.seats, Some(3));
        assert_eq!(f.candidates.len(), 9);
        assert_eq!(f.candidates[3], "Joe Higgins (SP)");
        assert_eq!(
            f.title.as_deref(),
            Some("DublinWest2002 Dail constituency (2002 e-voting pilot)")
        );
        // 621: 5,3,7 as in PrefLib.
        assert_eq!(rankings(&f.ballots)[0], ("1:5 2:3 3:7".to_owned(), 621));
    }

    #[test]
    fn nicknames_withdrawn_and_equal_ranks() {
        let path = conformance_dir().join("tabulation/stv_rs_meek/ballots/vegetables.blt");
        let (f, diags) = read_blt(&path);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.withdrawn, [1, 5]);
        assert_eq!(f.title.as_deref(), Some("Vegetable contest"));
        let r = rankings(&f.ballots);
        // "1 apple banana 0" loses banana; "2 banana cherry 0" keeps cherry, now first.
        assert_eq!(r[0], ("1:1".to_owned(), 1));
        assert_eq!(r[1], ("1:3".to_owned(), 2));

        let (f, diags) = parse("3 2\n3 1 0\n2 1=2 3 0\n1 3 1 0\n0\n\"A\"\n\"B\"\n\"C\"\n\"T\"\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(rankings(&f.ballots)[1], ("1:1=2 2:3".to_owned(), 2));
    }

    #[test]
    fn scot_elex_names() {
        let dir = conformance_dir().join("tabulation/scotland_blt_sample");
        let (f, diags) = read_blt(&dir.join("aberdeen_2017_ward12.blt"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.candidates[9], "Billy WATSON (NF)");
        assert_eq!(f.title.as_deref(), Some("Torry/Ferryhill Ward"));
        let (f, diags) = read_blt(&dir.join("fife_2022_ward1.blt"));
        assert!(diags.is_empty(), "{diags:?}");
        assert!(
            f.candidates.iter().any(|c| c == "Sam STEELE \"Scottish National Party (SNP)\""),
            "{:?}",
            f.candidates
        );
        assert_eq!(f.title.as_deref(), Some("Ward 1 - West Fife & Coastal Villages"));
        let (f, diags) = read_blt(&dir.join("glasgow_2007_govan.blt"));
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(f.candidates.len(), 11);
        assert_eq!(f.candidates[0], "Shaukat Butt (Lab)");
        assert_eq!(f.title.as_deref(), Some("govan"));
    }

    #[test]
    fn droop_test_files() {
        let dir = conformance_dir().join("tabulation/glasgow_2007_droop/blt");
        let (f, diags) = read_blt(&dir.join("SCw.blt"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.withdrawn, [3]);
        let (g, diags) = read_blt(&dir.join("SCwopt.blt"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(g.withdrawn, [3]);
        assert_eq!(f.ballots.total(), g.ballots.total());
        let (f, diags) = read_blt(&dir.join("42ubom.blt"));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(f.candidates, ["Cåstor", "Pøllüx", "Hélen"]);
        let (_, diags) = read_blt(&dir.join("mpls/undeclared.blt"));
        assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::BallotFileMismatch]);
    }

    #[test]
    fn every_local_blt_file_reads() {
        let root = conformance_dir().join("tabulation");
        let mut files = Vec::new();
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "blt") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 30, "{}", files.len());
        let mut errors = Vec::new();
        for f in &files {
            let (_, diags) = read_blt(f);
            errors.extend(diags.into_iter().filter(|d| d.is_error()).map(|d| d.to_string()));
        }
        // One file's weights add up past u64 (stv-rs counts in big integers; a ballot set
        // counts in u64).
        errors.retain(|e| !e.contains("ballot_sum_overflows"));
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn reports_bad_ballots_and_keeps_the_rest() {
        let (f, diags) =
            parse("3 1\n1 1 4 0\nx 1 0\n2 2 2 0\n1 3 0\n1 0\n0\n\"A\" \"B\" \"C\"\n\"T\"\n");
        let codes: Vec<_> = diags.iter().map(|d| (d.code.as_str(), d.line)).collect();
        assert_eq!(
            codes,
            [("E521", Some(2)), ("E520", Some(3)), ("E521", Some(4)), ("W522", None)],
            "{diags:?}"
        );
        assert_eq!(f.ballots.total(), 2);
        assert_eq!(f.candidates, ["A", "B", "C"]);
        let (_, diags) = parse("3 1\n1 1 2\n");
        assert_eq!(diags[0].code, Code::BallotFileSyntax);
        let (_, diags) = parse("3 x\n");
        assert_eq!(diags[0].code, Code::BallotFileSyntax);
    }
}
