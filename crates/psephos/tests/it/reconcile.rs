//! `psephos reconcile` when a recount changes a seat: the tied district of the audit fixture,
//! recounted at one station, moves the seat from the lot's winner to the other candidate; an
//! identical recount and one within tolerance change nothing.

use crate::support::{Scratch, copy_tree, psephos, tests_dir};

#[test]
fn a_recount_that_changes_a_seat_is_reported() {
    let dir = Scratch::new("reconcile-seat");
    copy_tree(&tests_dir().join("audit/two-districts"), &dir.0);
    // D2 is tied at 100 to 100 in the electronic count; the lot seats one. The recount of T1 finds X 55 and Y 45 where
    // the count said 60 and 40: Y leads 105 to 95. S01 is recounted identically, S02 one vote
    // off (A 69, B 21).
    std::fs::write(
        dir.0.join("results/recounts.csv"),
        "station,contest,phase,version,ballots_found,blank,invalid,A,B,C,X,Y\n\
         T1,D2,recount,1,100,0,0,,,,55,45\n\
         S01,D1,recount,1,100,0,0,70,20,10,,\n\
         S02,D1,recount,1,100,0,0,69,21,10,,\n",
    )
    .expect("write recounts");
    let before = psephos(&dir.0, &["allocate", ".", "--phase", "electronic", "--format", "json"]);
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).expect("allocate JSON");
    let d2 = before["seats"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["contest"] == "D2"))
        .cloned()
        .expect("a D2 seat");
    let out = psephos(&dir.0, &["reconcile", ".", "--tolerance", "1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("reconcile JSON");
    let changes = v["seat_changes"].as_array().expect("seat_changes");
    assert_eq!(changes.len(), 1, "{v}");
    let c = &changes[0];
    assert_eq!(c["contest"], "D2");
    // The recount selects the other candidate: the allocation's own winner loses the seat.
    let (lost, gained) = (&c["lost"][0], &c["gained"][0]);
    assert_eq!(lost["candidate"], d2["candidate"]);
    let (hand_lost, hand_gained) = (lost["votes_hand"].as_u64(), gained["votes_hand"].as_u64());
    assert!(hand_gained > hand_lost, "{c}");
    assert_eq!(hand_lost.unwrap_or(0) + hand_gained.unwrap_or(0), 200);
    // The words commissions use.
    let table = psephos(&dir.0, &["reconcile", ".", "--tolerance", "1"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("3 station ballot(s) recounted"), "{text}");
    assert!(text.contains("1 identical"), "{text}");
    assert!(text.contains("1 seat(s) change"), "{text}");
}
