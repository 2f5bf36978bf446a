//! `psephos forensics`: a pre-declared battery of forensic tests on station-level results, each
//! with its null model and assumptions, Holm-adjusted across the battery, with a regional
//! breakdown (Benjamini–Hochberg) of the integer-percentage test.

use psephos_forensics::Station;
use psephos_forensics::digits::{Count, LastDigit, last_digit};
use psephos_forensics::integer::{Criterion, Excess, Grid, Prepared, Weight};
use psephos_forensics::multiple::{benjamini_hochberg, holm};
use psephos_io::{StationColumns, StationRow, read_station_table};
use serde_json::{Value, json};

use crate::cli::{ForensicsArgs, ForensicsFormat};
use crate::output::diagnostics_text;
use crate::{Exit, eprint_lines};

const INTEGER_ASSUMPTIONS: &str = "Null: each station's ballots issued redrawn from Bin(registered, issued/registered) and its leader votes from Bin(found, leader/found), independently; denominators kept, so small or even denominators are part of the null. Stations included by Kobak et al.'s rule (ballots found, at least 100 registered, turnout and leader share at most 99 %). Integer: within 0.05 percentage points of a whole percentage. p-value: refined normal approximation to the exact Poisson-binomial. An excess shows that round percentages were reported more often than chance allows; it does not say where or why.";

/// The standard normal's 97.5 % quantile.
const Z95: f64 = 1.959_963_984_540_054;

const CI_INTEGER: &str = "95 % normal interval for the excess: observed − expected ± 1.96·sd, with the exact standard deviation of the Poisson-binomial null (the same sd as the z score); the observed count is taken as one draw from the null's spread.";

const CI_DIGITS: &str = "95 % Wilson score interval for the observed share of counts ending in 0 or 5, minus the expected share (exact under the calibrated null, so it carries no error of its own).";

const CI_SPIKES: &str = "95 % Monte Carlo interval: what reruns with other seeds would give, the mixtures held fixed. Per share bin, the chance that one resample's density reaches the observed one is drawn from its Jeffreys posterior given how many of the B resamples did; the bin is flagged with that chance's complement to the power B; the mean resampled share is redrawn with its largest Monte Carlo variance; 4,000 replications, seeded. Bins are taken as independent. It covers the Monte Carlo error, not the sampling error of the fitted mixtures (Rozenas' confInt, posterior draws of the mixture, is not computed).";

/// Pseudo-elections of the Klimek model's parametric bootstrap.
const KLIMEK_REPLICATES: usize = 200;

const CI_DETERMINISTIC: &str = "no interval: a deterministic count with no sampling model";

const DIGIT_ASSUMPTIONS: &str = "Null: each station's count redrawn from Bin(trials, count/trials) with its own trials and rate; counts of at least the cut kept, in the data and in the null alike; expected digit frequencies scaled to the counts kept. Stations are never selected by the digit. p-value: Pearson chi-squared, 9 degrees of freedom; round numbers (0 or 5): binomial z.";

