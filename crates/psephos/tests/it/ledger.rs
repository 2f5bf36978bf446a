//! The demo's signed ledger and bundle: `psephos verify` passes on the bundle as written, and
//! catches each tampering the issue names with a message that says what and where.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::{Scratch, copy_tree, psephos};

/// One small demo, built once for every test here.
fn demo() -> &'static Path {
    static DEMO: OnceLock<(Scratch, PathBuf)> = OnceLock::new();
    let (_, dir) = DEMO.get_or_init(|| {
        let scratch = Scratch::new("ledger-demo");
        let out = psephos(
            &scratch.0,
            &[
                "--quiet",
                "demo",
                "--out",
                "d",
                "--stations",
                "700",
                "--candidates",
                "120",
                "--format",
                "json",
            ],
        );
        assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
        let dir = scratch.0.join("d");
        (scratch, dir)
    });
    dir
}

/// A fresh copy of the demo's bundle to tamper with.
fn bundle_copy(name: &str) -> (Scratch, PathBuf) {
    let scratch = Scratch::new(&format!("ledger-{name}"));
    let to = scratch.0.join("bundle");
    copy_tree(&demo().join("bundle"), &to);
    (scratch, to)
}

/// Runs `psephos verify` and returns (exit code, standard output).
fn verify(bundle: &Path) -> (i32, String) {
    let out =
        psephos(bundle.parent().unwrap_or(bundle), &["verify", &bundle.display().to_string()]);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read bundle dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, base, out);
        } else {
            let rel = path.strip_prefix(base).expect("under base");
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
}

fn bundle_files(bundle: &Path) -> Vec<String> {
    let mut out = Vec::new();
    files(bundle, bundle, &mut out);
    out.sort();
    out
}

/// The entries of an entry bundle (u16 big-endian length prefixes).
fn split_entries(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let [a, b, tail @ ..] = rest {
        let n = usize::from(u16::from_be_bytes([*a, *b]));
        out.push(tail[..n].to_vec());
        rest = &tail[n..];
    }
    out
}

fn join_entries(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&u16::try_from(e.len()).expect("short entry").to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

fn first_entry_bundle(bundle: &Path) -> PathBuf {
    let name = bundle_files(bundle)
        .into_iter()
        .find(|f| f.starts_with("log/tile/entries/"))
        .expect("an entry bundle");
    bundle.join(name)
}

#[test]
fn the_demo_bundle_verifies() {
    let (code, out) = verify(&demo().join("bundle"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("holds"), "{out}");
    // The package holds the registry, the log its checkpoints.
    assert!(demo().join("package/keys.csv").exists());
    assert!(demo().join("ledger/checkpoint").exists());
}

#[test]
fn a_flipped_vote_is_caught_at_its_leaf_and_station() {
    let (_s, bundle) = bundle_copy("flip");
    let path = first_entry_bundle(&bundle);
    let mut entries = split_entries(&std::fs::read(&path).expect("read"));
    // The first form's first vote count: change one digit, keeping the length.
    let (index, at) = entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| {
            let text = std::str::from_utf8(e).ok()?;
            let votes = text.find("\"votes\":{")?;
            let colon = text[votes + 9..].find(':')? + votes + 9;
            Some((i, colon + 1))
        })
        .expect("a form entry");
    let digit = entries[index][at];
    entries[index][at] = if digit == b'9' { b'8' } else { digit + 1 };
    std::fs::write(&path, join_entries(&entries)).expect("write");
    let station = {
        let text = String::from_utf8_lossy(&entries[index]).into_owned();
        let s = text.find("\"station\":\"").expect("station") + 11;
        text[s..s + text[s..].find('"').expect("end")].to_owned()
    };
    let (code, out) = verify(&bundle);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("leaf {index} station={station}")) && out.contains("wrongly signed"),
        "the altered form is not named with its leaf and station:\n{out}"
    );
    assert!(
        out.contains(&format!("entry {index} is not the record the checkpoint committed to")),
        "{out}"
    );
}

