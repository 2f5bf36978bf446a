//! Form entries of the usual shape, read straight from their bytes.
//!
//! Nearly every entry of a log is a station's form, written by psephos in one shape: printable
//! ASCII ids without escapes, counts as plain digits, no images, one or more signatures. Such
//! an entry is read here without building a JSON tree, checking exactly what the general
//! reader checks (canonical JSON: no whitespace, members in key order, numbers and strings in
//! canonical form; the record schema; the signature encoding). Anything else — another kind,
//! an escape, a non-ASCII byte, a number that is not a plain count, a missing or extra member,
//! any error — makes [`parse`] return `None` and the entry goes to the general reader, which
//! accepts it or says precisely why not. So this path only ever accepts, and what it accepts
//! the general reader accepts with the same result (tested below on generated and mutated
//! entries).

use std::borrow::Cow;

use psephos_model::Phase;

use crate::base64;
use crate::checkpoint::is_valid_key_name;
use crate::record::{
    EntrySignature, FormRecord, MAX_ENTRY_LEN, ParsedEntry, RECORD_SCHEMA, Record,
};
use crate::votes::Votes;

/// Reads `bytes` as a form entry of the usual shape, or `None` to leave it to the general
/// reader (see the module comment).
pub(crate) fn parse(bytes: &[u8]) -> Option<ParsedEntry<'_>> {
    if bytes.len() > MAX_ENTRY_LEN {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut c = Cursor { text, at: 0 };
    c.literal("{\"record\":")?;
    let record_start = c.at;
    c.literal("{\"ballots_found\":")?;
    let ballots_found = c.count()?;
    c.literal(",\"blank\":")?;
    let blank = c.count()?;
    c.literal(",\"contest\":")?;
    let contest = c.id()?;
    c.literal(",\"invalid\":")?;
    let invalid = c.count()?;
    c.literal(",\"kind\":\"form\",\"phase\":")?;
    let phase = Phase::parse(c.string()?).filter(|&p| p != Phase::Correction)?;
    c.literal(",\"schema\":\"")?;
    c.literal(RECORD_SCHEMA)?;
    c.literal("\",\"station\":")?;
    let station = c.id()?;
    c.literal(",\"version\":")?;
    let version = c.count().filter(|&v| v >= 1)?;
    c.literal(",\"votes\":")?;
    let votes_start = c.at;
    c.literal("{")?;
    let mut listed = 0;
    if c.literal("}").is_none() {
        let mut previous: Option<&str> = None;
        loop {
            let id = c.id()?;
            // Ids in strictly increasing order: sorted (for ASCII, UTF-16 order is byte
            // order) and none repeated.
            if previous.is_some_and(|p| !ascending(p.as_bytes(), id.as_bytes())) {
                return None;
            }
            previous = Some(id);
            c.literal(":")?;
            c.count()?;
            listed += 1;
            if c.literal(",").is_none() {
                c.literal("}")?;
                break;
            }
        }
    }
    let votes = Votes::from_checked(Cow::Borrowed(text.get(votes_start..c.at)?), listed);
    c.literal("}")?;
    let record_end = c.at;
    c.literal(",\"signatures\":[")?;
    let mut signatures = Vec::with_capacity(1);
    loop {
        c.literal("{\"key\":")?;
        let key = c.id().filter(|k| is_valid_key_name(k))?;
        c.literal(",\"sig\":")?;
        let sig = base64::decode_array::<64>(c.string()?)?;
        c.literal("}")?;
        signatures.push(EntrySignature { key: Cow::Borrowed(key), sig });
        if c.literal(",").is_none() {
            break;
        }
    }
    c.literal("]}")?;
    if c.at != bytes.len() {
        return None;
    }
    Some(ParsedEntry {
        record_bytes: bytes.get(record_start..record_end)?,
        record: Record::Form(FormRecord {
            station: Cow::Borrowed(station),
            contest: Cow::Borrowed(contest),
            phase,
            version,
            ballots_found,
            blank,
            invalid,
            votes,
            images: Vec::new(),
        }),
        signatures,
    })
}