pub(crate) fn forensics(args: &ForensicsArgs, quiet: bool) -> Exit {
    let mut cross_contest: Option<Value> = None;
    let (rows, leader) = if args.table.is_dir() {
        match package_rows(&args.table, quiet) {
            Ok((rows, leader, cross)) => {
                cross_contest = Some(cross);
                (rows, leader)
            }
            Err(exit) => return exit,
        }
    } else {
        let missing: Vec<&str> = [
            ("--registered", args.registered.is_empty()),
            ("--ballots-issued", args.ballots_issued.is_empty()),
            ("--leader", args.leader.is_empty()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| *f)
        .collect();
        if !missing.is_empty() {
            eprint_lines(&format!(
                "error: a station table needs {} (the columns to read)\n",
                missing.join(", ")
            ));
            return Exit::Usage;
        }
        let columns = StationColumns {
            registered: args.registered.clone(),
            issued: args.ballots_issued.clone(),
            found: args.ballots_found.clone(),
            leader: args.leader.clone(),
            region: args.region.clone(),
            id: args.id.clone(),
            area: args.area.clone(),
            kind: args.compare.clone(),
        };
        let (rows, diags) = read_station_table(&args.table, &columns);
        if !diags.is_empty() {
            eprint_lines(&diagnostics_text(&diags));
        }
        if diags.iter().any(|d| d.is_error()) {
            eprint_lines("error: the station table has errors; nothing was tested.\n");
            return Exit::InputErrors;
        }
        (rows, args.leader.join(" + "))
    };
    // The spikes test's resampling is the longest part: it runs beside the battery.
    let (mut report, spikes) = rayon::join(
        || battery(&rows, args.min_value),
        || (args.spikes > 0).then(|| spikes_test(&rows, args.spikes, args.seed, quiet)),
    );
    if let Some(reference) = &args.reference {
        match same_area_test(&rows, reference, args.seed) {
            Some(t) => {
                if let Some(tests) = report["tests"].as_array_mut() {
                    tests.push(t);
                }
            }
            None => {
                eprint_lines("error: --reference needs --compare COL and --area COL\n");
                return Exit::Usage;
            }
        }
    }
    if let (Some(t), Some(tests)) = (spikes, report["tests"].as_array_mut()) {
        tests.push(t);
    }
    report["leader"] = json!(leader);
    if let (Some(cross), Some(tests)) = (cross_contest, report["tests"].as_array_mut()) {
        tests.push(cross);
    }
    let ranking = ranking(&rows);
    report["station_ranking"] = json!({
        "label": "stations whose turnout or leader share is a whole percentage, least likely under their own null first: candidates for targeted (non-random) audit additions, not evidence against any station",
        "flagged": ranking.len(),
        "top": ranking.iter().take(args.rank).collect::<Vec<_>>(),
    });
    if let Some(alpha) = args.klimek {
        if !(alpha.is_finite() && alpha > 0.0) {
            eprint_lines(
                "error: --klimek ALPHA must be a positive number (Klimek's fits: 1.5 to 2.5)\n",
            );
            return Exit::Usage;
        }
        let stations: Vec<Station> = rows.iter().map(station).collect();
        let f = psephos_forensics::klimek::fit(&stations, alpha, 0.02, 0.005, 0.1, 1, args.seed);
        let b = psephos_forensics::klimek::bootstrap(
            &stations,
            &f,
            0.02,
            0.005,
            KLIMEK_REPLICATES,
            args.seed,
        );
        report["descriptive"]["klimek"] = json!({
            "label": "descriptive, a model-based scenario: Klimek et al.'s fair model (turnout and share normal around their first modes above 30 %) plus incremental fraud in a share f_i of stations and extreme fraud in f_e, fitted on a grid (f_i by 0.02, f_e by 0.005 to 0.1) by the squared difference of 1 % fingerprints; α is given, not fitted. The shares depend on the loss and binning.",
            "alpha": alpha,
            "incremental": f.incremental,
            "extreme": f.extreme,
            "ci": {"incremental": [b.incremental.0, b.incremental.1], "extreme": [b.extreme.0, b.extreme.1]},
            "ci_method": format!("95 % parametric bootstrap percentile intervals: {} pseudo-elections simulated from the fitted model on the stations' registers (seeded), each refitted on the grid within 10 steps of f_i and 6 of f_e with the fit's own simulations; {} replicate(s) landed on that local grid's edge. The grid steps (0.02, 0.005) quantise the intervals. Within the model only: it says nothing about whether the model fits.", b.replicates, b.at_edge),
            "loss": f.loss,
            "seed": f.seed,
            "fair": {"turnout": f.fair.turnout, "share": f.fair.share, "turnout_sd": f.fair.turnout_sd, "share_sd": f.fair.share_sd, "theta": f.fair.theta},
        });
    }
    if let Some(dir) = &args.svg {
        match pictures(&rows, dir) {
            Ok(files) => report["pictures"] = json!(files),
            Err(e) => {
                eprint_lines(&format!(
                    "error: cannot write the pictures into {}: {e}\n",
                    dir.display()
                ));
                return Exit::Io;
            }
        }
    }
    if let Some(path) = &args.targets {
        let mut csv = String::from("id,region,line,reason,null_probability\n");
        for r in &ranking {
            csv.push_str(&format!(
                "{},{},{},{},{}\n",
                csv_cell(r["id"].as_str().unwrap_or("")),
                csv_cell(r["region"].as_str().unwrap_or("")),
                r["line"],
                r["reason"].as_str().unwrap_or(""),
                r["null_probability"]
            ));
        }
        if let Err(e) = std::fs::write(path, csv) {
            eprint_lines(&format!("error: cannot write {}: {e}\n", path.display()));
            return Exit::Io;
        }
    }
    let out = match args.format {
        ForensicsFormat::Json => {
            format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default())
        }
        ForensicsFormat::Table => table(&report),
    };
    print!("{out}");
    Exit::Ok
}

