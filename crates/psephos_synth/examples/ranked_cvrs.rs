//! Writes a synthetic ranked-choice election for benchmarks: RCTab generic CSV, NIST CDF JSON,
//! and RCTab contest configurations for an IRV and a 3-seat STV count of it.
//!
//! Usage: ranked_cvrs --ballots N [--candidates 10] [--max-ranks 5] [--seed 42] [--no-cdf] --out DIR

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufWriter, Write};
use std::path::Path;

use psephos_synth::ranked::{RankedConfig, ballots, names};

fn main() -> std::io::Result<()> {
    let mut config = RankedConfig { ballots: 1_000_000, candidates: 10, max_ranks: 5, seed: 42 };
    let mut out = None;
    let mut cdf = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "--ballots" => config.ballots = value().parse().unwrap_or(config.ballots),
            "--candidates" => config.candidates = value().parse().unwrap_or(config.candidates),
            "--max-ranks" => config.max_ranks = value().parse().unwrap_or(config.max_ranks),
            "--seed" => config.seed = value().parse().unwrap_or(config.seed),
            "--no-cdf" => cdf = false,
            "--out" => out = Some(value()),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!(
            "usage: ranked_cvrs --ballots N [--candidates C] [--max-ranks R] [--seed S] [--no-cdf] --out DIR"
        );
        std::process::exit(2);
    };
    let dir = Path::new(&out);
    std::fs::create_dir_all(dir)?;
    let names = names(config.candidates);
    write_csv(&dir.join("ballots.csv"), &config, &names)?;
    if cdf {
        write_cdf(&dir.join("ballots_cdf.json"), &config, &names)?;
    }
    for (provider, file, column) in
        [("genericCsv", "ballots.csv", "2"), ("cdf", "ballots_cdf.json", "")]
    {
        if provider == "cdf" && !cdf {
            continue;
        }
        for (kind, mode, seats) in [
            ("irv", "singleWinnerMajority", 1),
            ("stv", "multiWinnerAllowMultipleWinnersPerRound", 3),
        ] {
            let name = format!("{kind}_{provider}_config.json");
            std::fs::write(
                dir.join(name),
                rctab_config(provider, file, column, mode, seats, &names),
            )?;
        }
    }
    println!("wrote {} ballots to {}", config.ballots, dir.display());
    Ok(())
}

