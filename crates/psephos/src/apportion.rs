//! `psephos apportion`: one district, from a plain `party,votes` CSV.

use psephos_count::apportion::{
    Apportionment, Method, Ratio, Threshold, TieRule, apportion as divide,
};
use serde_json::{Value, json};

use crate::cli::{ApportionArgs, Format, TieArg};
use crate::output::{Table, csv_text, diagnostics_text, percent, thousands, write_output};
use crate::{Exit, eprint_lines};

fn usage(message: String) -> Exit {
    eprint_lines(&format!("error: {message}\n"));
    Exit::Usage
}

pub(crate) fn apportion(args: &ApportionArgs) -> Exit {
    let first = match args.first_divisor.as_deref().map(|x| (x, Ratio::parse(x))) {
        None => None,
        Some((_, Some(r))) if r.num > 0 => Some(r),
        Some((x, _)) => {
            return usage(format!("--first-divisor {x:?} is not a positive number such as 1.4"));
        }
    };
    let Some(method) = Method::parse(&args.method, first) else {
        return usage(format!(
            "--method {:?} is not known; use one of {}",
            args.method,
            Method::NAMES.join(", ")
        ));
    };
    if first.is_some() && !matches!(method, Method::ModifiedSainteLague { .. }) {
        return usage("--first-divisor applies to modified-sainte-lague only".to_owned());
    }
    let threshold = match args.threshold.as_deref() {
        None => None,
        Some(t) => match Ratio::parse(t.trim_end_matches('%')) {
            Some(pct) if pct <= Ratio::integer(100) => Some(Threshold::uniform(
                Ratio::new(pct.num, pct.den * 100),
                u128::from(args.threshold_extra_valid),
            )),
            _ => return usage(format!("--threshold {t:?} is not a percentage between 0 and 100")),
        },
    };
    let rows = match psephos_io::read_party_votes(&args.file) {
        Ok(rows) => rows,
        Err(diags) => {
            eprint_lines(&diagnostics_text(&diags));
            return Exit::InputErrors;
        }
    };
    let votes: Vec<u128> = rows.iter().map(|r| u128::from(r.1)).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let context = args.file.display().to_string();
    let ties = match args.ties {
        TieArg::Lot => TieRule::Lot { seed: args.seed.clone(), context },
        TieArg::MostVotes => TieRule::MostVotesThenLot { seed: args.seed.clone(), context },
    };
    let result =
        match divide(&votes, &names, u128::from(args.seats), method, threshold.as_ref(), &ties) {
            Ok(r) => r,
            Err(e) => {
                eprint_lines(&format!("error: {}: {e}\n", args.file.display()));
                return Exit::InputErrors;
            }
        };
    let text = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&to_json(
                args,
                method,
                &names,
                &votes,
                &result,
                threshold.as_ref(),
            ))
            .unwrap_or_default()
                + "\n"
        }
        Format::Csv => csv_text(
            &["party", "votes", "seats"],
            names
                .iter()
                .zip(&votes)
                .zip(&result.seats)
                .map(|((n, v), s)| vec![(*n).to_owned(), v.to_string(), s.to_string()]),
        ),
        Format::Table => to_table(method, &names, &votes, &result, threshold.as_ref()),
    };
    match write_output(args.out.as_deref(), &text) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprint_lines(&format!("error: cannot write the output: {e}\n"));
            Exit::Io
        }
    }
}

fn ties_json(names: &[&str], result: &Apportionment) -> Vec<Value> {
    result
        .ties
        .iter()
        .map(|t| {
            json!({
                "parties": t.parties.iter().map(|&p| names[p]).collect::<Vec<_>>(),
                "seats": t.seats as u64,
                "chosen": t.chosen.iter().map(|&p| names[p]).collect::<Vec<_>>(),
                "rule": t.rule,
                "tickets": t.tickets,
            })
        })
        .collect()
}

