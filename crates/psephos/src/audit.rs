//! `psephos audit sample` and `psephos audit size`: direct calls to the samplers and sample-size
//! formulas of `psephos_audit`, for scripting and comparison with other tools.

use psephos_audit::bravo::{self, Contest};
use psephos_audit::kaplan_markov::{self, Discrepancies, GAMMA, Rates};
use psephos_audit::macro_batch;
use psephos_audit::sampling::{SampleOptions, consistent_sample, trim};
use serde_json::{Value, json};

use crate::cli::{AuditCommand, AuditFormat, AuditSampleArgs, AuditSizeArgs, SizeMethod};
use crate::output::{Table, csv_text, write_output};
use crate::{Exit, eprint_lines};

fn usage(message: &str) -> Exit {
    eprint_lines(&format!("error: {message}\n"));
    Exit::Usage
}

fn input_error(message: &str) -> Exit {
    eprint_lines(&format!("error: {message}\n"));
    Exit::InputErrors
}

fn emit(out: Option<&std::path::Path>, text: &str) -> Exit {
    match write_output(out, text) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprint_lines(&format!("error: cannot write the output: {e}\n"));
            Exit::Io
        }
    }
}

pub(crate) fn audit(command: &AuditCommand) -> Exit {
    match command {
        AuditCommand::Sample(a) => sample(a),
        AuditCommand::Size(a) => size(a),
        AuditCommand::Plan(a) => crate::audit_workflow::plan(a),
        AuditCommand::Draw(a) => crate::audit_workflow::draw(a),
        AuditCommand::Record(a) => crate::audit_workflow::record(a),
        AuditCommand::Assess(a) => crate::audit_workflow::assess(a),
        AuditCommand::Verify(a) => crate::audit_workflow::verify(a),
    }
}

fn sample(args: &AuditSampleArgs) -> Exit {
    let text = match std::fs::read_to_string(&args.ids) {
        Ok(t) => t,
        Err(e) => return input_error(&format!("{}: {e}", args.ids.display())),
    };
    let ids: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .collect();
    if ids.is_empty() {
        return input_error(&format!("{}: no ids (one per line)", args.ids.display()));
    }
    let opts = SampleOptions {
        with_replacement: args.with_replacement,
        drop: args.drop,
        take: args.count,
    };
    let draws = consistent_sample(&ids, &args.seed, opts);
    let ticket = |t: &str| match args.digits {
        Some(d) => trim(t, d),
        None => t.to_owned(),
    };
    let text = match args.format {
        AuditFormat::Json => {
            let rows: Vec<Value> = draws
                .iter()
                .map(|d| {
                    json!({"generation": d.generation, "id": ids[d.index], "ticket": ticket(&d.ticket)})
                })
                .collect();
            serde_json::to_string_pretty(&Value::Array(rows)).unwrap_or_default() + "\n"
        }
        AuditFormat::Csv => csv_text(
            &["draw", "id", "ticket", "generation"],
            draws.iter().enumerate().map(|(k, d)| {
                vec![
                    (k + 1 + args.drop).to_string(),
                    ids[d.index].to_owned(),
                    ticket(&d.ticket),
                    d.generation.to_string(),
                ]
            }),
        ),
        AuditFormat::Table => {
            let mut t = Table::new(&[
                ("draw", true),
                ("id", false),
                ("ticket", false),
                ("generation", true),
            ]);
            for (k, d) in draws.iter().enumerate() {
                t.row(vec![
                    (k + 1 + args.drop).to_string(),
                    ids[d.index].to_owned(),
                    ticket(&d.ticket),
                    d.generation.to_string(),
                ]);
            }
            t.render()
        }
    };
    emit(args.out.as_deref(), &text)
}

/// `0.05`, `5%`.
pub(crate) fn risk_limit(text: &str) -> Option<f64> {
    let (num, scale) = match text.strip_suffix('%') {
        Some(p) => (p.trim(), 100.0),
        None => (text.trim(), 1.0),
    };
    let a = num.parse::<f64>().ok()? / scale;
    (a > 0.0 && a < 1.0).then_some(a)
}