/// Whether `a` sorts strictly before `b`, byte by byte (ids are a few bytes: a loop beats a
/// call to `memcmp`).
#[inline]
fn ascending(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x < y;
        }
    }
    a.len() < b.len()
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// Steps over `expected` if the text goes on with it.
    fn literal(&mut self, expected: &str) -> Option<()> {
        let rest = self.text.as_bytes().get(self.at..)?;
        if rest.starts_with(expected.as_bytes()) {
            self.at += expected.len();
            Some(())
        } else {
            None
        }
    }

    /// A string of printable ASCII without escapes (so written as JCS writes it): its
    /// contents.
    fn string(&mut self) -> Option<&'a str> {
        let b = self.text.as_bytes();
        if b.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let mut end = start;
        loop {
            match *b.get(end)? {
                b'"' => break,
                b'\\' => return None,
                0x20..=0x7e => end += 1,
                _ => return None,
            }
        }
        self.at = end + 1;
        self.text.get(start..end)
    }

    /// A non-empty [`Cursor::string`].
    fn id(&mut self) -> Option<&'a str> {
        self.string().filter(|s| !s.is_empty())
    }

    /// A whole number from 0 to 2³² − 1 written in plain digits without a leading zero (as
    /// JCS writes it). What follows is for the caller to check, so `1.5` or `1e3` fail there.
    fn count(&mut self) -> Option<u32> {
        let b = self.text.as_bytes();
        let start = self.at;
        let mut value = 0u64;
        while let Some(&d @ b'0'..=b'9') = b.get(self.at) {
            if self.at - start == 10 {
                return None;
            }
            value = value * 10 + u64::from(d - b'0');
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 || (digits > 1 && b.get(start) == Some(&b'0')) {
            return None;
        }
        u32::try_from(value).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_entry_generic;
    use proptest::prelude::*;

    const SIG: &str =
        "79HZ/wGpDzTWrbrqY49q5/mamfvroJdlxMF6awimbkLhAyC/zEa2mMQ11X7QLjZB2C2XhVnI1Dgkmtkcgj/VAA==";

    fn entry(
        fields: &[(&str, String)],
        votes: &[(String, String)],
        sigs: &[(String, String)],
    ) -> String {
        let record: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let votes: Vec<String> = votes.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let sigs: Vec<String> =
            sigs.iter().map(|(k, s)| format!("{{\"key\":\"{k}\",\"sig\":\"{s}\"}}")).collect();
        format!(
            "{{\"record\":{{{},\"votes\":{{{}}}}},\"signatures\":[{}]}}",
            record.join(","),
            votes.join(","),
            sigs.join(",")
        )
    }

    fn usual(votes: &[(String, String)]) -> String {
        entry(
            &[
                ("ballots_found", "130".to_owned()),
                ("blank", "0".to_owned()),
                ("contest", "\"BGD-10\"".to_owned()),
                ("invalid", "9".to_owned()),
                ("kind", "\"form\"".to_owned()),
                ("phase", "\"electronic\"".to_owned()),
                ("schema", format!("\"{RECORD_SCHEMA}\"")),
                ("station", "\"BGD-10-0001-01\"".to_owned()),
                ("version", "1".to_owned()),
            ],
            votes,
            &[("device-BGD-10-0001-01".to_owned(), SIG.to_owned())],
        )
    }

    /// Whenever the direct path accepts, the general reader accepts with the same result.
    fn agrees(bytes: &[u8]) -> bool {
        match parse(bytes) {
            Some(direct) => parse_entry_generic(bytes).ok() == Some(direct),
            None => true,
        }
    }

    #[test]
    fn takes_the_usual_shape_and_reads_it_as_the_general_reader_does() {
        let votes: Vec<(String, String)> =
            (1..=92).map(|i| (format!("C{i:05}"), (i * 7 % 23).to_string())).collect();
        for v in [&votes[..], &[], &[("C1".to_owned(), "4294967295".to_owned())]] {
            let text = usual(v);
            let direct = parse(text.as_bytes()).expect("the usual shape");
            assert_eq!(Ok(direct.clone()), parse_entry_generic(text.as_bytes()).map_err(|e| *e));
            let Record::Form(form) = &direct.record else { panic!("a form") };
            assert_eq!(form.votes.len(), v.len());
            let read: Vec<(String, String)> =
                form.votes.iter().map(|(id, n)| (id.into_owned(), n.to_string())).collect();
            assert_eq!(&read[..], v);
        }
    }

    #[test]
    fn leaves_other_shapes_to_the_general_reader() {
        let ok = |v: &str| vec![("C1".to_owned(), v.to_owned())];
        for text in [
            usual(&ok("4294967296")),
            usual(&ok("01")),
            usual(&ok("-1")),
            usual(&ok("1.0")),
            usual(&ok("1e3")),
            usual(&[("C2".to_owned(), "1".to_owned()), ("C1".to_owned(), "1".to_owned())]),
            usual(&[("C1".to_owned(), "1".to_owned()), ("C1".to_owned(), "2".to_owned())]),
            usual(&[(String::new(), "1".to_owned())]),
            usual(&[("C\\\"1".to_owned(), "1".to_owned())]),
            usual(&[("Cé".to_owned(), "1".to_owned())]),
            usual(&ok("1")).replace("\"version\":1", "\"version\":0"),
            usual(&ok("1")).replace("electronic", "correction"),
            usual(&ok("1")).replace("{\"record\"", " {\"record\""),
            usual(&ok("1")).replace("AA==\"", "AB==\""),
            usual(&ok("1")).replace("device-BGD", "device BGD"),
        ] {
            assert!(parse(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn the_general_reader_keeps_escaped_and_non_ascii_ids_in_the_votes_text() {
        // Canonical order: by UTF-16 code units ('"' < '\\' < 'é').
        let votes = [("C\\\"1", "3"), ("C\\\\2", "4"), ("Cé", "5")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let text = usual(&votes);
        assert!(parse(text.as_bytes()).is_none());
        let entry = crate::record::parse_entry(text.as_bytes()).expect("a valid entry");
        let Record::Form(form) = entry.record else { panic!("a form") };
        let read: Vec<(String, u32)> =
            form.votes.iter().map(|(k, n)| (k.into_owned(), n)).collect();
        assert_eq!(read, [("C\"1".to_owned(), 3), ("C\\2".to_owned(), 4), ("Cé".to_owned(), 5)]);
        assert_eq!(form.votes.len(), 3);
        let owned = form.into_owned();
        assert_eq!(owned.votes.iter().count(), 3);
        assert_eq!(owned.form_value()["votes"]["C\"1"], 3);
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..1000).prop_map(|n| n.to_string()),
            Just("4294967295".to_owned()),
            Just("4294967296".to_owned()),
            Just("9999999999".to_owned()),
            Just("00".to_owned()),
            Just("-0".to_owned()),
            Just("-3".to_owned()),
            Just("2.5".to_owned()),
            Just("1e2".to_owned()),
            Just("\"7\"".to_owned()),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z][A-Z0-9-]{0,6}",
            Just(String::new()),
            Just("a b".to_owned()),
            Just("é".to_owned()),
            Just("q\\\"".to_owned()),
            Just("\\u001f".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn agrees_with_the_general_reader(
            counts in proptest::collection::vec(number(), 4),
            ids in proptest::collection::vec(text(), 2),
            phase in prop_oneof![Just("electronic"), Just("manual"), Just("recount"), Just("correction"), Just(""), Just("x")],
            kind in prop_oneof![Just("form"), Just("form"), Just("correction"), Just("key")],
            votes in proptest::collection::vec((text(), number()), 0..6),
            sort in any::<bool>(),
            sigs in proptest::collection::vec((text(), prop_oneof![Just(SIG.to_owned()), Just(String::new()), Just("AAAA".to_owned())]), 0..3),
            extra in prop_oneof![Just(None), Just(Some(("images", "[]"))), Just(Some(("zz", "1")))],
        ) {
            let mut votes = votes;
            if sort {
                votes.sort();
            }
            let mut fields = vec![
                ("ballots_found", counts[0].clone()),
                ("blank", counts[1].clone()),
                ("contest", format!("\"{}\"", ids[0])),
                ("invalid", counts[2].clone()),
                ("kind", format!("\"{kind}\"")),
                ("phase", format!("\"{phase}\"")),
                ("schema", format!("\"{RECORD_SCHEMA}\"")),
                ("station", format!("\"{}\"", ids[1])),
                ("version", counts[3].clone()),
            ];
            if let Some((k, v)) = extra {
                fields.push((k, v.to_owned()));
                fields.sort_by(|a, b| a.0.cmp(b.0));
            }
            let text = entry(&fields, &votes, &sigs);
            prop_assert!(agrees(text.as_bytes()));
        }

        #[test]
        fn agrees_on_every_changed_byte(at in 0usize..2000, byte in any::<u8>(), cut in any::<bool>()) {
            let votes: Vec<(String, String)> =
                (1..=12).map(|i| (format!("C{i:05}"), (i * 37 % 101).to_string())).collect();
            let mut bytes = usual(&votes).into_bytes();
            let at = at % bytes.len();
            if cut {
                bytes.truncate(at);
            } else {
                bytes[at] = byte;
            }
            prop_assert!(agrees(&bytes));
        }
    }
}
