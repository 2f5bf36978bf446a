//! Canonical JSON: the RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! The canonical form of a JSON value is its serialization with no whitespace, object members
//! sorted by their keys as arrays of UTF-16 code units (RFC 8785 §3.2.3), strings escaped as
//! ECMAScript's `JSON.stringify` escapes them (only `"`, `\` and U+0000–U+001F, the latter as
//! `\b \t \n \f \r` or `\u00xx` in lowercase hex; everything else literal UTF-8), and numbers as
//! ECMAScript's `Number.prototype.toString` writes IEEE-754 doubles (§3.2.2.3): the shortest
//! digits that read back as the same double (Rust's shortest round-trip formatting, which picks
//! the closest such digits, ties to even), written out in full from 10^-6 up to 10^21 and in
//! exponent form (`1e+21`, `5e-324`) outside. `-0` is `0`.
//!
//! Profile. Input must be I-JSON (RFC 7493): UTF-8, no lone surrogates, no duplicate keys (refused
//! with [`JsonError::DuplicateKey`], where `serde_json` would silently keep the last), and every
//! number a finite double: a number beyond the double range (`1e400`) is refused; a number with
//! more precision than a double (`9007199254740993`) is read as the nearest double, as JCS
//! prescribes, so it is not in canonical form. Arrays and objects nest at most [`MAX_DEPTH`]
//! deep. The JSON grammar is RFC 8259's, strictly (no comments, no trailing commas, no leading
//! zeros, no BOM).
//!
//! [`check_canonical`] reads bytes once, checking the canonical form as it parses (whitespace,
//! member order, escapes and number forms), so checking costs no more than parsing; it is
//! exactly "parse, canonicalize, compare" (tested), and on failure reports the first byte where
//! the input and its canonical form differ.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// How deep arrays and objects may nest.
pub const MAX_DEPTH: usize = 128;

/// Why bytes are not (canonical) JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all (RFC 8259 grammar).
    #[error("byte {offset}: {message}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// Bytes that are not UTF-8.
    #[error("byte {offset}: the text is not valid UTF-8")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A `\u` escape of a UTF-16 surrogate that is not part of a pair.
    #[error("byte {offset}: the \\u escape is a lone UTF-16 surrogate, not a character")]
    LoneSurrogate {
        /// Byte offset of the escape.
        offset: usize,
    },
    /// A number beyond the range of IEEE-754 doubles.
    #[error("byte {offset}: the number {text} is beyond the range of an IEEE-754 double")]
    NumberOutOfRange {
        /// Byte offset of the number.
        offset: usize,
        /// The number as written.
        text: String,
    },
    /// A key that appears twice in one object.
    #[error("byte {offset}: the key {key:?} appears twice in one object")]
    DuplicateKey {
        /// Byte offset of the second occurrence of the key.
        offset: usize,
        /// The key.
        key: String,
    },
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("byte {offset}: arrays and objects nest deeper than {MAX_DEPTH}")]
    TooDeep {
        /// Byte offset of the array or object that is too deep.
        offset: usize,
    },
    /// Valid JSON, but not in canonical form.
    #[error(
        "byte {offset}: not canonical JSON (RFC 8785): {reason}; the input has {found:?} where \
         the canonical form has {expected:?}"
    )]
    NotCanonical {
        /// The first byte where the input and its canonical form differ.
        offset: usize,
        /// What the canonical check found first (whitespace, member order, an escape, a
        /// number form).
        reason: String,
        /// The input from `offset` (up to 24 characters).
        found: String,
        /// The canonical form from `offset` (up to 24 characters).
        expected: String,
    },
}

/// The canonical (RFC 8785) bytes of a JSON value.
///
/// Numbers are written as the IEEE-754 double nearest to them (JCS works on doubles): an integer
/// beyond 2^53 may lose precision, as it would in any JCS implementation.
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    write_value(&mut out, value);
    out
}

/// Reads JSON text (any formatting) and returns its canonical bytes; duplicate keys, lone
/// surrogates and numbers beyond the double range are refused.
pub fn canonicalize_bytes(bytes: &[u8]) -> Result<Vec<u8>, JsonError> {
    let node = parse_node(bytes, false).map_err(Fail::into_json)?;
    let mut out = Vec::with_capacity(bytes.len());
    write_node(&mut out, &node);
    Ok(out)
}