/// A package's stations as forensic rows (see [`checked_rows`]), after checking it; exits on
/// errors.
fn package_rows(
    dir: &std::path::Path,
    quiet: bool,
) -> Result<(Vec<StationRow>, String, Value), Exit> {
    let checked = match crate::pipeline::check(dir, &[], None, quiet) {
        Ok(c) => c,
        Err(crate::pipeline::Stop::Package(diags)) => {
            eprint_lines(&diagnostics_text(&diags));
            eprint_lines("error: the package has errors; nothing was tested.\n");
            return Err(Exit::InputErrors);
        }
        Err(crate::pipeline::Stop::Usage(m)) => {
            eprint_lines(&format!("error: {m}\n"));
            return Err(Exit::Usage);
        }
    };
    if checked.errors() > 0 {
        eprint_lines(&diagnostics_text(&checked.diagnostics));
        eprint_lines("error: the result forms have errors; nothing was tested.\n");
        return Err(Exit::InputErrors);
    }
    let t = psephos_count::tabulate(&checked.package.election, &checked.forms, &checked.selection);
    checked_rows(&checked, &t).ok_or_else(|| {
        eprint_lines("error: the package has no parties, so no leader to test\n");
        Exit::InputErrors
    })
}

/// A package's stations: registered voters from stations.csv; ballots found on the selected
/// form of the station's first ballot (packages record ballots found, not issued, so turnout is
/// ballots found over registered); leader votes: the party with the most votes nationally.
/// Regions are governorates. Returns the rows, the leader's name and the cross-contest check;
/// None when the package has no parties. Shared with `psephos report`.
pub(crate) fn checked_rows(
    checked: &crate::pipeline::Checked,
    t: &psephos_count::Tabulation,
) -> Option<(Vec<StationRow>, String, Value)> {
    use psephos_count::StationStatus;
    let election = &checked.package.election;
    let leader =
        (0..t.party_votes.len()).max_by_key(|&p| (t.party_votes[p], std::cmp::Reverse(p)))?;
    let mut rows = Vec::new();
    // Stations whose ballot papers (several contests on separate papers) report different
    // numbers of ballots found: every voter receives each paper.
    let mut differing: Vec<Value> = Vec::new();
    let mut compared = 0usize;
    for (s, station) in election.stations.iter().enumerate() {
        let counted: Vec<(String, u64)> = election
            .station_ballots(psephos_model::StationIdx::from_index(s))
            .zip(checked.selection.station_ballots(s))
            .filter_map(|(contest, status)| match status {
                StationStatus::Counted(i) => Some((
                    election.contest(contest).id.clone(),
                    u64::from(checked.forms.forms[i as usize].ballots_found),
                )),
                _ => None,
            })
            .collect();
        if counted.len() > 1 {
            compared += 1;
            if counted.iter().any(|(_, b)| *b != counted[0].1) {
                differing.push(json!({
                    "station": election.station_ids.get(s),
                    "ballots_found": counted.iter().map(|(c, b)| json!({"contest": c, "ballots": b})).collect::<Vec<_>>(),
                }));
            }
        }
        let Some(StationStatus::Counted(i)) = checked.selection.station_ballots(s).next() else {
            continue;
        };
        let form = &checked.forms.forms[i as usize];
        let leader_votes: u64 = checked
            .forms
            .layout(form)
            .iter()
            .zip(checked.forms.votes(form))
            .filter(|(c, _)| {
                election.candidates[c.index()].party.is_some_and(|p| p.index() == leader)
            })
            .map(|(_, v)| u64::from(v))
            .sum();
        let found = u64::from(form.ballots_found);
        rows.push(StationRow {
            id: election.station_ids.get(s).to_owned(),
            region: station.governorate.map(|g| election.governorates[g.index()].clone()),
            area: Some(election.contests[station.district.index()].id.clone()),
            kind: None,
            line: 0,
            registered: u64::from(station.registered),
            issued: found,
            found,
            leader: leader_votes,
        });
    }
    let cross = json!({
        "name": "cross_contest_consistency",
        "statistic": differing.len(),
        "p_value": Value::Null,
        "effect": differing.len(),
        "ci": Value::Null,
        "ci_note": CI_DETERMINISTIC,
        "effect_is": "stations whose separate ballot papers report different numbers of ballots found",
        "assumptions": "Deterministic: every voter receives every ballot paper of the station, so the papers' ballots found should agree (Behrens' undervoting pattern when they do not). Stations with one paper are not compared.",
        "stations_compared": compared,
        "stations": differing.iter().take(100).cloned().collect::<Vec<_>>(),
    });
    Some((rows, election.parties[leader].name.clone(), cross))
}