fn size(args: &AuditSizeArgs) -> Exit {
    let Some(alpha) = risk_limit(&args.risk_limit) else {
        return usage(&format!(
            "--risk-limit {:?} is not a fraction between 0 and 1 (0.05) or a percentage (5%)",
            args.risk_limit
        ));
    };
    let mut votes = Vec::new();
    for v in args.votes.split(',') {
        match v.trim().parse::<u64>() {
            Ok(n) => votes.push(n),
            Err(_) => {
                return usage(&format!(
                    "--votes {:?}: {v:?} is not a whole number of votes",
                    args.votes
                ));
            }
        }
    }
    if votes.len() < 2 {
        return usage("--votes needs at least two candidates: W,L[,OTHERS...]");
    }
    let total: u64 = votes.iter().sum();
    if total > args.ballots.saturating_mul(args.winners as u64) {
        return input_error(&format!(
            "the votes ({total}) exceed the ballots ({}) times the winners ({})",
            args.ballots, args.winners
        ));
    }
    let contest = Contest::new(votes.clone(), args.ballots, args.winners);
    let zeros = vec![0; votes.len()];
    let quantiles = [0.7, 0.8, 0.9];
    let result = match args.method {
        SizeMethod::Bravo => bravo::sample_sizes(alpha, &contest, &zeros, &quantiles).map(|s| {
            let q: serde_json::Map<String, Value> =
                s.quantiles.iter().map(|(q, n)| (format!("{q}"), json!(n))).collect();
            json!({
                "method": "bravo",
                "unit": "ballots",
                "asn": s.asn,
                "asn_prob": s.asn_prob,
                "quantiles": q,
            })
        }),
        SizeMethod::KaplanMarkov => contest.diluted_margin().and_then(|m| {
            let nmin = kaplan_markov::nmin(alpha, m, GAMMA, Discrepancies::default())?;
            let expected =
                kaplan_markov::initial_sample_size(alpha, m, GAMMA, args.ballots, Rates::ARLO)?;
            Ok(json!({
                "method": "kaplan-markov",
                "unit": "ballots",
                "diluted_margin": m,
                "gamma": GAMMA,
                "asn": expected,
                "nmin": nmin.min(args.ballots),
                "rates": {"o1": Rates::ARLO.o1, "o2": Rates::ARLO.o2, "u1": Rates::ARLO.u1, "u2": Rates::ARLO.u2},
            }))
        }),
        SizeMethod::Macro => {
            let Some(stations) = args.stations else {
                return usage(
                    "--method macro needs --stations S (the ballots are taken as split evenly)",
                );
            };
            if stations == 0 {
                return usage("--stations must be at least 1");
            }
            macro_plan(alpha, &contest, stations)
        }
        SizeMethod::Alpha | SizeMethod::Clca => simulated(args, alpha, &votes),
        SizeMethod::Minerva | SizeMethod::Providence => {
            let winners = top(&votes, args.winners);
            psephos_audit::minerva::round_sizes(&votes, &winners, args.ballots, alpha, &quantiles)
                .map(|sizes| {
                    let q: serde_json::Map<String, Value> = quantiles
                        .iter()
                        .zip(sizes)
                        .map(|(q, n)| (format!("{q}"), json!(n)))
                        .collect();
                    json!({
                        "method": if args.method == SizeMethod::Minerva { "minerva" } else { "providence" },
                        "unit": "ballots",
                        "asn": Value::Null,
                        "quantiles": q,
                        "note": "first-round sizes for each stopping probability (Providence's first round is Minerva's); round-by-round methods have no ASN",
                    })
                })
                .map_err(|e| bravo::AuditError::Inconsistent(e.to_string()))
        }
    };
    let value = match result {
        Ok(mut v) => {
            v["risk_limit"] = json!(alpha);
            v["ballots"] = json!(args.ballots);
            v["votes"] = json!(votes);
            v["winners"] = json!(args.winners);
            v
        }
        Err(e) => return input_error(&e.to_string()),
    };
    let text = match args.format {
        AuditFormat::Json => serde_json::to_string_pretty(&value).unwrap_or_default() + "\n",
        AuditFormat::Csv | AuditFormat::Table => {
            let mut rows: Vec<(String, String)> = Vec::new();
            if let Some(o) = value.as_object() {
                for (k, v) in o {
                    match v {
                        Value::Object(inner) => {
                            for (k2, v2) in inner {
                                rows.push((format!("{k} {k2}"), v2.to_string()));
                            }
                        }
                        other => {
                            rows.push((k.clone(), other.to_string().trim_matches('"').to_owned()))
                        }
                    }
                }
            }
            if args.format == AuditFormat::Csv {
                csv_text(&["field", "value"], rows.into_iter().map(|(a, b)| vec![a, b]))
            } else {
                let mut t = Table::new(&[("field", false), ("value", true)]);
                for (a, b) in rows {
                    t.row(vec![a, b]);
                }
                t.render()
            }
        }
    };
    emit(args.out.as_deref(), &text)
}