#[test]
fn a_dropped_form_is_caught() {
    let (_s, bundle) = bundle_copy("drop");
    let path = first_entry_bundle(&bundle);
    let mut entries = split_entries(&std::fs::read(&path).expect("read"));
    entries.remove(5);
    std::fs::write(&path, join_entries(&entries)).expect("write");
    let (code, out) = verify(&bundle);
    assert_eq!(code, 1, "{out}");
    let rel = path.strip_prefix(&bundle).expect("rel").display().to_string();
    assert!(out.contains(&rel) && out.contains("entries"), "{out}");
}

#[test]
fn reordered_entries_are_caught() {
    let (_s, bundle) = bundle_copy("reorder");
    let path = first_entry_bundle(&bundle);
    let mut entries = split_entries(&std::fs::read(&path).expect("read"));
    entries.swap(3, 4);
    std::fs::write(&path, join_entries(&entries)).expect("write");
    let (code, out) = verify(&bundle);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "entry 3 is the record the checkpoint has at leaf 4: the entries were reordered"
        ),
        "{out}"
    );
}

#[test]
fn a_swapped_checkpoint_is_caught() {
    let (_s, bundle) = bundle_copy("swap");
    let a = bundle.join("checkpoints/000001");
    let b = bundle.join("checkpoints/000002");
    let (ta, tb) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    std::fs::write(&a, &tb).expect("write a");
    std::fs::write(&b, &ta).expect("write b");
    let (code, out) = verify(&bundle);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("checkpoints/000002: inconsistent: rollback"), "{out}");
    assert!(out.contains("checkpoints/000001: altered"), "{out}");
}

#[test]
fn any_single_byte_changed_in_any_file_is_caught() {
    let (_s, bundle) = bundle_copy("bytes");
    let names = bundle_files(&bundle);
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        let path = bundle.join(name);
        let original = std::fs::read(&path).expect("read");
        let mut changed = original.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        std::fs::write(&path, &changed).expect("write");
        let (code, out) = verify(&bundle);
        std::fs::write(&path, &original).expect("restore");
        assert_eq!(code, 1, "a byte changed in {name} went unnoticed:\n{out}");
        assert!(out.contains(&format!("FAIL  {name}")), "{name} is not named:\n{out}");
    }
    let (code, out) = verify(&bundle);
    assert_eq!(code, 0, "restored bundle: {out}");
}

#[test]
fn a_published_seat_that_does_not_follow_is_named() {
    let (_s, bundle) = bundle_copy("seat");
    let path = bundle.join("results/totals.json");
    let text = std::fs::read_to_string(&path).expect("read");
    // Raise the first vote figure by one (an edit that keeps valid JSON).
    let at = text.find("\"votes\": ").expect("a votes figure") + 9;
    let end = at + text[at..].find(|c: char| !c.is_ascii_digit()).expect("digits end");
    let n: u64 = text[at..end].parse().expect("number");
    let edited = format!("{}{}{}", &text[..at], n + 1, &text[end..]);
    std::fs::write(&path, edited).expect("write");
    let (code, out) = verify(&bundle);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("is published as {}; the log gives {n}", n + 1)),
        "the figure is not named:\n{out}"
    );
}