/// Reads JSON text (any formatting) into a `serde_json` value, refusing duplicate keys, lone
/// surrogates and numbers beyond the double range. Integral numbers up to 2^53 in magnitude
/// become integers, other numbers doubles.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_node(bytes, false).map(|n| n.to_value()).map_err(Fail::into_json)
}

/// Checks that `bytes` are canonical JSON (RFC 8785), reading them once. The error says where
/// the input first differs from its canonical form, or why it is not JSON.
pub fn check_canonical(bytes: &[u8]) -> Result<(), JsonError> {
    parse_canonical(bytes).map(drop)
}

/// Parses canonical JSON into a borrowed tree, or says why the bytes are not canonical JSON.
pub(crate) fn parse_canonical(bytes: &[u8]) -> Result<Node<'_>, JsonError> {
    match parse_node(bytes, true) {
        Ok(node) => Ok(node),
        Err(Fail::Json(e)) => Err(e),
        Err(Fail::Canon { reason, .. }) => Err(explain(bytes, reason)),
    }
}

/// Compares two strings as sequences of UTF-16 code units (RFC 8785 §3.2.3).
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let mut i = common;
    while !a.is_char_boundary(i) {
        i -= 1;
    }
    match (a[i..].chars().next(), b[i..].chars().next()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => utf16_key(x).cmp(&utf16_key(y)),
    }
}

/// A character's first UTF-16 code unit, then its code point (which orders low surrogates).
fn utf16_key(c: char) -> (u32, u32) {
    let c = u32::from(c);
    if c >= 0x1_0000 { (0xD800 + ((c - 0x1_0000) >> 10), c) } else { (c, c) }
}

/// A parsed JSON value borrowing its strings from the input where they hold no escape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
}

/// One member of an object, with the byte span of its value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: Node<'a>,
    /// Byte offset of the value's first byte.
    pub(crate) start: usize,
    /// Byte offset just after the value.
    pub(crate) end: usize,
}

