//! Seat-allocation fixtures: each directory under `tests/sntv/` is a small election package;
//! `expected.txt` lists the seats, quota outcomes and lots that `psephos allocate` must produce.

use serde_json::Value;

use crate::support::{check_expected, psephos, tests_dir};

/// A stable, readable rendering of `allocate --format json`.
fn render(v: &Value) -> String {
    let s = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let mut out = String::new();
    for seat in v["seats"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "seat {} {} {} votes={}",
            s(&seat["contest"]),
            s(&seat["candidate"]),
            s(&seat["reason"]),
            seat["votes"]
        ));
        if !seat["replaced"].is_null() {
            out.push_str(&format!(" replaced={}", s(&seat["replaced"])));
        }
        out.push('\n');
    }
    for q in v["quotas"].as_array().into_iter().flatten() {
        let replacements: Vec<String> = q["replacements"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| format!("{}>{}", s(&r["elected"]), s(&r["replaced"])))
            .collect();
        out.push_str(&format!(
            "quota {} {} minimum={} won_on_votes={} replacements=[{}] unmet={}\n",
            s(&q["contest"]),
            s(&q["rule"]),
            q["minimum"],
            q["won_on_votes"],
            replacements.join(","),
            q["unmet"]
        ));
    }
    for t in v["ties"].as_array().into_iter().flatten() {
        // The tickets' first 16 hex digits: SHA-256 of "seed|contest|candidate" (docs/ties.md).
        let order: Vec<String> = t["order"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| format!("{}:{}", s(&o["candidate"]), &s(&o["ticket"])[..16]))
            .collect();
        let chosen: Vec<String> = t["chosen"].as_array().into_iter().flatten().map(s).collect();
        out.push_str(&format!(
            "tie {} votes={} order=[{}] chosen=[{}]: {}\n",
            s(&t["contest"]),
            t["votes"],
            order.join(","),
            chosen.join(","),
            s(&t["question"])
        ));
    }
    for l in v["lists"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "list {} {} votes={} seats={}{}{} last_won={} next={}\n",
            s(&l["contest"]),
            s(&l["list"]),
            l["votes"],
            l["seats"],
            match l["leveling"].as_u64() {
                Some(n) if n > 0 => format!(" leveling={n}"),
                _ => String::new(),
            },
            if l["below_threshold"] == true { " below-threshold" } else { "" },
            s(&l["last_won"]),
            s(&l["next"])
        ));
    }
    for t in v["list_ties"].as_array().into_iter().flatten() {
        let lists: Vec<String> = t["lists"].as_array().into_iter().flatten().map(s).collect();
        let chosen: Vec<String> = t["chosen"].as_array().into_iter().flatten().map(s).collect();
        let tickets: Vec<String> =
            t["tickets"].as_array().into_iter().flatten().map(|x| s(x)[..16].to_owned()).collect();
        out.push_str(&format!(
            "list-tie {} seats={} lists=[{}] chosen=[{}] rule={} tickets=[{}]\n",
            s(&t["contest"]),
            t["seats"],
            lists.join(","),
            chosen.join(","),
            s(&t["rule"]),
            tickets.join(",")
        ));
    }
    for g in v["agreements"].as_array().into_iter().flatten() {
        let lists: Vec<String> = g["lists"].as_array().into_iter().flatten().map(s).collect();
        out.push_str(&format!(
            "agreement {} {} lists=[{}] votes={} seats={}\n",
            s(&g["contest"]),
            s(&g["agreement"]),
            lists.join(","),
            g["votes"],
            g["seats"]
        ));
    }
    let tier = &v["leveling"];
    if !tier.is_null() {
        out.push_str(&format!(
            "leveling national_seats={} total_votes={}\n",
            tier["national_seats"], tier["total_votes"]
        ));
        for p in tier["parties"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "leveling-party {} votes={} qualified={} set_aside={} entitlement={} district={} leveling={}\n",
                s(&p["party"]),
                p["votes"],
                p["qualified"],
                p["set_aside"],
                p["entitlement"],
                p["district_seats"],
                p["leveling_seats"]
            ));
        }
        for pl in tier["placements"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "leveling-seat {} {} quotient={} candidate={}\n",
                s(&pl["contest"]),
                s(&pl["party"]),
                s(&pl["quotient"]),
                s(&pl["candidate"])
            ));
        }
        for t in tier["national_ties"].as_array().into_iter().flatten() {
            out.push_str(&format!("leveling-national-tie {t}\n"));
        }
        for t in tier["placement_ties"].as_array().into_iter().flatten() {
            out.push_str(&format!("leveling-placement-tie {t}\n"));
        }
    }
    out.push_str(&format!("seats={} empty={}\n", v["totals"]["seats"], v["totals"]["empty"]));
    out
}

#[test]
fn sntv_fixtures() {
    run_fixtures("sntv", "SNTV fixtures");
}

#[test]
fn list_pr_fixtures() {
    run_fixtures("listpr", "List-PR fixtures");
}

fn run_fixtures(dir: &str, suite: &str) {
    let root = tests_dir().join(dir);
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    for case in &cases {
        let out = psephos(case, &["--quiet", "allocate", ".", "--format", "json"]);
        assert!(
            out.status.success(),
            "{}: {}",
            case.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("allocate prints JSON");
        if let Some(f) = check_expected(&case.join("expected.txt"), &render(&v)) {
            failures.push(f);
        }
    }
    eprintln!("{suite}: {} of {} as expected", cases.len() - failures.len(), cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
