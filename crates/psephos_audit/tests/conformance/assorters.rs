//! Category `assorters`: overstatement assorter values (AS-01), supermajority (AS-02) and the
//! D'Hondt worked example (AS-03); extra D'Hondt values from
//! `shangrla_rlacalc_sampler_vectors.json` → `assorters`. Floats to 1e-12.

use psephos_audit::shangrla::{
    Assorter, Ballot, Divisor, Overstatement, Tally, divisor_assertions,
};
use serde_json::Value;

use crate::{close, equal, report, tolerance, vector};

pub(crate) const CLAIMS: &[&str] = &["AS-01", "AS-02", "AS-03"];

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn as01() -> Result<(), String> {
    let v = vector("AS-01");
    let tol = tolerance(&v);
    let ov = Overstatement::new(f(&v["inputs"]["u"]), f(&v["inputs"]["v"]))
        .map_err(|e| e.to_string())?;
    let e = &v["expected"];
    for (key, omega) in [
        ("omega=-1 (2-vote understatement)", -1.0),
        ("omega=-0.5", -0.5),
        ("omega=0", 0.0),
        ("omega=0.5 (1-vote over)", 0.5),
        ("omega=1 (2-vote over)", 1.0),
    ] {
        close(key, ov.from_omega(omega), f(&e[key]), tol)?;
    }
    close("upper bound", ov.upper_bound(), f(&e["upper bound"]), tol)
}

fn as02() -> Result<(), String> {
    let v = vector("AS-02");
    let tol = tolerance(&v);
    for share in v["inputs"]["f"].as_array().cloned().unwrap_or_default() {
        let share = f(&share);
        let key = format!("supermajority f={share:.4}");
        let e = &v["expected"][&key];
        let a = Assorter::supermajority(0, share).map_err(|e| e.to_string())?;
        close(
            &format!("{key} vote w"),
            a.assort(Ballot { marks: &[0], valid: true }),
            f(&e["vote w"]),
            tol,
        )?;
        close(
            &format!("{key} other"),
            a.assort(Ballot { marks: &[1], valid: true }),
            f(&e["vote other candidate"]),
            tol,
        )?;
        close(
            &format!("{key} invalid"),
            a.assort(Ballot { marks: &[], valid: false }),
            f(&e["invalid/over/undervote"]),
            tol,
        )?;
        close(&format!("{key} u"), a.upper_bound(), f(&e["u"]), tol)?;
    }
    Ok(())
}

fn dhondt_example(e: &Value, tol: f64) -> Result<(), String> {
    let names = ["A", "B", "C"];
    let votes: Vec<u64> = names.iter().map(|n| e["votes"][n].as_u64().unwrap_or(0)).collect();
    let seats: Vec<u32> =
        names.iter().map(|n| e["seats"][n].as_u64().unwrap_or(0) as u32).collect();
    let tally = Tally { votes: &votes, valid_blank: 0, invalid: 0 };
    let got =
        divisor_assertions(&tally, &seats, &Divisor::DHondt, None).map_err(|e| e.to_string())?;
    let want = e["assertions"].as_array().cloned().unwrap_or_default();
    equal("assertions", got.len(), want.len())?;
    for (g, w) in got.iter().zip(&want) {
        let Assorter::Divisor { winner, loser, won, lost, .. } = g.assorter else {
            return Err("not a divisor assorter".into());
        };
        let label = format!("{}-{}", names[winner as usize], names[loser as usize]);
        equal(&format!("{label} A"), names[winner as usize], w["A"].as_str().unwrap_or(""))?;
        equal(&format!("{label} B"), names[loser as usize], w["B"].as_str().unwrap_or(""))?;
        equal(&format!("{label} W_A"), u64::from(won), w["W_A"].as_u64().unwrap_or(0))?;
        equal(&format!("{label} L_B"), u64::from(lost), w["L_B"].as_u64().unwrap_or(0))?;
        equal(&format!("{label} holds"), g.margin > 0.0, w["holds"].as_bool().unwrap_or(false))?;
        close(&format!("{label} mean"), g.mean, f(&w["assorter_mean_over_valid_votes"]), tol)?;
        close(&format!("{label} margin"), g.margin, f(&w["assorter_margin"]), tol)?;
        close(&format!("{label} u"), g.assorter.upper_bound(), f(&w["u"]), tol)?;
    }
    Ok(())
}

fn as03() -> Result<(), String> {
    let v = vector("AS-03");
    dhondt_example(&v["expected"], tolerance(&v))
}

fn extras() -> Vec<(String, Result<(), String>)> {
    let j = crate::rla_json("shangrla_rlacalc_sampler_vectors.json");
    let a = &j["assorters"];
    let mut out = Vec::new();
    for (key, won, lost) in [
        ("dhondt A last seat won W_A=3, B first seat lost L_B=2 (divisor d(k)=k)", 3, 2),
        ("dhondt W_A=1, L_B=4", 1, 4),
    ] {
        let res = (|| {
            let e = &a[key];
            let x = Assorter::divisor(0, 1, won, lost, &Divisor::DHondt)
                .map_err(|e| e.to_string())?
                .ok_or("no assertion")?;
            close("vote A", x.assort(Ballot { marks: &[0], valid: true }), f(&e["vote A"]), 1e-12)?;
            close("vote B", x.assort(Ballot { marks: &[1], valid: true }), f(&e["vote B"]), 1e-12)?;
            close("other", x.assort(Ballot { marks: &[2], valid: true }), f(&e["other"]), 1e-12)?;
            close("u", x.upper_bound(), f(&e["u"]), 1e-12)
        })();
        out.push((key.to_owned(), res));
    }
    let p = &a["plurality (winner w, loser l)"];
    let x = Assorter::Pairwise { winner: 0, loser: 1 };
    let res = close("vote w", x.assort(Ballot { marks: &[0], valid: true }), f(&p["vote w"]), 0.0)
        .and_then(|_| {
            close("vote l", x.assort(Ballot { marks: &[1], valid: true }), f(&p["vote l"]), 0.0)
        })
        .and_then(|_| {
            close(
                "other",
                x.assort(Ballot { marks: &[], valid: false }),
                f(&p["other/blank/invalid"]),
                0.0,
            )
        })
        .and_then(|_| close("u", x.upper_bound(), f(&p["u"]), 0.0));
    out.push(("plurality assorter".to_owned(), res));
    out.push((
        "dhondt_worked_example (sampler file)".to_owned(),
        dhondt_example(&a["dhondt_worked_example"], 1e-12),
    ));
    out
}

#[test]
fn assorter_vectors() {
    let mut results = vec![
        ("AS-01".to_owned(), as01()),
        ("AS-02".to_owned(), as02()),
        ("AS-03".to_owned(), as03()),
    ];
    results.extend(extras());
    report("assorters", results);
}