impl Node<'_> {
    /// The `serde_json` value of this node.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(x) => Value::Number(number_value(*x)),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(members) => {
                let mut map = Map::new();
                for m in members {
                    map.insert(m.key.to_string(), m.value.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// A double as a `serde_json` number: an integer when it is one up to 2^53, else a float.
fn number_value(x: f64) -> Number {
    if x.fract() == 0.0 && x.abs() <= TWO_POW_53 {
        if x >= 0.0 { Number::from(x as u64) } else { Number::from(x as i64) }
    } else {
        // `x` is finite (the parser refuses others), so this is always `Some`.
        Number::from_f64(x).unwrap_or_else(|| Number::from(0u64))
    }
}

const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

enum Fail {
    Json(JsonError),
    Canon { reason: &'static str },
}

impl Fail {
    fn syntax(offset: usize, message: impl Into<String>) -> Self {
        Fail::Json(JsonError::Syntax { offset, message: message.into() })
    }

    /// In lenient mode no `Canon` failure is ever raised.
    fn into_json(self) -> JsonError {
        match self {
            Fail::Json(e) => e,
            Fail::Canon { reason } => {
                JsonError::Syntax { offset: 0, message: format!("internal: {reason}") }
            }
        }
    }
}

fn parse_node(bytes: &[u8], strict: bool) -> Result<Node<'_>, Fail> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Fail::Json(JsonError::InvalidUtf8 { offset: e.valid_up_to() }))?;
    let mut p = Parser { text, b: bytes, pos: 0, strict, scratch: Vec::new() };
    p.ws()?;
    let node = p.value(0)?;
    p.ws()?;
    if p.pos < p.b.len() {
        return Err(Fail::syntax(p.pos, "text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Refuse anything not in canonical form.
    strict: bool,
    /// Members of the objects being read, innermost last: each object takes its own off the
    /// top when it closes, in one exact allocation.
    scratch: Vec<Member<'a>>,
}

/// Objects with more members than this check duplicates with a hash set.
const LINEAR_DUPLICATE_SCAN: usize = 16;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) -> Result<(), Fail> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            if self.strict {
                return Err(Fail::Canon { reason: "whitespace outside strings" });
            }
            self.pos += 1;
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, Fail> {
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b't') => self.literal("true", Node::Bool(true)),
            Some(b'f') => self.literal("false", Node::Bool(false)),
            Some(b'n') => self.literal("null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(Fail::syntax(self.pos, "expected a JSON value")),
            None => Err(Fail::syntax(self.pos, "unexpected end of the text, expected a value")),
        }
    }

    fn literal(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>, Fail> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(Fail::syntax(self.pos, "expected a JSON value"))
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), Fail> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Fail::syntax(self.pos, format!("expected {what}")))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, Fail> {
        if depth >= MAX_DEPTH {
            return Err(Fail::Json(JsonError::TooDeep { offset: self.pos }));
        }
        self.pos += 1;
        self.ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(Vec::new()));
        }
        let mark = self.scratch.len();
        let result = self.members(depth, mark);
        let members: Vec<Member<'a>> = self.scratch.drain(mark..).collect();
        result.map(|()| Node::Object(members))
    }

    /// The members of an object after its `{`, pushed on the scratch stack above `mark`,
    /// through its `}`.
    fn members(&mut self, depth: usize, mark: usize) -> Result<(), Fail> {
        let mut seen: Option<hashbrown::HashSet<Cow<'a, str>>> = None;
        loop {
            if self.peek() != Some(b'"') {
                return Err(Fail::syntax(self.pos, "expected a key (a string)"));
            }
            let key_at = self.pos;
            let key = self.string()?;
            let members = &self.scratch[mark..];
            if let Some(prev) = members.last() {
                let order = cmp_utf16(&prev.key, &key);
                // Sorted input (strict mode) needs only the comparison with the neighbour.
                let dup = match (&seen, order) {
                    (_, Ordering::Equal) => true,
                    _ if self.strict => false,
                    (Some(set), _) => set.contains(&key),
                    (None, _) => members.iter().any(|m| m.key == key),
                };
                if dup {
                    return Err(Fail::Json(JsonError::DuplicateKey {
                        offset: key_at,
                        key: key.into_owned(),
                    }));
                }
                if self.strict && order == Ordering::Greater {
                    return Err(Fail::Canon {
                        reason: "object members are not sorted by their keys' UTF-16 code units",
                    });
                }
            }
            self.ws()?;
            self.expect(b':', "':' after the key")?;
            self.ws()?;
            let start = self.pos;
            let value = self.value(depth + 1)?;
            let end = self.pos;
            let count = self.scratch.len() - mark;
            if let Some(set) = &mut seen {
                set.insert(key.clone());
            } else if count == LINEAR_DUPLICATE_SCAN && !self.strict {
                let mut set: hashbrown::HashSet<Cow<'a, str>> =
                    self.scratch[mark..].iter().map(|m| m.key.clone()).collect();
                set.insert(key.clone());
                seen = Some(set);
            }
            self.scratch.push(Member { key, value, start, end });
            self.ws()?;
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws()?;
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Fail::syntax(self.pos, "expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, Fail> {
        if depth >= MAX_DEPTH {
            return Err(Fail::Json(JsonError::TooDeep { offset: self.pos }));
        }
        self.pos += 1;
        self.ws()?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws()?;
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws()?;
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return Err(Fail::syntax(self.pos, "expected ',' or ']' in an array")),
            }
        }
    }

    /// A string starting at the opening quote; borrowed when it holds no escape.
    fn string(&mut self) -> Result<Cow<'a, str>, Fail> {
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match self.b.get(i) {
                None => return Err(Fail::syntax(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[start..i]));
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => {
                    return Err(Fail::syntax(i, "control character in a string (must be escaped)"));
                }
                Some(_) => i += 1,
            }
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.text[start..i]);
        loop {
            match self.b.get(i) {
                None => return Err(Fail::syntax(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => i = self.escape(i, &mut out)?,
                Some(&c) if c < 0x20 => {
                    return Err(Fail::syntax(i, "control character in a string (must be escaped)"));
                }
                Some(_) => {
                    let mut j = i + 1;
                    while let Some(&c) = self.b.get(j) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        j += 1;
                    }
                    out.push_str(&self.text[i..j]);
                    i = j;
                }
            }
        }
    }

    /// The escape at `i` (a backslash): appends its character, returns the offset after it.
    fn escape(&self, i: usize, out: &mut String) -> Result<usize, Fail> {
        let c = match self.b.get(i + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => {
                if self.strict {
                    return Err(Fail::Canon { reason: "'/' is escaped" });
                }
                '/'
            }
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4(i)?;
                if self.strict {
                    let lower = self.b[i + 2..i + 6].iter().all(|c| !c.is_ascii_uppercase());
                    let needed = unit < 0x20 && !matches!(unit, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
                    if !needed {
                        return Err(Fail::Canon {
                            reason: "a character is written as a \\u escape that JCS writes literally or as a short escape",
                        });
                    }
                    if !lower {
                        return Err(Fail::Canon {
                            reason: "a \\u escape has uppercase hex digits",
                        });
                    }
                }
                return match unit {
                    0xD800..=0xDBFF => {
                        if self.b.get(i + 6) == Some(&b'\\') && self.b.get(i + 7) == Some(&b'u') {
                            let low = self.hex4(i + 6)?;
                            if (0xDC00..=0xDFFF).contains(&low) {
                                let c = 0x1_0000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                return Ok(i + 12);
                            }
                        }
                        Err(Fail::Json(JsonError::LoneSurrogate { offset: i }))
                    }
                    0xDC00..=0xDFFF => Err(Fail::Json(JsonError::LoneSurrogate { offset: i })),
                    _ => {
                        out.push(char::from_u32(unit).unwrap_or('\u{FFFD}'));
                        Ok(i + 6)
                    }
                };
            }
            _ => return Err(Fail::syntax(i, "invalid escape in a string")),
        };
        out.push(c);
        Ok(i + 2)
    }

    /// The four hex digits of the `\u` escape at `i`.
    fn hex4(&self, i: usize) -> Result<u32, Fail> {
        let digits = self
            .b
            .get(i + 2..i + 6)
            .ok_or_else(|| Fail::syntax(i, "a \\u escape needs four hex digits"))?;
        let mut v = 0u32;
        for &d in digits {
            let x = (d as char)
                .to_digit(16)
                .ok_or_else(|| Fail::syntax(i, "a \\u escape needs four hex digits"))?;
            v = (v << 4) | x;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node<'a>, Fail> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_len = self.digits();
        if int_len == 0 {
            return Err(Fail::syntax(self.pos, "expected a digit"));
        }
        if int_len > 1 && self.b[int_start] == b'0' {
            return Err(Fail::syntax(int_start, "a number has a leading zero"));
        }
        let mut plain = true;
        if self.peek() == Some(b'.') {
            plain = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(Fail::syntax(self.pos, "expected a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            plain = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Fail::syntax(self.pos, "expected a digit in the exponent"));
            }
        }
        let text = &self.text[start..self.pos];
        if plain && int_len <= 15 {
            // Below 10^15 < 2^53: exact, and canonical unless it is "-0".
            let mut v = 0u64;
            for &d in &self.b[int_start..self.pos] {
                v = v * 10 + u64::from(d - b'0');
            }
            if self.strict && negative && v == 0 {
                return Err(Fail::Canon { reason: "-0 is written 0" });
            }
            let x = v as f64;
            return Ok(Node::Number(if negative { -x } else { x }));
        }
        let x: f64 = text.parse().map_err(|_| Fail::syntax(start, "malformed number"))?;
        if !x.is_finite() {
            return Err(Fail::Json(JsonError::NumberOutOfRange {
                offset: start,
                text: text.to_owned(),
            }));
        }
        if self.strict {
            let mut canon = Vec::with_capacity(24);
            write_number(&mut canon, x);
            if canon != text.as_bytes() {
                return Err(Fail::Canon {
                    reason: "a number is not written as ECMAScript writes its double",
                });
            }
        }
        Ok(Node::Number(x))
    }
}

/// The error for bytes that are JSON but not canonical: where they first differ from their
/// canonical form. If the lenient reading finds a harder problem (the strict reader stopped
/// before reaching it), that problem is reported instead.
fn explain(bytes: &[u8], reason: &str) -> JsonError {
    let canon = match canonicalize_bytes(bytes) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let offset = bytes.iter().zip(&canon).take_while(|(a, b)| a == b).count();
    JsonError::NotCanonical {
        offset,
        reason: reason.to_owned(),
        found: snippet(bytes, offset),
        expected: snippet(&canon, offset),
    }
}

fn snippet(bytes: &[u8], offset: usize) -> String {
    let tail = String::from_utf8_lossy(&bytes[offset.min(bytes.len())..]);
    tail.chars().take(24).collect()
}

/// Writes `x` (finite) as ECMAScript's `Number.prototype.toString` does (RFC 8785 §3.2.2.3).
pub(crate) fn write_number(out: &mut Vec<u8>, x: f64) {
    if x == 0.0 || !x.is_finite() {
        // -0 is 0. Non-finite numbers never reach here (the parser and serde_json refuse them).
        out.push(b'0');
        return;
    }
    if x.fract() == 0.0 && x.abs() < TWO_POW_53 {
        // Every integer below 2^53 is exact and its shortest digits are its own.
        out.extend_from_slice((x as i64).to_string().as_bytes());
        return;
    }
    if x < 0.0 {
        out.push(b'-');
    }
    let (digits, n) = shortest_digits(x.abs());
    let k = digits.len() as i64;
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if n > 0 { b'+' } else { b'-' });
        out.extend_from_slice((n - 1).unsigned_abs().to_string().as_bytes());
    }
}

