//! Samplers: Rivest's consistent sampler, Arlo's tuple ids, Stark's sha256Rand (ColoradoRLA),
//! cryptorandom's SHA-256 generator, and psephos's weighted sampler (own vectors).

use psephos_audit::sampling::{
    CryptoRandomSha256, PyId, SampleOptions, Weight, consistent_sample, first_fraction,
    next_fraction, sha256_hex, sha256_rand_sequence, sha256_uniform, trim, weighted_sample,
};
use serde_json::Value;

use crate::{equal, report_claimed, rla_json};

pub(crate) const CLAIMS: &[&str] = &[
    "CS-01", "CS-02", "CS-03", "CS-04", "CS-05", "CS-06", "CS-07", "CS-08", "CS-09", "CS-10",
    "CS-11", "CS-12",
];

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

/// `str(seed)` of a JSON seed: a string as is, a number in decimal.
fn seed_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn options(with_replacement: bool, drop: usize, take: usize) -> SampleOptions {
    SampleOptions { with_replacement, drop, take }
}

/// Draws as `[trimmed ticket, id, generation]` triples.
fn tuples(ids: &[String], seed: &str, opts: SampleOptions, digits: usize) -> Vec<Value> {
    consistent_sample(ids, seed, opts)
        .into_iter()
        .map(|d| serde_json::json!([trim(&d.ticket, digits), ids[d.index], d.generation]))
        .collect()
}

/// Arlo's manifest: batches `pct 1`..`pct 4`, positions 1..25, ids `str((batch, position))`.
fn arlo_ids() -> (Vec<PyId>, Vec<String>) {
    let mut ids = Vec::new();
    for b in 1..=4 {
        for p in 1..=25 {
            ids.push(PyId::Tuple(vec![PyId::Str(format!("pct {b}")), PyId::Int(p)]));
        }
    }
    let text = ids.iter().map(PyId::py_str).collect();
    (ids, text)
}

fn arlo_check(seed: &str, drop: usize, take: usize, expected: &Value) -> Result<(), String> {
    let (ids, text) = arlo_ids();
    let got: Vec<Value> = consistent_sample(&text, seed, options(true, drop, take))
        .into_iter()
        .map(|d| {
            let PyId::Tuple(t) = &ids[d.index] else { unreachable!() };
            let (PyId::Str(b), PyId::Int(p)) = (&t[0], &t[1]) else { unreachable!() };
            serde_json::json!([trim(&d.ticket, 18), [b, p], d.generation])
        })
        .collect();
    equal("sample", &Value::Array(got), expected)
}

fn check(v: &Value) -> Result<(), String> {
    let id = v["id"].as_str().unwrap_or_default();
    let i = &v["inputs"];
    let e = &v["expected"];
    match id {
        "CS-01" => equal(
            "sha256_hex",
            sha256_hex(i["input"].as_str().unwrap_or_default()).as_str(),
            e.as_str().unwrap_or_default(),
        ),
        "CS-02" => equal(
            "sha256_uniform",
            sha256_uniform(i["input"].as_str().unwrap_or_default()).as_str(),
            e.as_str().unwrap_or_default(),
        ),
        "CS-03" => equal(
            "first_fraction",
            first_fraction(
                i["id"].as_str().unwrap_or_default(),
                i["seed"].as_str().unwrap_or_default(),
            )
            .as_str(),
            e.as_str().unwrap_or_default(),
        ),
        "CS-04" => equal(
            "next_fraction",
            next_fraction(i["x"].as_str().unwrap_or_default()).as_str(),
            e.as_str().unwrap_or_default(),
        ),
        "CS-05" => {
            let ids = strs(&i["ids"]);
            let take = i["take"].as_u64().unwrap_or(0) as usize;
            let got: Vec<String> =
                consistent_sample(&ids, &seed_text(&i["seed"]), options(true, 0, take))
                    .into_iter()
                    .map(|d| ids[d.index].clone())
                    .collect();
            equal("ids", got, strs(e))
        }
        "CS-06" | "CS-07" | "CS-08" => {
            let ids = strs(&i["ids"]);
            let (wr, take, digits) = match id {
                "CS-06" => (false, ids.len(), 9),
                "CS-07" => (false, ids.len(), 30),
                _ => (true, i["take"].as_u64().unwrap_or(0) as usize, 18),
            };
            let got = tuples(&ids, &seed_text(&i["seed"]), options(wr, 0, take), digits);
            equal("sample", &Value::Array(got), e)
        }
        "CS-09" => arlo_check(
            i["seed"].as_str().unwrap_or_default(),
            0,
            i["sample_size"].as_u64().unwrap_or(0) as usize,
            e,
        ),
        "CS-10" => arlo_check(
            i["seed"].as_str().unwrap_or_default(),
            i["num_sampled"].as_u64().unwrap_or(0) as usize,
            i["sample_size"].as_u64().unwrap_or(0) as usize,
            e,
        ),
        "CS-11" => {
            let got = sha256_rand_sequence(
                i["seed"].as_str().unwrap_or_default(),
                i["min"].as_u64().unwrap_or(0),
                i["max"].as_u64().unwrap_or(0),
                i["n"].as_u64().unwrap_or(0),
                i["with_replacement"].as_bool().unwrap_or(false),
            )
            .map_err(|err| err.to_string())?;
            let expected: Vec<u64> = e
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            equal("picks", got, expected)
        }
        "CS-12" => {
            let seed = seed_text(&i["seed"]);
            let mut prng = CryptoRandomSha256::new(&seed);
            let ints: Vec<String> = (0..3).map(|_| prng.next_decimal()).collect();
            equal("ints", ints, strs(&e["ints"]))?;
            let mut prng = CryptoRandomSha256::new(&seed);
            for (k, x) in
                e["random_first4"].as_array().cloned().unwrap_or_default().iter().enumerate()
            {
                let got = prng.random();
                let want = x.as_f64().unwrap_or(f64::NAN);
                if got.to_bits() != want.to_bits() {
                    return Err(format!("random()[{k}]: got {got:?}, expected {want:?}"));
                }
            }
            Ok(())
        }
        other => Err(format!("{other}: not a sampling vector known to this module")),
    }
}