/// Writes the fingerprint and the two histograms; returns their paths.
fn pictures(rows: &[StationRow], dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    use psephos_forensics::fingerprint::{
        Weighting, fingerprint, fingerprint_svg, histogram, histogram_svg,
    };
    std::fs::create_dir_all(dir)?;
    let stations: Vec<Station> = rows.iter().map(station).collect();
    let f = fingerprint(&stations, 100, Weighting::Stations);
    let turnout = histogram(stations.iter().map(|s| (s.issued, s.registered)), 1000);
    let share = histogram(stations.iter().map(|s| (s.leader, s.found)), 1000);
    let files = [
        (
            "fingerprint.svg",
            fingerprint_svg(&f, "Stations by turnout and leader's share (descriptive)"),
        ),
        (
            "turnout.svg",
            histogram_svg(&turnout, "Turnout, 0.1 % bins (descriptive)", "turnout (%)"),
        ),
        (
            "share.svg",
            histogram_svg(&share, "Leader's share, 0.1 % bins (descriptive)", "leader's share (%)"),
        ),
    ];
    let mut written = Vec::new();
    for (name, svg) in files {
        let path = dir.join(name);
        std::fs::write(&path, svg)?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

const SAME_AREA_ASSUMPTIONS: &str = "Within each area that has both kinds of station, the leader's votes per registered voter at the reference stations predict the leader's votes at all its stations; the excess is what the others report above that prediction. Assignment to the reference kind is not random, so this is an extrapolation, not a causal estimate. Interval and p-value: bootstrap of stations within each area and kind (percentile interval; share of resampled excesses at or below zero), seeded.";

/// The same-area comparison as a test entry, or None without the columns it needs. Outside
/// the Holm battery: it is declared by the user's choice of columns.
const SPIKES_ASSUMPTIONS: &str = "Rozenas (2017): mixtures of beta-binomials (1 to 5 components, chosen by the correlation of successive fitted densities, 0.99) fitted by least squares to the shares' density (L-BFGS, best of 10 random starts) and EM to the turnout (ballots found of registered) and to the leader votes (of ballots found); every station resampled B times from its posterior (component, then p from the beta posterior, then binomial counts); the leader-share density (Gaussian kernel, bandwidth 1e-4, 1001 points, R's binned density emulated) compared bin by bin with the largest resampled density. statistic: the estimated percentage of stations in excess spikes, 100 times the sum over bins whose observed density exceeds every resample's of max(0, observed share of stations in the bin minus the mean resampled share). An estimate, not a test: p_value is null and the entry is outside the Holm family. It does not say which stations or why. A clean election's estimate is one to four bins that move with the seed: Canada 2011 gives 0.074 % on average over seeds here, sd 0.028 % between seeds (Rozenas' published run: 0.039 %); read the Monte Carlo interval.";

/// Rozenas' spikes test: stations with ballots found, found ≤ registered and leader ≤ found.
/// A progress bar on standard error follows the resampling unless `quiet`.
fn spikes_test(rows: &[StationRow], resamples: usize, seed: u64, quiet: bool) -> Value {
    use psephos_forensics::rkd::{Mixture, Poll, Progress, spikes_reporting};
    let polls: Vec<Poll> = rows
        .iter()
        .map(|r| Poll { registered: r.registered, cast: r.found, votes: r.leader })
        .collect();
    let mixture = |m: &Mixture| {
        json!({
            "components": m.components.iter().map(|c| json!({"weight": c.weight, "alpha": c.alpha, "beta": c.beta})).collect::<Vec<_>>(),
            "log_likelihood": m.log_likelihood,
            "em_iterations": m.iterations,
        })
    };
    // Every row until the resampling says how many stations it uses.
    let bar = crate::pipeline::bar(quiet, (rows.len() * resamples) as u64, "spikes");
    let spikes = spikes_reporting(&polls, resamples, seed, &|p: Progress| {
        bar.set_length(p.total);
        bar.inc(p.done);
    });
    bar.finish_and_clear();
    match spikes {
        Some(s) => json!({
            "name": "rozenas_spikes",
            "statistic": s.fraud_percent,
            "p_value": null,
            "effect": s.fraud_percent,
            "ci": [s.interval.0, s.interval.1],
            "ci_method": CI_SPIKES,
            "monte_carlo_sd": s.monte_carlo_sd,
            "effect_is": "estimated percentage of stations in excess spikes of the leader share",
            "assumptions": SPIKES_ASSUMPTIONS,
            "stations": s.polls,
            "excluded": s.excluded,
            "resamples": s.resamples,
            "seed": s.seed,
            "bins_flagged": s.flagged.iter().map(|b| json!({"share": b.centre, "observed": b.observed, "expected": b.expected, "density": b.density, "max_resampled_density": b.max_resampled})).collect::<Vec<_>>(),
            "turnout_mixture": mixture(&s.turnout),
            "vote_mixture": mixture(&s.votes),
        }),
        None => json!({
            "name": "rozenas_spikes",
            "statistic": null,
            "p_value": null,
            "effect": null,
            "ci": null,
            "ci_note": "no estimate: no usable station",
            "assumptions": SPIKES_ASSUMPTIONS,
            "stations": 0,
            "note": "no station with ballots found, found at most registered and leader votes at most found",
        }),
    }
}

fn same_area_test(rows: &[StationRow], reference: &str, seed: u64) -> Option<Value> {
    use psephos_forensics::natural::{AreaStation, same_area};
    if rows.iter().any(|r| r.area.is_none() || r.kind.is_none()) {
        return None;
    }
    let mut areas: Vec<&str> = rows.iter().filter_map(|r| r.area.as_deref()).collect();
    areas.sort_unstable();
    areas.dedup();
    let stations: Vec<AreaStation> = rows
        .iter()
        .map(|r| AreaStation {
            area: areas.binary_search(&r.area.as_deref().unwrap_or("")).unwrap_or(0) as u32,
            reference: r.kind.as_deref() == Some(reference),
            registered: r.registered,
            leader: r.leader,
        })
        .collect();
    let r = same_area(&stations, 1000, seed);
    Some(json!({
        "name": "same_area_comparison",
        "statistic": r.excess,
        "p_value": r.p_value,
        "effect": r.excess,
        "ci": [r.ci.0, r.ci.1],
        "ci_method": "95 % bootstrap percentile interval: stations resampled with replacement within each area and kind (1,000 resamples, ChaCha8 from the seed)",
        "effect_is": "leader's votes above the prediction from reference stations in the same areas",
        "assumptions": SAME_AREA_ASSUMPTIONS,
        "reference": reference,
        "areas": r.areas,
        "stations": r.stations,
        "reference_stations": r.reference_stations,
        "actual": r.actual,
        "expected": r.expected,
        "bootstrap": r.bootstrap,
        "seed": r.seed,
    }))
}

/// A CSV cell, quoted when it must be.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Every station on the integer grid, least likely first.
pub(crate) fn ranking(rows: &[StationRow]) -> Vec<Value> {
    let stations: Vec<Station> = rows.iter().map(station).collect();
    psephos_forensics::integer::flagged(&stations, Grid::INTEGER)
        .into_iter()
        .map(|f| {
            let r = &rows[f.station];
            let reason = match (f.turnout_on_grid, f.share_on_grid) {
                (true, true) => "turnout and leader share",
                (true, false) => "turnout",
                _ => "leader share",
            };
            let pct = |k: u64, n: u64| {
                if n == 0 { Value::Null } else { json!(100.0 * k as f64 / n as f64) }
            };
            json!({
                "id": r.id,
                "region": r.region,
                "line": r.line,
                "reason": reason,
                "turnout_percent": pct(r.issued, r.registered),
                "leader_percent": pct(r.leader, r.found),
                "null_probability": f.null_probability,
            })
        })
        .collect()
}

pub(crate) fn station(r: &StationRow) -> Station {
    Station { registered: r.registered, issued: r.issued, found: r.found, leader: r.leader }
}

fn find(results: &[Excess], c: Criterion, w: Weight) -> Option<Excess> {
    results.iter().find(|e| e.criterion == c && e.weight == w).copied()
}

fn criterion_name(c: Criterion) -> &'static str {
    match c {
        Criterion::TurnoutOrLeader => "turnout_or_leader",
        Criterion::LeaderOnly => "leader_only",
        Criterion::TurnoutOnly => "turnout_only",
    }
}

fn weight_name(w: Weight) -> &'static str {
    match w {
        Weight::Stations => "stations",
        Weight::Registered => "registered_voters",
        Weight::Issued => "ballots_issued",
        Weight::LeaderVotes => "leader_votes",
    }
}

