//! Finds the top-level `"CVR"` arrays of a CDF JSON report without parsing them, so that the
//! report's definitions can be read from a small skeleton and its CVRs parsed one slice each,
//! in parallel, with memory bounded by a block.
//!
//! The scanner tracks only what it must: string boundaries (with escapes), nesting depth, the
//! keys of the top-level object, and the elements of a `"CVR"` array. It never judges the JSON:
//! whatever it passes on is parsed by `serde_json`, which reports every syntax error. A key
//! written with escapes (`"\u0043VR"`) is not recognised; the caller notices that the skeleton
//! still holds CVRs and falls back to the plain reader.

use std::io::Read;
use std::ops::Range;

/// Bytes read at a time.
const BLOCK: usize = 1 << 24;

/// The scanner's state between bytes.
#[derive(Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// At depth 1, the next string is a key.
    expect_key: bool,
    /// The bytes of the depth-1 key being read.
    key: Vec<u8>,
    reading_key: bool,
    /// The last depth-1 key was `"CVR"` and its `:` was seen: a `[` next opens the array.
    cvr_next: bool,
    /// Inside a `"CVR"` array (its own depth is 2).
    in_cvr: bool,
    /// Inside the array, a new element may start.
    element_expected: bool,
    /// Start of the current element (buffer position) and its line.
    element: Option<(usize, u64)>,
    /// Newlines before the current position.
    lines: u64,
}

/// What the scanner found in a buffer (positions in it).
enum Found {
    /// A whole element of a CVR array: its bytes and the line it starts on (1-based).
    Element(Range<usize>, u64),
    /// The `[` of a CVR array.
    ArrayStart(usize),
    /// The `]` that closes it.
    ArrayEnd(usize),
}

impl Scan {
    /// Scans `buf[from..]`, calling `found` for each finding.
    fn scan(&mut self, buf: &[u8], from: usize, found: &mut dyn FnMut(Found)) {
        let mut i = from;
        while i < buf.len() {
            if self.escape {
                // A backslash ended the previous block: this byte is escaped.
                self.escape = false;
                if self.reading_key {
                    self.key.push(buf[i]);
                }
                i += 1;
                continue;
            }
            if self.in_string {
                // Jump to the next quote or backslash (JSON strings hold no raw newline).
                let Some(k) = memchr::memchr2(b'"', b'\\', &buf[i..]) else {
                    if self.reading_key {
                        self.key.extend_from_slice(&buf[i..]);
                    }
                    return;
                };
                let j = i + k;
                if self.reading_key {
                    self.key.extend_from_slice(&buf[i..=j]);
                }
                if buf[j] == b'\\' {
                    self.escape = true;
                } else {
                    self.in_string = false;
                    if self.reading_key {
                        self.reading_key = false;
                        self.key.pop();
                    }
                }
                i = j + 1;
                continue;
            }
            match buf[i] {
                b' ' | b'\t' | b'\r' => {}
                b'\n' => self.lines += 1,
                _ => self.byte(buf[i], i, found),
            }
            i += 1;
        }
    }

    /// One byte outside strings that is not white space, at position `i`.
    fn byte(&mut self, b: u8, i: usize, found: &mut dyn FnMut(Found)) {
        if self.in_cvr && self.depth == 2 && self.element_expected && b != b']' {
            self.element = Some((i, self.lines + 1));
            self.element_expected = false;
        }
        let cvr_next = std::mem::take(&mut self.cvr_next);
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.expect_key = false;
                    self.reading_key = true;
                    self.key.clear();
                }
            }
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth == 1 && b == b'{' {
                    self.expect_key = true;
                } else if self.depth == 2 && b == b'[' && cvr_next {
                    self.in_cvr = true;
                    self.element_expected = true;
                    found(Found::ArrayStart(i));
                }
            }
            b'}' | b']' => {
                if self.in_cvr && self.depth == 2 {
                    // The array closes (`]`, or a stray `}` that serde will reject).
                    if let Some((start, line)) = self.element.take() {
                        found(Found::Element(start..i, line));
                    }
                    self.in_cvr = false;
                    self.element_expected = false;
                    found(Found::ArrayEnd(i));
                }
                self.depth = self.depth.saturating_sub(1);
                if self.in_cvr
                    && self.depth == 2
                    && let Some((start, line)) = self.element.take()
                {
                    found(Found::Element(start..i + 1, line));
                }
            }
            b',' => {
                if self.depth == 1 {
                    self.expect_key = true;
                } else if self.in_cvr && self.depth == 2 {
                    if let Some((start, line)) = self.element.take() {
                        found(Found::Element(start..i, line));
                    }
                    self.element_expected = true;
                }
            }
            b':' if self.depth == 1 && self.key == b"CVR" => self.cvr_next = true,
            _ => {}
        }
    }
}