/// Extra cases from the other files of `rla/` and psephos's own weighted-sampler vectors.
fn extra() -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let s = rla_json("shangrla_rlacalc_sampler_vectors.json");
    let cs = &s["consistent_sampler"];
    out.push((
        "extra: trim('0.9991234567890', 4)".to_owned(),
        equal(
            "trim",
            trim("0.9991234567890", 4).as_str(),
            cs["trim('0.9991234567890',4)"].as_str().unwrap_or_default(),
        ),
    ));
    let wor = &cs["custom_wor"];
    let ids = strs(&wor["ids"]);
    let seed = wor["seed"].as_str().unwrap_or_default();
    let firsts: Result<(), String> = ids.iter().try_for_each(|id| {
        equal(
            id,
            first_fraction(id, seed).as_str(),
            wor["full_precision_first_tickets"][id].as_str().unwrap_or_default(),
        )
    });
    out.push(("extra: custom_wor full-precision first tickets".to_owned(), firsts));
    let ints = &cs["custom_integer_ids_1_to_100_take10_wor"];
    let ids: Vec<String> = (1..=100).map(|n: u32| n.to_string()).collect();
    let got: Vec<u64> =
        consistent_sample(&ids, ints["seed"].as_str().unwrap_or_default(), options(false, 0, 10))
            .into_iter()
            .map(|d| d.index as u64 + 1)
            .collect();
    let want: Vec<u64> = ints["sample_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    out.push((
        "extra: integer ids 1..100, take 10, without replacement".to_owned(),
        equal("ids", got, want),
    ));

    let arlo = rla_json("arlo_vectors.json");
    let d = &arlo["arlo_draw_sample"];
    out.push((
        "extra: arlo_draw_sample".to_owned(),
        arlo_check(
            d["seed"].as_str().unwrap_or_default(),
            0,
            d["sample_size"].as_u64().unwrap_or(0) as usize,
            &d["sample"],
        ),
    ));

    let corla = rla_json("corla_stark_sha256rand_vectors.json");
    for (k, c) in corla["vectors"].as_array().cloned().unwrap_or_default().iter().enumerate() {
        let want: Vec<u64> = c["first_47"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let got = sha256_rand_sequence(
            c["seed"].as_str().unwrap_or_default(),
            c["min"].as_u64().unwrap_or(0),
            c["max"].as_u64().unwrap_or(0),
            want.len() as u64,
            c["with_replacement"].as_bool().unwrap_or(false),
        );
        out.push((
            format!("extra: sha256Rand vector {k}"),
            got.map_err(|e| e.to_string()).and_then(|g| equal("picks", g, want)),
        ));
    }

    // psephos's weighted sampler, checked against bench/peers/ppeb_reference.py (an independent
    // Python implementation of docs/internals/sampling.md):
    //   python3 ppeb_reference.py 20250101 12 PS-01:555/1100 PS-02:300/1100 PS-03:0/1 \
    //       PS-04:1100/1100 PS-05:1/7
    let ids = ["PS-01", "PS-02", "PS-03", "PS-04", "PS-05"];
    let weights = [
        Weight::new(555, 1100),
        Weight::new(300, 1100),
        Weight::new(0, 1),
        Weight::new(1100, 1100),
        Weight::new(1, 7),
    ];
    let want = [
        (
            "PS-04",
            1,
            "0.37450374442413671397172546877142714786245003767820014618531495328349546604477",
        ),
        (
            "PS-04",
            2,
            "0.555992430371696547011100669116369192108319394683402969327525614800690201731101",
        ),
        (
            "PS-01",
            3,
            "0.79194782803774171570068564303363481227830670818963639166144020269343476411163",
        ),
        (
            "PS-02",
            2,
            "0.84543955665120335505363580612575335980785491529190583561751010462149794273017",
        ),
        (
            "PS-04",
            3,
            "0.853934236970854229217021899872455835581590045560850139313471967319168036374111",
        ),
        (
            "PS-04",
            4,
            "0.91720421563135345743796240978728171407889105253919960241381102487311676148311",
        ),
        (
            "PS-04",
            5,
            "0.932528229302228536449368140905141829348820178445380953282913699104132518644456",
        ),
        (
            "PS-04",
            6,
            "0.961604531834844819930903048313898736808387548890606340493412425927991297091983",
        ),
        (
            "PS-04",
            7,
            "0.975875712415770949240673827840296536716754021864049744567440001277444576311841",
        ),
        (
            "PS-04",
            8,
            "0.979830968721982262125628109390195414977593994862516963799503868814845897563336",
        ),
        (
            "PS-02",
            4,
            "0.9840786924143837326671168692276495207904055294139153871714532286569242072929",
        ),
        (
            "PS-01",
            4,
            "0.98878460356797731235787744145392213291407143825843282222877109741099667161923",
        ),
    ];
    let got = weighted_sample(&ids, &weights, "20250101", 12, None).map(|draws| {
        draws.into_iter().map(|d| (ids[d.index], d.generation, d.ticket)).collect::<Vec<_>>()
    });
    let want: Vec<(&str, u32, String)> =
        want.iter().map(|(i, g, t)| (*i, *g, (*t).to_owned())).collect();
    out.push((
        "psephos PPEB: 5 stations, seed 20250101".to_owned(),
        got.map_err(|e| e.to_string()).and_then(|g| equal("draws", g, want.clone())),
    ));
    // Consistency: without PS-03 and PS-05 (same scale), the draws are the same subsequence.
    let sub_ids = ["PS-01", "PS-02", "PS-04"];
    let sub_w = [weights[0], weights[1], weights[3]];
    let got = weighted_sample(&sub_ids, &sub_w, "20250101", 8, None).map(|draws| {
        draws.into_iter().map(|d| (sub_ids[d.index], d.generation, d.ticket)).collect::<Vec<_>>()
    });
    let want8: Vec<(&str, u32, String)> = want.iter().take(8).cloned().collect();
    out.push((
        "psephos PPEB: subset consistency".to_owned(),
        got.map_err(|e| e.to_string()).and_then(|g| equal("draws", g, want8)),
    ));
    //   python3 ppeb_reference.py "dice 1 6 2 5 3 4" 10 "('pct 1', 1):3/4" "('pct 2', 1):1/4" b:2/4
    let ids = ["('pct 1', 1)", "('pct 2', 1)", "b"];
    let weights = [Weight::new(3, 4), Weight::new(1, 4), Weight::new(2, 4)];
    let want: Vec<(&str, u32)> = vec![
        ("b", 1),
        ("('pct 1', 1)", 1),
        ("b", 2),
        ("b", 3),
        ("b", 4),
        ("('pct 2', 1)", 1),
        ("('pct 1', 1)", 2),
        ("('pct 1', 1)", 3),
        ("('pct 1', 1)", 4),
        ("('pct 2', 1)", 2),
    ];
    let got = weighted_sample(&ids, &weights, "dice 1 6 2 5 3 4", 10, None)
        .map(|draws| draws.into_iter().map(|d| (ids[d.index], d.generation)).collect::<Vec<_>>());
    out.push((
        "psephos PPEB: tuple ids, seed with spaces".to_owned(),
        got.map_err(|e| e.to_string()).and_then(|g| equal("draws", g, want)),
    ));
    out
}

#[test]
fn sampling_vectors() {
    report_claimed("sampling", CLAIMS, check, extra());
}
