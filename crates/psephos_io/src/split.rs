//! A fast path for CSV without quotes.
//!
//! Without a `"` in the input, RFC 4180 CSV is plain: records end at `\n` (with an optional
//! `\r` before it) and fields at `,`. Station result files are almost always like this, and
//! splitting them directly is about twice as fast as a general CSV parser. Input with any quote
//! goes through the `csv` crate instead.

/// Whether `bytes` can be split by [`for_each_record`].
pub(crate) fn is_quote_free(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
}

/// Calls `f(line, fields)` for every record; `line` is 1-based within `bytes`. Empty lines are
/// passed as one empty field, as the `csv` crate does for them.
pub(crate) fn for_each_record<'a>(bytes: &'a [u8], mut f: impl FnMut(u64, &[&'a [u8]])) {
    // One pass over the bytes for both separators, so that short records cost no setup each.
    let mut fields: Vec<&'a [u8]> = Vec::with_capacity(64);
    let mut field_start = 0;
    let mut line = 1u64;
    for at in memchr::memchr2_iter(b',', b'\n', bytes) {
        if bytes[at] == b',' {
            fields.push(&bytes[field_start..at]);
        } else {
            let end = if at > field_start && bytes[at - 1] == b'\r' { at - 1 } else { at };
            fields.push(&bytes[field_start..end]);
            f(line, &fields);
            fields.clear();
            line += 1;
        }
        field_start = at + 1;
    }
    if field_start < bytes.len() {
        let mut last = &bytes[field_start..];
        if let Some(r) = last.strip_suffix(b"\r") {
            last = r;
        }
        fields.push(last);
        f(line, &fields);
    } else if !fields.is_empty() {
        // A last record ending in a comma and no line break.
        fields.push(&bytes[field_start..]);
        f(line, &fields);
    }
}

/// [`for_each_record`] over text: the fields are `&str` (separators are ASCII, so every cut
/// falls between characters).
pub(crate) fn for_each_text_record<'a>(text: &'a str, mut f: impl FnMut(u64, &[&'a str])) {
    let mut fields: Vec<&'a str> = Vec::with_capacity(64);
    for_each_record(text.as_bytes(), |line, raw| {
        fields.clear();
        let base = text.as_ptr() as usize;
        fields.extend(raw.iter().map(|r| {
            let start = r.as_ptr() as usize - base;
            &text[start..start + r.len()]
        }));
        f(line, &fields);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_csv() {
        let mut seen = Vec::new();
        for_each_record(b"a,b\r\n1,,3\n\nlast", |line, fields| {
            seen.push((
                line,
                fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>(),
            ));
        });
        assert_eq!(
            seen,
            [
                (1, vec!["a".to_owned(), "b".to_owned()]),
                (2, vec!["1".to_owned(), String::new(), "3".to_owned()]),
                (3, vec![String::new()]),
                (4, vec!["last".to_owned()]),
            ]
        );
        assert!(is_quote_free(b"a,b\n"));
        assert!(!is_quote_free(b"\"a\",b\n"));
    }
}