/// The report with the contents of every `"CVR"` array left out (their newlines kept, so lines
/// stay where they were), and how many such arrays there are.
pub(super) fn skeleton(mut file: impl Read) -> std::io::Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut arrays = 0usize;
    let mut scan = Scan::default();
    let mut buf = vec![0u8; BLOCK];
    let newlines = |d: &[u8]| std::iter::repeat_n(b'\n', memchr::memchr_iter(b'\n', d).count());
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        let data = &buf[..n];
        let mut inside = scan.in_cvr;
        let mut marks: Vec<(usize, bool)> = Vec::new();
        scan.scan(data, 0, &mut |f| match f {
            Found::ArrayStart(p) => marks.push((p, true)),
            Found::ArrayEnd(p) => marks.push((p, false)),
            Found::Element(..) => {}
        });
        let mut pos = 0;
        for (p, open) in marks {
            if open {
                arrays += 1;
                out.extend_from_slice(&data[pos..=p]);
                pos = p + 1;
                inside = true;
            } else {
                out.extend(newlines(&data[pos..p]));
                pos = p;
                inside = false;
            }
        }
        if inside {
            out.extend(newlines(&data[pos..]));
        } else {
            out.extend_from_slice(&data[pos..]);
        }
    }
    Ok((out, arrays))
}

/// An element's bytes in the buffer and the line it starts on.
pub(super) type Element = (Range<usize>, u64);

/// Calls `batch` with the buffer and the elements of the `"CVR"` arrays found in it (their
/// bytes and first lines), in file order, a block at a time; stops when `batch` returns false.
pub(super) fn cvr_elements(
    mut file: impl Read,
    batch: &mut dyn FnMut(&[u8], &[Element]) -> bool,
) -> std::io::Result<()> {
    let mut scan = Scan::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    loop {
        let old = buf.len();
        buf.resize(old + BLOCK, 0);
        let n = read_full(&mut file, &mut buf[old..])?;
        buf.truncate(old + n);
        if n == 0 {
            // An element the file never closes goes to the parser, which says what is missing.
            if let Some((start, line)) = scan.element {
                let end = buf.len();
                batch(&buf, &[(start..end, line)]);
            }
            return Ok(());
        }
        elements.clear();
        scan.scan(&buf, old, &mut |f| {
            if let Found::Element(r, line) = f {
                elements.push((r, line));
            }
        });
        if !elements.is_empty() && !batch(&buf, &elements) {
            return Ok(());
        }
        // Keep only the element still open.
        let keep = scan.element.map_or(buf.len(), |(start, _)| start);
        buf.drain(..keep);
        if let Some((start, line)) = scan.element {
            scan.element = Some((start - keep, line));
        }
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(file: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(text: &str) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        cvr_elements(text.as_bytes(), &mut |buf, els| {
            for (r, line) in els {
                out.push((String::from_utf8_lossy(&buf[r.clone()]).trim().to_owned(), *line));
            }
            true
        })
        .unwrap_or_default();
        out
    }

    #[test]
    fn finds_top_level_cvr_elements_only() {
        let text = "{\"a\": {\"CVR\": [1]},\n \"CVR\" : [ {\"x\": \"}],\\\"\"},\n [2], 3 ],\n\"b\": \"CVR\"}";
        assert_eq!(
            elements(text),
            [("{\"x\": \"}],\\\"\"}".to_owned(), 2), ("[2]".to_owned(), 3), ("3".to_owned(), 3)]
        );
        let (skel, arrays) = skeleton(text.as_bytes()).unwrap_or_default();
        assert_eq!(arrays, 1);
        assert_eq!(
            String::from_utf8_lossy(&skel),
            "{\"a\": {\"CVR\": [1]},\n \"CVR\" : [\n],\n\"b\": \"CVR\"}"
        );
    }

    #[test]
    fn an_escaped_key_is_not_recognised() {
        let text = "{\"\\u0043VR\": [{}]}";
        assert!(elements(text).is_empty());
        assert_eq!(skeleton(text.as_bytes()).map(|s| s.1).unwrap_or(9), 0);
    }
}