/// The digits `d1..dk` and exponent `n` of ECMAScript's Number::toString for a positive finite
/// `x` (`x = 0.d1..dk × 10^n`): the fewest digits that read back as `x`; among those the
/// closest to `x`; of two equally close, the even one.
///
/// Rust's `{:e}` gives the fewest digits, the closest, but breaks an exact tie upwards
/// (`1424953923781206.25` becomes `...206.3`, ECMAScript writes `...206.2`). A tie means that
/// `x` is exactly the decimal of k+1 digits ending in 5 between the two candidates, so it is
/// checked on `x`'s exact expansion (Rust's fixed-precision formatting is exact), only when
/// the correctly rounded k+1 digits end in 5.
fn shortest_digits(x: f64) -> (Vec<u8>, i64) {
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let k = digits.len();
    let next = format!("{x:.k$e}");
    let next_digits: Vec<u8> =
        next.split('e').next().unwrap_or("").bytes().filter(u8::is_ascii_digit).collect();
    if next_digits.len() != k + 1 || next_digits[k] != b'5' || next.split('e').nth(1) != Some(exp) {
        return (digits, n);
    }
    // An f64's exact decimal expansion has at most 767 significant digits.
    let exact = format!("{x:.800e}");
    let exact_digits = exact.split('e').next().unwrap_or("").replace('.', "");
    let significant = exact_digits.trim_end_matches('0');
    if significant.as_bytes() != next_digits.as_slice() {
        return (digits, n);
    }
    // A tie between lower = next_digits[..k] and lower + 1 (in the last place).
    let lower = &next_digits[..k];
    let mut upper = lower.to_vec();
    let mut i = k;
    while i > 0 {
        i -= 1;
        if upper[i] == b'9' {
            upper[i] = b'0';
        } else {
            upper[i] += 1;
            break;
        }
    }
    if upper.iter().all(|&d| d == b'0') {
        // Carried into a new digit: not a tie between two k-digit candidates.
        return (digits, n);
    }
    let even = if lower[k - 1].is_multiple_of(2) { lower.to_vec() } else { upper };
    if even != digits {
        let text = format!("0.{}e{n}", String::from_utf8_lossy(&even));
        if text.parse::<f64>() == Ok(x) {
            digits = even;
        }
    }
    (digits, n)
}

/// Writes `s` as a JCS string, quotes included.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[run..i]);
        run = i + 1;
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 15)]);
        } else {
            out.extend_from_slice(esc);
        }
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_else(|| n.to_string().parse().unwrap_or(0.0));
            write_number(out, x);
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| cmp_utf16(a.0, b.0));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, k);
                out.push(b':');
                write_value(out, v);
            }
            out.push(b'}');
        }
    }
}

fn write_node(out: &mut Vec<u8>, node: &Node<'_>) {
    match node {
        Node::Null => out.extend_from_slice(b"null"),
        Node::Bool(true) => out.extend_from_slice(b"true"),
        Node::Bool(false) => out.extend_from_slice(b"false"),
        Node::Number(x) => write_number(out, *x),
        Node::String(s) => write_string(out, s),
        Node::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_node(out, item);
            }
            out.push(b']');
        }
        Node::Object(members) => {
            let mut sorted: Vec<&Member<'_>> = members.iter().collect();
            sorted.sort_by(|a, b| cmp_utf16(&a.key, &b.key));
            out.push(b'{');
            for (i, m) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, &m.key);
                out.push(b':');
                write_node(out, &m.value);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests;
