//! The Minerva vector of category `ballot_polling` (MI-01): first-round sizes for stopping
//! probabilities 0.7/0.8/0.9 as athena computes them (Arlo's Minerva). Sizes exact.

use psephos_audit::minerva::round_sizes;

use crate::{equal, report, vector};

pub(crate) const CLAIMS: &[&str] = &["MI-01"];

fn mi01() -> Result<(), String> {
    let v = vector("MI-01");
    let tally = &v["inputs"]["tally"];
    let names = ["a", "b", "c"];
    let votes: Vec<u64> = names.iter().map(|n| tally[n].as_u64().unwrap_or(0)).collect();
    let ballots: u64 =
        tally.as_object().map(|o| o.values().filter_map(|x| x.as_u64()).sum()).unwrap_or(0);
    let alpha = v["inputs"]["risk_limit"].as_f64().unwrap_or(f64::NAN);
    let got =
        round_sizes(&votes, &[0], ballots, alpha, &[0.7, 0.8, 0.9]).map_err(|e| e.to_string())?;
    let want: Vec<u64> =
        ["0.7", "0.8", "0.9"].iter().map(|q| v["expected"][q].as_u64().unwrap_or(0)).collect();
    equal("sizes", got, want)
}

#[test]
fn minerva_vectors() {
    report("minerva (ballot_polling)", vec![("MI-01".to_owned(), mi01())]);
}