fn to_json(
    args: &ApportionArgs,
    method: Method,
    names: &[&str],
    votes: &[u128],
    r: &Apportionment,
    threshold: Option<&Threshold>,
) -> Value {
    let allocation: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut v = json!({"party": n, "votes": votes[i] as u64, "seats": r.seats[i] as u64});
            if r.excluded[i] {
                v["below_threshold"] = json!(true);
            }
            if let Some(rem) = r.remainders.get(i).copied().flatten() {
                v["remainder"] = json!(rem.decimal(3));
            }
            if method.is_divisor() && !r.excluded[i] && votes[i] > 0 {
                // The quotient that would win the party its next seat.
                v["next_quotient"] = json!(method.quotient_text(votes[i], r.seats[i]));
            }
            v
        })
        .collect();
    let steps: Vec<Value> = r
        .steps(votes, method)
        .iter()
        .enumerate()
        .map(|(k, s)| {
            json!({
                "seat": k + 1,
                "party": names[s.party],
                "quotient": method.quotient_text(votes[s.party], s.held),
                "divisor": divisor_text(method, s.held),
            })
        })
        .collect();
    let mut out = json!({
        "method": method.name(),
        "seats": args.seats,
        "allocation": allocation,
        "ties": ties_json(names, r),
    });
    if let Method::ModifiedSainteLague { first } = method {
        out["first_divisor"] = json!(first.decimal(3));
    }
    if let (Some(t), Some(needed)) = (threshold, r.threshold_votes) {
        out["threshold"] = json!({
            "share": t.share.decimal(6),
            "extra_valid": t.extra_valid as u64,
            "votes_needed": needed.decimal(3),
            "below": names.iter().zip(&r.excluded).filter(|(_, e)| **e).map(|(n, _)| *n).collect::<Vec<_>>(),
        });
    }
    if method.is_divisor() {
        out["steps"] = json!(steps);
    } else if let Some(q) = r.quota {
        out["quota"] = json!(q.decimal(3));
    }
    out
}

fn divisor_text(method: Method, held: u128) -> String {
    match method {
        Method::HuntingtonHill => format!("sqrt({})", held * (held + 1)),
        _ => method.divisor(held).map_or_else(String::new, |d| d.decimal(3)),
    }
}

fn to_table(
    method: Method,
    names: &[&str],
    votes: &[u128],
    r: &Apportionment,
    threshold: Option<&Threshold>,
) -> String {
    let total: u128 = votes.iter().sum();
    let divisor = method.is_divisor();
    // The threshold column only when the threshold set a party aside.
    let any_below = r.excluded.iter().any(|&x| x);
    let mut headers = vec![
        ("party", false),
        ("votes", true),
        ("%", true),
        ("seats", true),
        (if divisor { "last quotient won" } else { "whole quotas" }, true),
        (if divisor { "next quotient" } else { "remainder" }, true),
    ];
    if any_below {
        headers.push(("threshold", false));
    }
    let mut table = Table::new(&headers);
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| {
        r.seats[b].cmp(&r.seats[a]).then(votes[b].cmp(&votes[a])).then(a.cmp(&b))
    });
    for i in order {
        let (won, next) = if divisor {
            let won = if r.seats[i] > 0 {
                method.quotient_text(votes[i], r.seats[i] - 1)
            } else {
                String::new()
            };
            let next = if r.excluded[i] || votes[i] == 0 {
                String::new()
            } else {
                method.quotient_text(votes[i], r.seats[i])
            };
            (won, next)
        } else {
            let rem = r.remainders.get(i).copied().flatten();
            let whole = match (r.quota, rem) {
                (Some(q), Some(_)) => ((votes[i] * q.den) / q.num.max(1)).to_string(),
                _ => String::new(),
            };
            (whole, rem.map_or_else(String::new, |x| x.decimal(3)))
        };
        let mut row = vec![
            names[i].to_owned(),
            thousands(votes[i] as u64),
            percent(votes[i] as u64, total as u64),
            r.seats[i].to_string(),
            won,
            next,
        ];
        if any_below {
            row.push(if r.excluded[i] { "below".to_owned() } else { "passed".to_owned() });
        }
        table.row(row);
    }
    let mut out = format!("{} seats by {}", r.seats.iter().sum::<u128>(), method.name());
    if let Method::ModifiedSainteLague { first } = method {
        out.push_str(&format!(
            " (first divisor {})",
            first.decimal(2).trim_end_matches('0').trim_end_matches('.')
        ));
    }
    out.push('\n');
    out.push('\n');
    out.push_str(&table.render());
    if let (Some(t), Some(needed)) = (threshold, r.threshold_votes) {
        out.push_str(&format!(
            "Threshold: {}% of {} valid votes = {} votes.\n",
            Ratio::new(t.share.num * 100, t.share.den).decimal(2),
            thousands((total + t.extra_valid) as u64),
            needed.decimal(1)
        ));
    }
    if let Some(q) = r.quota {
        out.push_str(&format!("Quota: {} votes a seat.\n", q.decimal(3)));
    }
    if let Some(last) = r.steps(votes, method).last() {
        out.push_str(&format!(
            "Last seat: {} at quotient {}.\n",
            names[last.party],
            method.quotient_text(votes[last.party], last.held)
        ));
    }
    for t in &r.ties {
        out.push_str(&format!(
            "Tie for {} seat(s) among {} settled by {}: {} won.\n",
            t.seats,
            t.parties.iter().map(|&p| names[p]).collect::<Vec<_>>().join(", "),
            t.rule,
            t.chosen.iter().map(|&p| names[p]).collect::<Vec<_>>().join(", ")
        ));
    }
    out
}