fn excess_json(e: &Excess) -> Value {
    json!({
        "criterion": criterion_name(e.criterion),
        "weight": weight_name(e.weight),
        "observed": e.observed,
        "expected": e.expected,
        "sd": e.sd,
        "excess": e.excess,
        "z": e.z,
        "p_value": e.p_value,
        "null_999_band": e.band_999,
    })
}

/// Wilson's 95 % interval for a binomial proportion x/n.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054;
    let p = x / n;
    let d = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / d;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / d;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

fn digit_test(name: &str, what: &str, r: &LastDigit, cut: u64) -> Value {
    let n = r.stations as f64;
    let (obs, exp) = (r.round_observed as f64, r.round_expected);
    let share = if n > 0.0 { exp / n } else { 0.0 };
    let effect = if n > 0.0 { (obs - exp) / n } else { 0.0 };
    let (lo, hi) = wilson(obs, n);
    json!({
        "name": name,
        "statistic": r.chi2,
        "p_value": r.p_value,
        "effect": effect,
        "ci": [lo - share, hi - share],
        "ci_method": CI_DIGITS,
        "effect_is": "share of counts ending in 0 or 5, observed minus expected",
        "assumptions": format!("{DIGIT_ASSUMPTIONS} Counts: {what}, cut {cut}."),
        "stations": r.stations,
        "observed_digits": r.observed,
        "expected_digits": r.expected,
        "round_observed": r.round_observed,
        "round_expected": r.round_expected,
        "round_z": r.round_z,
        "round_p_value": r.round_p_value,
    })
}