/// The indices of the `k` candidates with most votes (ties in input order).
fn top(votes: &[u64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..votes.len()).collect();
    order.sort_by(|&a, &b| votes[b].cmp(&votes[a]).then(a.cmp(&b)));
    order.truncate(k);
    order.sort_unstable();
    order
}

/// ALPHA ballot polling and CLCA sizes by seeded simulation, on the closest winner–loser pair
/// (the smallest winner against the largest loser), which binds the audit.
fn simulated(args: &AuditSizeArgs, alpha: f64, votes: &[u64]) -> Result<Value, bravo::AuditError> {
    use psephos_audit::simulate::{ErrorRates, SimSpec, clca_sizes, polling_sizes};
    let winners = top(votes, args.winners);
    let w = winners.iter().map(|&i| votes[i]).min().unwrap_or(0);
    let l = (0..votes.len()).filter(|i| !winners.contains(i)).map(|i| votes[i]).max().unwrap_or(0);
    if args.reps == 0 {
        return Err(bravo::AuditError::Inconsistent("--reps must be at least 1".into()));
    }
    let spec = SimSpec::new(alpha, args.reps, args.seed.clone());
    let invalid = |e: psephos_audit::StatError| bravo::AuditError::Inconsistent(e.to_string());
    let (method, result, extra) = if args.method == SizeMethod::Alpha {
        let other = args.ballots.saturating_sub(w + l);
        (
            "alpha",
            polling_sizes(w, l, other, &spec).map_err(invalid)?,
            json!({"estimator": "shrink_trunc (SHANGRLA defaults), sampling without replacement"}),
        )
    } else {
        let rates = ErrorRates { o1: 0.001, o2: 0.0001, u1: 0.001, u2: 0.0001 };
        let margin = (w - l) as f64 / args.ballots.max(1) as f64;
        (
            "clca",
            clca_sizes(args.ballots, margin, 1.0, rates, &spec).map_err(invalid)?,
            json!({"estimator": "optimal_comparison", "diluted_margin": margin,
                "rates": {"o1": rates.o1, "o2": rates.o2, "u1": rates.u1, "u2": rates.u2}}),
        )
    };
    let q: serde_json::Map<String, Value> =
        result.quantiles.iter().map(|(q, n)| (format!("{q}"), json!(n))).collect();
    Ok(json!({
        "method": method,
        "unit": "ballots",
        "asn": result.mean.ceil(),
        "quantiles": q,
        "reps": result.reps,
        "seed": result.seed,
        "full_hand_counts": result.full_hand_counts,
        "pair": {"winner_votes": w, "loser_votes": l},
        "simulation": extra,
    }))
}

/// MACRO round-1 stations when the ballots and votes are spread evenly over `stations`
/// stations: u_p = max over pairs ((v_w − v_ℓ)/S + N/S) / V_wℓ, U = S·u_p.
fn macro_plan(alpha: f64, contest: &Contest, stations: u64) -> Result<Value, bravo::AuditError> {
    let s = stations as f64;
    let mut u_p = 0.0f64;
    for (w, l) in contest.pairs()? {
        let v = (contest.votes[w] - contest.votes[l]) as f64;
        u_p = u_p.max((v / s + contest.ballots as f64 / s) / v);
    }
    let u = u_p * s;
    let n = macro_batch::sample_size(alpha, u, 1.0, stations)?;
    Ok(json!({
        "method": "macro",
        "unit": "stations",
        "asn": n,
        "stations": stations,
        "total_error_bound": u,
        "station_error_bound": u_p,
    }))
}
