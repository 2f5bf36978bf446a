//! Conformance against the published Iraq 2021 figures in `$PSEPHOS_CONFORMANCE/iraq/`
//! (default `../shared/conformance`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::support::{Scratch, psephos};

fn conformance_dir() -> PathBuf {
    match std::env::var_os("PSEPHOS_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect()
}

#[test]
fn iraq_2021_structure_matches_published_figures() {
    let dir = conformance_dir().join("iraq");
    let districts = std::fs::read_to_string(dir.join("iq_2021_districts_by_governorate.csv"))
        .unwrap_or_else(|e| {
            panic!("{}: {e}; set PSEPHOS_CONFORMANCE to the conformance data", dir.display())
        });
    let scratch = Scratch::new("conformance-iraq");
    let pkg = scratch.0.join("pkg");
    let out = psephos(&scratch.0, &["init", "--template", "iraq-2021", pkg.to_str().unwrap()]);
    assert!(out.status.success());
    let contests = rows(&std::fs::read_to_string(pkg.join("contests.csv")).unwrap());
    // Per governorate: (districts, general seats, minority seats) from the template.
    let mut ours: HashMap<String, (u32, u32, u32)> = HashMap::new();
    for c in &contests {
        let e = ours.entry(c[2].clone()).or_default();
        let seats: u32 = c[3].parse().unwrap();
        if c[4] == "district" {
            e.0 += 1;
            e.1 += seats;
            assert!(
                (3..=5).contains(&seats),
                "district {} has {seats} seats; the law says 3 to 5",
                c[0]
            );
        } else {
            e.2 += seats;
        }
    }
    let mut checks = 0;
    let mut failures = Vec::new();
    for r in rows(&districts) {
        let name = r[0].split(" (").next().unwrap().to_owned();
        let published: (u32, u32, u32) =
            (r[1].parse().unwrap(), r[3].parse().unwrap(), r[4].parse().unwrap());
        checks += 1;
        if ours.get(&name) != Some(&published) {
            failures
                .push(format!("{name}: published {published:?}, template {:?}", ours.get(&name)));
        }
    }
    let seats_by_bloc =
        std::fs::read_to_string(dir.join("iq_2021_final_seats_by_bloc.csv")).unwrap();
    let published_total: u32 =
        rows(&seats_by_bloc).iter().map(|r| r[1].parse::<u32>().unwrap()).sum();
    let template_total: u32 = contests.iter().map(|c| c[3].parse::<u32>().unwrap()).sum();
    checks += 1;
    if published_total != template_total {
        failures
            .push(format!("total seats: published {published_total}, template {template_total}"));
    }
    eprintln!("iraq conformance: {} of {checks} checks pass", checks - failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