/// The battery: integer-percentage excess (turnout or leader share, stations), calibrated last
/// digit of ballots issued and of leader votes; the half-integer control and the other
/// weightings are reported beside them, outside the Holm family.
pub(crate) fn battery(rows: &[StationRow], cut: u64) -> Value {
    let all: Vec<Station> = rows.iter().map(station).collect();
    let kept: Vec<usize> = (0..all.len()).filter(|&i| all[i].kobak_included()).collect();
    let included: Vec<Station> = kept.iter().map(|&i| all[i]).collect();
    // Every station's null once, for the test, its control and the regional breakdown.
    let prepared = Prepared::new(&included, &[Grid::INTEGER, Grid::HALF]);
    let integer = prepared.excess(0, None);
    let control = prepared.excess(1, None);
    let regions_of: Vec<Option<&str>> = kept.iter().map(|&i| rows[i].region.as_deref()).collect();
    let head = find(&integer, Criterion::TurnoutOrLeader, Weight::Stations);
    let issued = last_digit(
        &all.iter().map(|s| Count { value: s.issued, trials: s.registered }).collect::<Vec<_>>(),
        cut,
    );
    let leader = last_digit(
        &all.iter().map(|s| Count { value: s.leader, trials: s.found }).collect::<Vec<_>>(),
        cut,
    );
    let mut tests = Vec::new();
    if let Some(h) = head {
        tests.push(json!({
            "name": "integer_percentages",
            "statistic": h.observed,
            "p_value": h.p_value,
            "effect": h.excess,
            "ci": [h.excess - Z95 * h.sd, h.excess + Z95 * h.sd],
            "ci_method": CI_INTEGER,
            "effect_is": "excess stations with an integer turnout or leader share",
            "assumptions": INTEGER_ASSUMPTIONS,
            "stations": included.len(),
            "observed": h.observed,
            "expected": h.expected,
            "excess": h.excess,
            "z": h.z,
            "by_criterion_and_weight": integer.iter().map(excess_json).collect::<Vec<_>>(),
            "half_integer_control": control.iter().map(excess_json).collect::<Vec<_>>(),
        }));
    }
    tests.push(digit_test(
        "last_digit_ballots_issued",
        "ballots issued of registered voters",
        &issued,
        cut,
    ));
    tests.push(digit_test(
        "last_digit_leader_votes",
        "leader votes of ballots found",
        &leader,
        cut,
    ));
    let p: Vec<f64> = tests.iter().map(|t| t["p_value"].as_f64().unwrap_or(1.0)).collect();
    for (t, adj) in tests.iter_mut().zip(holm(&p)) {
        t["p_holm"] = json!(adj);
    }
    tests.push(protocol_arithmetic(rows));
    json!({
        "stations": {"read": rows.len(), "included_in_integer_test": included.len()},
        "battery": "integer_percentages, last_digit_ballots_issued, last_digit_leader_votes (Holm within the battery); protocol_arithmetic is a deterministic check",
        "tests": tests,
        "regions": regions(&prepared, &regions_of),
        "descriptive": descriptive(rows),
        "not_offered": "First-digit Benford and second-digit Benford against the fixed law: they reject clean elections (Canada 2011, DC 2010) and are not fraud tests.",
    })
}

