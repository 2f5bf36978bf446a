//! A form record's votes, kept as the canonical JSON text they were read from.
//!
//! A national log holds millions of candidate counts (the Iraq demo: 6 million in 67,568
//! forms). Held as a list they would take 32 bytes each and be written once to be read once;
//! held as the `votes` object's text (already in memory, already checked) they take nothing,
//! and reading them again is a scan of bytes whose shape is known.

use std::borrow::Cow;

use crate::canonical::{self, Node};

/// Votes per candidate id, in the record's order (RFC 8785: by the ids' UTF-16 code units).
///
/// Made only from a `votes` object that the record reader has checked: canonical JSON, ids
/// non-empty and unique, every count a whole number from 0 to 2³² − 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Votes<'a> {
    /// The canonical text of the `votes` object, `{` to `}`.
    json: Cow<'a, str>,
    /// How many candidates it lists.
    len: usize,
}

impl<'a> Votes<'a> {
    /// The votes of a checked `votes` object (see the type's invariant).
    pub(crate) fn from_checked(json: Cow<'a, str>, len: usize) -> Votes<'a> {
        Votes { json, len }
    }

    /// How many candidates are listed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no candidate is listed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The candidate ids and counts, in order.
    pub fn iter(&self) -> VotesIter<'_> {
        VotesIter { rest: self.json.get(1..).unwrap_or("") }
    }

    /// The canonical JSON text of the `votes` object.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// An owned copy.
    pub fn into_owned(self) -> Votes<'static> {
        Votes { json: Cow::Owned(self.json.into_owned()), len: self.len }
    }
}

/// The candidate ids (unescaped: borrowed unless the id holds an escape) and counts of
/// [`Votes`], in order.
#[derive(Debug, Clone)]
pub struct VotesIter<'v> {
    /// The text after the `{` or after the last member's `,`.
    rest: &'v str,
}

impl<'v> Iterator for VotesIter<'v> {
    type Item = (Cow<'v, str>, u32);

    /// The next member. The text was checked when the record was read, so the scan only
    /// needs to find the member's parts; on anything else it ends (it never panics).
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.rest.as_bytes();
        if b.first() != Some(&b'"') {
            return None;
        }
        let mut close = 1;
        let mut escaped = false;
        loop {
            match b.get(close)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    close += 2;
                }
                _ => close += 1,
            }
        }
        let quoted = self.rest.get(..=close)?;
        let id = if escaped {
            match canonical::parse_canonical(quoted.as_bytes()) {
                Ok(Node::String(s)) => Cow::Owned(s.into_owned()),
                _ => return None,
            }
        } else {
            Cow::Borrowed(quoted.get(1..close)?)
        };
        let mut at = close + 1;
        if b.get(at) != Some(&b':') {
            return None;
        }
        at += 1;
        let digits = at;
        let mut count = 0u32;
        while let Some(&d @ b'0'..=b'9') = b.get(at) {
            count = count.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
            at += 1;
        }
        if at == digits {
            return None;
        }
        match b.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => {}
            _ => return None,
        }
        self.rest = self.rest.get(at..)?;
        Some((id, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn votes(json: &str) -> Vec<(String, u32)> {
        Votes::from_checked(Cow::Borrowed(json), 0)
            .iter()
            .map(|(id, n)| (id.into_owned(), n))
            .collect()
    }

    #[test]
    fn reads_members_in_order_and_unescapes_ids() {
        assert_eq!(votes("{}"), vec![]);
        assert_eq!(
            votes(r#"{"A":0,"B\"q":4294967295,"C\\":7,"\u001f":1,"é":2}"#),
            vec![
                ("A".to_owned(), 0),
                ("B\"q".to_owned(), 4_294_967_295),
                ("C\\".to_owned(), 7),
                ("\u{1f}".to_owned(), 1),
                ("é".to_owned(), 2),
            ]
        );
    }

    #[test]
    fn borrows_ids_without_escapes() {
        let v = Votes::from_checked(Cow::Borrowed(r#"{"A":1,"B\n":2}"#), 2);
        let ids: Vec<Cow<'_, str>> = v.iter().map(|(id, _)| id).collect();
        assert!(matches!(ids[0], Cow::Borrowed("A")));
        assert!(matches!(&ids[1], Cow::Owned(s) if s == "B\n"));
    }

    #[test]
    fn ends_without_panicking_on_text_it_was_not_made_for() {
        for text in
            ["", "{", "{\"", "{\"A\"", "{\"A\":", "{\"A\":x}", "{\"A\":4294967296}", "{\"A\":1;"]
        {
            assert!(votes(text).len() <= 1, "{text}");
        }
    }
}
