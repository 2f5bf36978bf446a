//! Hart (`hart`): a folder with one small XML file per ballot sheet (spec §5).

use std::collections::HashMap;
use std::io::BufReader;

use psephos_model::Code;
use quick_xml::events::Event;

use super::source::Settings;
use super::xml::{Node, read_node};
use super::{ReadOptions, Sink, UNDECLARED_WRITE_INS};

pub(super) fn read(s: &Settings, sink: &mut Sink, options: &ReadOptions) {
    if options.verify_signatures {
        sink.error(
            None,
            Code::CvrUnsupported,
            None,
            "the run requires signed Hart files, and psephos cannot check Hart signatures; verify them with RCTab".into(),
        );
        return;
    }
    let entries = match std::fs::read_dir(&s.path) {
        Ok(e) => e,
        Err(e) => {
            sink.error(
                None,
                Code::CvrMissingFile,
                None,
                format!("unable to find any files in the folder: {e}"),
            );
            return;
        }
    };
    // RCTab takes the directory's order; sorted names make ids and audit output repeatable.
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            let lower = n.to_lowercase();
            lower.ends_with("xml") && !lower.ends_with(".sig.xml")
        })
        .collect();
    files.sort();
    let folder = sink.file.clone();
    // Option code → the name first seen for it.
    let mut names: HashMap<String, String> = HashMap::new();
    for name in files {
        sink.file = format!("{folder}/{name}");
        match parse(&s.path.join(&name)) {
            Ok(root) => sheet(&root, s, &mut names, &name, sink),
            Err((code, msg)) => sink.error(None, code, None, msg),
        }
    }
    sink.file = folder;
}

/// The root element of one file.
fn parse(path: &std::path::Path) -> Result<Node, (Code, String)> {
    let file = std::fs::File::open(path)
        .map_err(|e| (Code::CvrMissingFile, format!("cannot read the file: {e}")))?;
    let mut r = quick_xml::Reader::from_reader(BufReader::new(file));
    r.config_mut().trim_text(false);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let owned = e.into_owned();
                return read_node(&mut r, &owned, &mut buf)
                    .map_err(|m| (Code::CvrSyntax, format!("malformed XML: {m}")));
            }
            Ok(Event::Empty(e)) => return Ok(super::xml::start_node(&e)),
            Ok(Event::Eof) => return Err((Code::CvrSyntax, "the file has no root element".into())),
            Ok(_) => {}
            Err(e) => return Err((Code::CvrSyntax, format!("malformed XML: {e}"))),
        }
    }
}