fn write_csv(path: &Path, config: &RankedConfig, names: &[String]) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    write!(w, "id")?;
    for n in names {
        write!(w, ",{n}")?;
    }
    writeln!(w)?;
    let mut cells = vec![0u32; names.len()];
    let mut line = String::new();
    for (i, b) in ballots(config, 0..config.ballots).enumerate() {
        cells.iter_mut().for_each(|c| *c = 0);
        for (rank, &c) in b.iter().enumerate() {
            cells[c as usize] = rank as u32 + 1;
        }
        line.clear();
        line.push_str(&(i + 1).to_string());
        for &c in &cells {
            line.push(',');
            if c > 0 {
                line.push_str(&c.to_string());
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

fn write_cdf(path: &Path, config: &RankedConfig, names: &[String]) -> std::io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    write!(w, "{{\"@type\":\"CVR.CastVoteRecordReport\",\"CVR\":[")?;
    for (i, b) in ballots(config, 0..config.ballots).enumerate() {
        if i > 0 {
            write!(w, ",")?;
        }
        write!(
            w,
            "{{\"@type\":\"CVR.CVR\",\"BallotPrePrintedId\":\"{n}\",\"CurrentSnapshotId\":\"s{n}\",\"CVRSnapshot\":[{{\"@id\":\"s{n}\",\"@type\":\"CVR.CVRSnapshot\",\"Type\":\"original\",\"CVRContest\":[{{\"@type\":\"CVR.CVRContest\",\"ContestId\":\"contest-1\",\"CVRContestSelection\":[",
            n = i + 1
        )?;
        for (rank, &c) in b.iter().enumerate() {
            if rank > 0 {
                write!(w, ",")?;
            }
            write!(
                w,
                "{{\"@type\":\"CVR.CVRContestSelection\",\"ContestSelectionId\":\"cs-{c}\",\"SelectionPosition\":[{{\"@type\":\"CVR.SelectionPosition\",\"HasIndication\":\"yes\",\"IsAllocable\":\"yes\",\"NumberVotes\":1,\"Rank\":{}}}]}}",
                rank + 1
            )?;
        }
        write!(w, "]}}]}}]}}")?;
    }
    write!(w, "],\"Election\":[{{\"@id\":\"election-1\",\"Candidate\":[")?;
    for (k, n) in names.iter().enumerate() {
        if k > 0 {
            write!(w, ",")?;
        }
        write!(w, "{{\"@id\":\"candidate-{k}\",\"Name\":\"{n}\"}}")?;
    }
    write!(
        w,
        "],\"Contest\":[{{\"@id\":\"contest-1\",\"@type\":\"CandidateContest\",\"Name\":\"Synthetic\",\"ContestSelection\":["
    )?;
    for k in 0..names.len() {
        if k > 0 {
            write!(w, ",")?;
        }
        write!(
            w,
            "{{\"@id\":\"cs-{k}\",\"@type\":\"CandidateSelection\",\"CandidateIds\":[\"candidate-{k}\"]}}"
        )?;
    }
    write!(
        w,
        "]}}],\"ElectionScopeId\":\"gpu-1\"}}],\"GpUnit\":[{{\"@id\":\"gpu-1\",\"Name\":\"Synthetic\",\"Type\":\"other\"}}],\"Version\":\"1.0.0\"}}"
    )?;
    w.flush()
}

fn rctab_config(
    provider: &str,
    file: &str,
    first_column: &str,
    mode: &str,
    seats: u32,
    names: &[String],
) -> String {
    let candidates: Vec<String> = names
        .iter()
        .map(|n| format!("{{\"name\": \"{n}\", \"aliases\": [], \"excluded\": false}}"))
        .collect();
    let cdf = provider == "cdf";
    let contest_id = if cdf { "Synthetic" } else { "" };
    // Spreadsheet settings belong to the CSV provider only.
    let (row, id) = if cdf { ("", "") } else { ("2", "1") };
    format!(
        r#"{{
  "tabulatorVersion": "2.0.1",
  "outputSettings": {{"contestName": "Synthetic", "outputDirectory": "output", "contestDate": "",
    "contestJurisdiction": "", "contestOffice": "", "tabulateByPrecinct": false,
    "tabulateByBatch": false, "generateCdfJson": false}},
  "cvrFileSources": [{{"filePath": "{file}", "provider": "{provider}", "contestId": "{contest_id}",
    "firstVoteColumnIndex": "{first_column}", "firstVoteRowIndex": "{row}", "idColumnIndex": "{id}",
    "precinctColumnIndex": "", "batchColumnIndex": "", "overvoteDelimiter": "",
    "overvoteLabel": "", "skippedRankLabel": "", "undeclaredWriteInLabel": "",
    "treatBlankAsUndeclaredWriteIn": false}}],
  "candidates": [{candidates}],
  "rules": {{"tiebreakMode": "useCandidateOrder", "overvoteRule": "alwaysSkipToNextRank",
    "winnerElectionMode": "{mode}", "randomSeed": "", "numberOfWinners": "{seats}",
    "decimalPlacesForVoteArithmetic": "4", "minimumVoteThreshold": "0",
    "maxSkippedRanksAllowed": "unlimited", "maxRankingsAllowed": "max",
    "nonIntegerWinningThreshold": false, "doesFirstRoundDetermineThreshold": false,
    "hareQuota": false, "batchElimination": false, "continueUntilTwoCandidatesRemain": false,
    "stopTabulationEarlyAfterRound": "", "exhaustOnDuplicateCandidate": false}}
}}
"#,
        candidates = candidates.join(", ")
    )
}