/// Every `psephos ledger` command, from an empty ledger to a verified bundle, and the refusals
/// that leave the ledger as it was.
#[test]
fn the_ledger_commands_from_init_to_a_verified_bundle() {
    let scratch = Scratch::new("ledger-commands");
    let dir = &scratch.0;
    copy_tree(&demo().join("package"), &dir.join("package"));
    copy_tree(&demo().join("keys"), &dir.join("keys"));
    let key = |name: &str| format!("keys/{name}.key");
    let run = |args: &[&str]| {
        let out = psephos(dir, args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let size = || std::fs::read_to_string(dir.join("l/size")).expect("size").trim().to_owned();
    let checkpoint = |time: &str| {
        run(&[
            "ledger",
            "checkpoint",
            "l",
            "--package",
            "package",
            "--key",
            &key("demo.psephos.org_iq-2021"),
            "--witness",
            &key("witness-observers"),
            "--witness",
            &key("witness-parties"),
            "--time",
            time,
        ])
    };

    let (code, out) = run(&[
        "ledger",
        "init",
        "l",
        "--package",
        "package",
        "--origin",
        "test.example/log",
        "--corrections-quorum",
        "2",
        "--witness-quorum",
        "2",
        "--key",
        &key("commissioner-1"),
        "--key",
        &key("commissioner-2"),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) =
        run(&["ledger", "init", "l", "--package", "package", "--key", &key("commissioner-1")]);
    assert_eq!(code, 1, "a ledger is never restarted: {out}");

    let (code, out) = run(&[
        "ledger",
        "append",
        "l",
        "--package",
        "package",
        "--forms",
        "package/results",
        "--key",
        &key("operator-national-centre"),
    ]);
    assert_eq!(code, 0, "{out}");
    let appended = size();
    let (code, out) = checkpoint("1633953600");
    assert_eq!(code, 0, "{out}");

    // A changed form under the same identity is refused, and nothing is appended.
    let first = std::fs::read_dir(dir.join("package/results/electronic"))
        .expect("results")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    let text = std::fs::read_to_string(&first).expect("read");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let row = lines.next().expect("a row");
    let cells: Vec<&str> = row.split(',').collect();
    let (station, contest) = (cells[0].to_owned(), cells[1].to_owned());
    let mut changed: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
    let last = changed.len() - 1;
    changed[last] = (changed[last].parse::<u32>().expect("count") + 1).to_string();
    changed[4] = (changed[4].parse::<u32>().expect("count") + 1).to_string();
    std::fs::write(dir.join("changed.csv"), format!("{header}\n{}\n", changed.join(",")))
        .expect("write");
    let (code, out) = run(&[
        "ledger",
        "append",
        "l",
        "--package",
        "package",
        "--forms",
        "changed.csv",
        "--key",
        &key("operator-national-centre"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("conflict") && out.contains(&station), "{out}");
    assert_eq!(size(), appended, "a refused append changed the ledger");

    // The same change as a correction: refused with one commissioner, accepted with two.
    let mut entries = Vec::new();
    let mut bundles: Vec<PathBuf> = std::fs::read_dir(dir.join("l/tile/entries"))
        .expect("entry bundles")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    bundles.sort();
    for b in &bundles {
        entries.extend(split_entries(&std::fs::read(b).expect("bundle")));
    }
    let (index, record) = entries
        .iter()
        .enumerate()
        .find_map(|(i, e)| {
            let v: serde_json::Value = serde_json::from_slice(e).ok()?;
            let r = v["record"].clone();
            (r["station"] == station.as_str() && r["contest"] == contest.as_str()).then_some((i, r))
        })
        .expect("the form in the ledger");
    let mut correction = record.clone();
    correction["kind"] = "correction".into();
    correction["phase"] = "correction".into();
    correction["reason"] = "transcription error on the tally sheet".into();
    correction["supersedes"] = serde_json::json!({
        "index": index,
        "leaf_hash": psephos_ledger::leaf_hash(&entries[index]).iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    std::fs::write(dir.join("correction.json"), correction.to_string()).expect("write");
    let (code, out) = run(&[
        "ledger",
        "append",
        "l",
        "--package",
        "package",
        "--record",
        "correction.json",
        "--key",
        &key("commissioner-1"),
    ]);
    assert_eq!(code, 1, "one commissioner cannot correct: {out}");
    assert_eq!(size(), appended);
    let (code, out) = run(&[
        "ledger",
        "append",
        "l",
        "--package",
        "package",
        "--record",
        "correction.json",
        "--key",
        &key("commissioner-1"),
        "--key",
        &key("commissioner-4"),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&[
        "ledger",
        "append",
        "l",
        "--package",
        "package",
        "--results",
        "--key",
        &key("commissioner-1"),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = checkpoint("1633957200");
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&["ledger", "prove", "l", "--from", "3", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&[
        "ledger",
        "export",
        "l",
        "--package",
        "package",
        "--out",
        "bundle",
        "--key",
        &key("commissioner-1"),
        "--key",
        &key("commissioner-3"),
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = verify(&dir.join("bundle"));
    assert_eq!(code, 0, "{out}");
}

/// `verify` recounts a log's forms from the ledger's typed records
/// (`psephos_io::read_form_fields`), not from JSON text: the forms and diagnostics must be
/// exactly those of the same forms written as JSON lines, good and bad alike, on the
/// sequential path and the parallel one.
#[test]
fn form_fields_read_as_their_json_lines() {
    let package =
        psephos_io::load_package(&crate::support::tests_dir().join("sntv/phase-precedence"))
            .expect("fixture package");
    let e = &package.election;
    type Form = (String, String, String, u32, [u32; 3], Vec<(Cow<'static, str>, u32)>);
    let good = |station: &str, version: u32, a1: u32| -> Form {
        let votes = vec![("A1".into(), a1), ("A2".into(), 30), ("A3".into(), 28)];
        let found = a1 + 58 + 2;
        (station.into(), "D1".into(), "electronic".into(), version, [found, 1, 1], votes)
    };
    let mut forms: Vec<Form> = Vec::new();
    for i in 0..5000u32 {
        let mut f = good(if i % 2 == 0 { "S1" } else { "S2" }, i / 2 + 1, 40 + i % 7);
        match i % 97 {
            1 => f.0 = "S9".into(),          // unknown station
            2 => f.1 = "D7".into(),          // unknown contest
            3 => f.2 = "tally".into(),       // unknown phase
            4 => f.3 = 0,                    // version 0
            5 => f.5.push(("Z1".into(), 3)), // unknown candidate
            6 => f.4[0] = 1,                 // fewer ballots than votes
            7 => {
                f.5.pop(); // a candidate missing
            }
            8 => f.2 = "correction".into(),
            _ => {}
        }
        forms.push(f);
    }
    // A conflicting duplicate of the first form.
    let mut dup = forms[0].clone();
    dup.5[1].1 += 1;
    forms.push(dup);
    for n in [40, forms.len()] {
        let forms = &forms[..n];
        let jsonl: String = forms
            .iter()
            .map(|(s, c, p, v, counts, votes)| {
                let votes: serde_json::Map<String, serde_json::Value> =
                    votes.iter().map(|(k, n)| (k.to_string(), (*n).into())).collect();
                serde_json::json!({"station": s, "contest": c, "phase": p, "version": v,
                    "ballots_found": counts[0], "blank": counts[1], "invalid": counts[2],
                    "votes": votes})
                .to_string()
                    + "\n"
            })
            .collect();
        let fields: Vec<psephos_io::FormFields<'_>> = forms
            .iter()
            .enumerate()
            .map(|(i, (s, c, p, v, counts, votes))| psephos_io::FormFields {
                line: i as u64 + 1,
                station: s,
                contest: c,
                phase: p,
                version: *v,
                counts: *counts,
                votes,
            })
            .collect();
        let text = psephos_io::parse_results(e, "log.jsonl", jsonl.as_bytes());
        let typed = psephos_io::read_form_fields(e, "log.jsonl", &fields);
        assert!(!text.diagnostics.is_empty(), "the bad forms are reported");
        assert_eq!(typed.diagnostics, text.diagnostics, "{n} forms: diagnostics");
        assert_eq!(typed.rows, text.rows);
        assert_eq!(format!("{:?}", typed.forms), format!("{:?}", text.forms), "{n} forms");
    }
}