/// One sheet: a CVR for each entry of the configured contest.
fn sheet(
    root: &Node,
    s: &Settings,
    names: &mut HashMap<String, String>,
    file: &str,
    sink: &mut Sink,
) {
    let Some(contests) = root.child("Contests") else {
        sink.error(None, Code::CvrStructure, Some("Contests"), "the sheet has no Contests".into());
        return;
    };
    for contest in contests.all("Contest") {
        if contest.text_of("Id").as_deref() != Some(s.contest_id.as_str()) {
            continue;
        }
        let guid = root.text_of("CvrGuid");
        let mut spoiled = false;
        let mut fail = |sink: &mut Sink, field: &str, msg: String| {
            sink.error(None, Code::CvrStructure, Some(field), msg);
            spoiled = true;
        };
        for option in contest.child("Options").into_iter().flat_map(|o| o.all("Option")) {
            let Some(code) = option.text_of("Id") else {
                fail(sink, "Id", "an option has no Id".into());
                continue;
            };
            let label = if s.uwi_label.as_deref() == Some(code.as_str()) {
                UNDECLARED_WRITE_INS
            } else {
                let Some(name) = option.text_of("Name") else {
                    fail(sink, "Name", format!("option {code} has no Name"));
                    continue;
                };
                let first = names.entry(code.clone()).or_insert_with(|| name.clone());
                if *first != name {
                    let msg = format!(
                        "candidate code {code} is associated with more than one name: \"{first}\", and \"{name}\" in {file}"
                    );
                    fail(sink, "Name", msg);
                    continue;
                }
                code.as_str()
            };
            let Some(value) = option.text_of("Value") else {
                fail(sink, "Value", format!("option {code} has no Value"));
                continue;
            };
            // Read left to right: the k-th character is 1 when the option is marked at rank k.
            for (k, c) in value.chars().enumerate() {
                if c == '1' {
                    sink.mark(k as i64 + 1, label);
                }
            }
        }
        let split = root.child("PrecinctSplit");
        if split.is_none() {
            fail(sink, "PrecinctSplit", "the sheet has no PrecinctSplit".into());
        }
        if spoiled {
            sink.discard();
            continue;
        }
        let precinct = split.and_then(|p| p.text_of("Name")).unwrap_or_default();
        let batch = root.text_of("BatchNumber").unwrap_or_default();
        let id = guid.clone().unwrap_or_else(|| file.to_owned());
        if sink.observing() {
            sink.meta.contest_id.clone_from(&s.contest_id);
            sink.meta.supplied_id = guid.clone().unwrap_or_default();
            sink.meta.precinct_portion = split.and_then(|p| p.text_of("Id")).unwrap_or_default();
        }
        sink.commit(|| id, None, &precinct, &batch);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        check_case, count_of, rankings, read_json_source, suite_dir, temp_dir,
    };
    use super::super::{ReadOptions, UNDECLARED_WRITE_INS};
    use psephos_model::Code;

    #[test]
    fn hart_cases() {
        let set = check_case("hart_cedar_park_school_board");
        assert!(set.labels.iter().any(|l| l == UNDECLARED_WRITE_INS), "{:?}", set.labels);
        assert!(set.precincts.iter().any(|p| p == "10-1"), "{:?}", set.precincts);
        // 1_826a70f1…: Bev Scalze, April King, Russ Bertsch, Barb Yarusso, rank 5 skipped, the
        // write-in sixth. Five sheets rank the six candidates in the same order.
        let r = rankings(&set);
        assert!(
            r.iter().any(|(x, n)| *n == 1
                && x.starts_with("1:2b6f6f6a-")
                && x.contains(" 4:145d5655-")
                && x.ends_with(" 6:Undeclared Write-ins")),
            "{r:?}"
        );
        let carlson = "1:24483a8b-b4c9-4f2f-8aa9-c1e867c9d88e 2:6f2df7d3-5c83-4fc7-b4a5-c2eca9e5fdb4 \
                       3:5f1a7e93-d5d7-498d-94d5-101356477f30 4:c0398b1e-9837-48ad-937d-a9048390eb65 \
                       5:2b6f6f6a-4693-40fb-9ea2-38c4819c08bf 6:9d64820a-ec36-48fc-a12c-0a77933f11d1";
        assert_eq!(count_of(&set, carlson), 5);
        check_case("hart_travis_county_officers");
    }

    #[test]
    fn signatures_are_unsupported_and_names_must_agree() {
        let dir = suite_dir().join("_shared");
        let source = r#"{"provider":"hart","filePath":"hart_cvr_archive","contestId":"x"}"#;
        let options = ReadOptions { verify_signatures: true, ..ReadOptions::default() };
        let (_, diags) = read_json_source(&dir, source, &options);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::CvrUnsupported);

        let dir = temp_dir("hart");
        let sheet = |opt_name: &str| {
            format!(
                "\u{feff}<Cvr xmlns=\"http://tempuri.org/CVRDesign.xsd\"><Contests><Contest><Id>C</Id><Options>\
                 <Option><Name>{opt_name}</Name><Id>o1</Id><Value>01</Value></Option></Options></Contest></Contests>\
                 <PrecinctSplit><Name>P</Name><Id>p</Id></PrecinctSplit><BatchNumber>3</BatchNumber><CvrGuid>g</CvrGuid></Cvr>"
            )
        };
        std::fs::write(dir.join("a.xml"), sheet("Ann")).unwrap();
        std::fs::write(dir.join("b.XML"), sheet("Bob")).unwrap();
        std::fs::write(dir.join("a.xml.sig.xml"), "not read").unwrap();
        let source = r#"{"provider":"hart","filePath":".","contestId":"C"}"#;
        let (set, diags) = read_json_source(&dir, source, &ReadOptions::default());
        assert_eq!(set.total(), 1);
        assert_eq!(rankings(&set)[0].0, "2:o1");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].file.as_deref(), Some("./b.XML"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