/// EFToolkit's digit and moment summary of ballots issued and turnout, nationally and per
/// region: descriptive, no null model.
fn descriptive(rows: &[StationRow]) -> Value {
    use psephos_forensics::descriptive::digit_summary;
    let summary = |pairs: &[(u64, u64)]| {
        let s = digit_summary(pairs);
        let num = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
        json!({
            "second_digit_mean": num(s.second_digit_mean),
            "turnout_percent_05_share": num(s.percent_05_share),
            "count_05_share": num(s.count_05_share),
            "turnout_skewness": num(s.skewness),
            "turnout_kurtosis": num(s.kurtosis),
            "stations": s.stations,
        })
    };
    let all: Vec<(u64, u64)> = rows.iter().map(|r| (r.issued, r.registered)).collect();
    let mut names: Vec<&str> = rows.iter().filter_map(|r| r.region.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let mut pairs_by: Vec<Vec<(u64, u64)>> = vec![Vec::new(); names.len()];
    for r in rows {
        if let Some(at) = r.region.as_deref().and_then(|n| names.binary_search(&n).ok()) {
            pairs_by[at].push((r.issued, r.registered));
        }
    }
    let by_region: Vec<Value> = names
        .iter()
        .zip(&pairs_by)
        .map(|(name, pairs)| {
            let mut v = summary(pairs);
            v["region"] = json!(name);
            v
        })
        .collect();
    json!({
        "label": "descriptive only: EFToolkit's summary of ballots issued and turnout (mean second digit of counts of at least 10, shares ending in 0 or 5, skewness and kurtosis); no null model, no p-value",
        "nation": summary(&all),
        "by_region": by_region,
    })
}

/// Protocol arithmetic: stations reporting more ballots found in the boxes than ballots issued
/// (the protocol does not add up). Deterministic, no null; the stations are listed. Stations
/// whose counts cannot be tested at all (more leader votes than ballots found) were left out
/// when read (W703).
fn protocol_arithmetic(rows: &[StationRow]) -> Value {
    let bad: Vec<&StationRow> = rows.iter().filter(|r| r.found > r.issued).collect();
    let extra: u64 = bad.iter().map(|r| r.found - r.issued).sum();
    json!({
        "name": "protocol_arithmetic",
        "statistic": bad.len(),
        "p_value": Value::Null,
        "effect": extra,
        "ci": Value::Null,
        "ci_note": CI_DETERMINISTIC,
        "effect_is": "ballots found beyond ballots issued, summed over those stations",
        "assumptions": "Deterministic: every ballot found in a box was issued, so found ≤ issued at every station. A difference can be a clerical error or ballots added; the check says where to look.",
        "stations": bad.iter().take(100).map(|r| json!({"id": r.id, "region": r.region, "line": r.line, "issued": r.issued, "found": r.found})).collect::<Vec<_>>(),
    })
}

/// The integer test per region (turnout or leader share, stations), with Benjamini–Hochberg
/// q-values across regions.
fn regions(prepared: &Prepared, regions_of: &[Option<&str>]) -> Value {
    let mut names: Vec<&str> = regions_of.iter().flatten().copied().collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return json!([]);
    }
    // Stations by region, in one pass.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, r) in regions_of.iter().enumerate() {
        if let Some(at) = r.and_then(|r| names.binary_search(&r).ok()) {
            members[at].push(i);
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for (name, which) in names.iter().zip(&members) {
        let e = prepared.excess(0, Some(which));
        if let Some(h) = find(&e, Criterion::TurnoutOrLeader, Weight::Stations) {
            out.push(json!({"region": name, "stations": which.len(), "observed": h.observed,
                "expected": h.expected, "excess": h.excess, "z": h.z, "p_value": h.p_value}));
        }
    }
    let p: Vec<f64> = out.iter().map(|r| r["p_value"].as_f64().unwrap_or(1.0)).collect();
    for (r, q) in out.iter_mut().zip(benjamini_hochberg(&p)) {
        r["q_value"] = json!(q);
    }
    json!(out)
}

fn table(report: &Value) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} stations read; {} in the integer-percentage test.\n\n",
        report["stations"]["read"], report["stations"]["included_in_integer_test"]
    ));
    out.push_str(&format!(
        "{:<28} {:>14} {:>12} {:>12} {:>26}\n",
        "test", "statistic", "p", "p (Holm)", "effect [95% CI]"
    ));
    for t in report["tests"].as_array().into_iter().flatten() {
        let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
        let p = |v: &Value| v.as_f64().map_or("—".to_owned(), |x| format!("{x:.3e}"));
        let ci = match t["ci"].as_array().map(Vec::as_slice) {
            Some([lo, hi]) => format!("{:>10.4} [{:.4}, {:.4}]", f(&t["effect"]), f(lo), f(hi)),
            _ if t["effect"].is_null() => "—".to_owned(),
            _ => format!("{:>10.4} (no interval)", f(&t["effect"])),
        };
        out.push_str(&format!(
            "{:<28} {:>14.4} {:>12} {:>12} {}\n",
            t["name"].as_str().unwrap_or(""),
            f(&t["statistic"]),
            p(&t["p_value"]),
            p(&t["p_holm"]),
            ci,
        ));
    }
    if let Some(t) = report["tests"].as_array().and_then(|a| a.first())
        && t["name"] == "integer_percentages"
    {
        out.push_str(&format!(
            "\nInteger percentages: {} stations observed, {:.1} expected, excess {:.1} (z {:.2}).\n",
            t["observed"],
            t["expected"].as_f64().unwrap_or(0.0),
            t["excess"].as_f64().unwrap_or(0.0),
            t["z"].as_f64().unwrap_or(0.0)
        ));
    }
    if let Some(t) = report["tests"]
        .as_array()
        .and_then(|a| a.iter().find(|t| t["name"] == "protocol_arithmetic"))
    {
        out.push_str(&format!(
            "Protocol arithmetic: {} station(s) report more ballots found than issued ({} ballots beyond those issued).\n",
            t["statistic"], t["effect"]
        ));
    }
    if let Some(t) =
        report["tests"].as_array().and_then(|a| a.iter().find(|t| t["name"] == "rozenas_spikes"))
    {
        out.push_str(&format!(
            "Rozenas spikes: {:.4} % of stations in excess spikes of the leader share (95 % Monte Carlo interval {:.4} to {:.4} %; {} bin(s), {} resamples, seed {}; an estimate, no p-value).\n",
            t["statistic"].as_f64().unwrap_or(f64::NAN),
            t["ci"][0].as_f64().unwrap_or(f64::NAN),
            t["ci"][1].as_f64().unwrap_or(f64::NAN),
            t["bins_flagged"].as_array().map_or(0, Vec::len),
            t["resamples"],
            t["seed"]
        ));
    }
    let flagged: Vec<String> = report["regions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["q_value"].as_f64().is_some_and(|q| q < 0.05))
        .map(|r| {
            format!(
                "{} (z {:.1})",
                r["region"].as_str().unwrap_or(""),
                r["z"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    if !flagged.is_empty() {
        out.push_str(&format!(
            "Regions with an integer excess at FDR 5 % (Benjamini–Hochberg): {}\n",
            flagged.join(", ")
        ));
    }
    if let Some(top) = report["station_ranking"]["top"].as_array().filter(|t| !t.is_empty()) {
        out.push_str(&format!(
            "\nStations with a whole-percentage turnout or share, least likely first ({} flagged; for audit targeting, not proof):\n",
            report["station_ranking"]["flagged"]
        ));
        for r in top {
            out.push_str(&format!(
                "  {:<24} {:<28} {:<26} p = {:.3e}\n",
                r["id"].as_str().unwrap_or(""),
                r["region"].as_str().unwrap_or(""),
                r["reason"].as_str().unwrap_or(""),
                r["null_probability"].as_f64().unwrap_or(f64::NAN)
            ));
        }
    }
    out.push_str("\nThese are statistical screens, not proof: each test says what it assumes (--format json).\n");
    out
}
