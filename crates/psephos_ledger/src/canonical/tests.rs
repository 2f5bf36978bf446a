//! RFC 8785 vectors, the refusals of the I-JSON profile, and properties of the canonical form.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn canon(input: &str) -> String {
    String::from_utf8(canonicalize_bytes(input.as_bytes()).unwrap()).unwrap()
}

/// cyberphone/json-canonicalization `testdata/input/*.json` → `testdata/output/*.json` (the
/// reference implementation of RFC 8785, by its author; files as stored at commits 77917fbd
/// (weird), 1e2733fc (values), 72a2163b (structures), ff225671 (unicode), b01b0235 (french) and
/// 987e82e7 (simpleString, whose expected bytes are `testdata/outhex/simpleString.txt`)).
/// `arrays.json` is left out: its expected output is not in the stored corpus.
const CYBERPHONE: &[(&str, &str, &str)] = &[
    (
        "weird",
        "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}\n",
        "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u{80}\":\"Control\u{7f}\",\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\"\u{1f602}\":\"Smiley\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    ),
    (
        "values",
        "{\n  \"numbers\": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
        "{\"escaping\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"literals\":[null,true,false],\"numbers\":[1e+30,4.5,333333333.3333333,0.002,1e-27]}",
    ),
    (
        "structures",
        "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ { } ],\n  \"A\": { }\n}",
        "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{}],\"A\":{},\"a\":{}}",
    ),
    (
        "unicode",
        "{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
        "{\"Unnormalized Unicode\":\"\u{1e0d}\u{307}\"}",
    ),
    (
        "french",
        "{\n  \"peach\": \"This sorting order\",\n  \"p\u{e9}ch\u{e9}\": \"is wrong according to French\",\n  \"p\u{ea}che\": \"but canonicalization MUST\",\n  \"sin\":   \"ingnore locale\"\n}\n",
        "{\"peach\":\"This sorting order\",\"p\u{e9}ch\u{e9}\":\"is wrong according to French\",\"p\u{ea}che\":\"but canonicalization MUST\",\"sin\":\"ingnore locale\"}",
    ),
    ("simpleString", "    \"this is a test string 1235\"", "\"this is a test string 1235\""),
];

#[test]
fn cyberphone_testdata() {
    for (name, input, output) in CYBERPHONE {
        assert_eq!(canon(input), *output, "{name}");
        assert_eq!(check_canonical(output.as_bytes()), Ok(()), "{name}");
        assert!(
            matches!(check_canonical(input.as_bytes()), Err(JsonError::NotCanonical { .. })),
            "{name}"
        );
        // Through serde_json values too.
        assert_eq!(canonicalize(&parse(input.as_bytes()).unwrap()), output.as_bytes(), "{name}");
    }
    // outhex/simpleString.txt, byte for byte.
    let hex = "22 74 68 69 73 20 69 73 20 61 20 74 65 73 74 20 73 74 72 69 6E 67 20 31 32 33 35 22";
    let bytes: Vec<u8> = hex.split(' ').map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
    assert_eq!(canonicalize_bytes(CYBERPHONE[5].1.as_bytes()).unwrap(), bytes);
}

/// RFC 8785 §3.2.3 (sorting of object properties) and §3.2.4 (the whole transformation).
#[test]
fn rfc8785_examples() {
    let sorting = r#"{
       "\u20ac": "Euro Sign",
       "\r": "Carriage Return",
       "\ufb33": "Hebrew Letter Dalet With Dagesh",
       "1": "One",
       "\ud83d\ude00": "Emoji: Grinning Face",
       "\u0080": "Control",
       "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let out = canon(sorting);
    let order: Vec<&str> =
        out.split("\":\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(
        order,
        [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh"
        ]
    );
    let example = r#"{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#;
    // §3.2.4 gives the result as UTF-8 bytes in hex.
    let hex = "7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 \
               65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 \
               33 33 33 33 2c 31 65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d \
               2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c \
               22 5c 5c 5c 5c 5c 22 2f 22 7d";
    let bytes: Vec<u8> =
        hex.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
    assert_eq!(canonicalize_bytes(example.as_bytes()).unwrap(), bytes);
}

/// RFC 8785 Appendix B: IEEE-754 doubles (as bits) and their ECMAScript form. The two
/// non-finite rows (NaN, Infinity) have no JSON form: the parser refuses numbers that overflow.
const APPENDIX_B: &[(u64, &str)] = &[
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7fefffffffffffff, "1.7976931348623157e+308"),
    (0xffefffffffffffff, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xc340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44b52d02c7e14af5, "9.999999999999997e+22"),
    (0x44b52d02c7e14af6, "1e+23"),
    (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
    (0x444b1ae4d6e2ef4e, "999999999999999700000"),
    (0x444b1ae4d6e2ef4f, "999999999999999900000"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
    (0x3eb0c6f7a0b5ed8d, "0.000001"),
    (0x41b3de4355555553, "333333333.3333332"),
    (0x41b3de4355555554, "333333333.33333325"),
    (0x41b3de4355555555, "333333333.3333333"),
    (0x41b3de4355555556, "333333333.3333334"),
    (0x41b3de4355555557, "333333333.33333343"),
    (0xbecbf647612f3696, "-0.0000033333333333333333"),
    (0x43143ff3c1cb0959, "1424953923781206.2"),
];

#[test]
fn rfc8785_appendix_b_numbers() {
    for &(bits, want) in APPENDIX_B {
        let x = f64::from_bits(bits);
        let mut out = Vec::new();
        write_number(&mut out, x);
        assert_eq!(String::from_utf8(out).unwrap(), want, "{bits:016x}");
        let json = format!("[{want}]");
        assert_eq!(check_canonical(json.as_bytes()), Ok(()), "{want}");
        let Value::Array(v) = parse(json.as_bytes()).unwrap() else { panic!() };
        assert_eq!(v[0].as_f64().unwrap(), if x == 0.0 { 0.0 } else { x }, "{want}");
    }
    // The cyberphone README's sample lines of its 100-million-number file.
    for (bits, want) in [
        (0x4340000000000001u64, "9007199254740994"),
        (0x4340000000000002, "9007199254740996"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x8000000000000000, "0"),
        (0, "0"),
    ] {
        let mut out = Vec::new();
        write_number(&mut out, f64::from_bits(bits));
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
}

#[test]
fn refuses_what_is_not_i_json() {
    type Check = fn(&JsonError) -> bool;
    let cases: &[(&[u8], Check)] = &[
        (
            br#"{"a":1,"a":2}"#,
            |e| matches!(e, JsonError::DuplicateKey { offset: 7, key } if key == "a"),
        ),
        (br#"{"a":1,"b":{"c":1},"a":2}"#, |e| {
            matches!(e, JsonError::DuplicateKey { offset: 19, .. })
        }),
        (br#"[1e400]"#, |e| matches!(e, JsonError::NumberOutOfRange { offset: 1, .. })),
        (br#"[-1e400]"#, |e| matches!(e, JsonError::NumberOutOfRange { .. })),
        (br#"["\ud800"]"#, |e| matches!(e, JsonError::LoneSurrogate { offset: 2 })),
        (br#"["\udc00\ud800"]"#, |e| matches!(e, JsonError::LoneSurrogate { .. })),
        (b"[\"\xff\"]", |e| matches!(e, JsonError::InvalidUtf8 { offset: 2 })),
        (br#"{"a":1} {"b":2}"#, |e| matches!(e, JsonError::Syntax { offset: 8, .. })),
        (br#"{"a":}"#, |e| matches!(e, JsonError::Syntax { .. })),
        (br#"[01]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (br#"[1.]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (br#"[.5]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (br#"[1,]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (b"[\"a\tb\"]", |e| matches!(e, JsonError::Syntax { .. })),
        (br#"["\x"]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (br#"[tru]"#, |e| matches!(e, JsonError::Syntax { .. })),
        (b"", |e| matches!(e, JsonError::Syntax { .. })),
        (b"\xef\xbb\xbf{}", |e| matches!(e, JsonError::Syntax { .. })),
    ];
    for (input, ok) in cases {
        let text = String::from_utf8_lossy(input);
        let lenient = canonicalize_bytes(input).unwrap_err();
        assert!(ok(&lenient), "{text}: {lenient:?}");
        let strict = check_canonical(input).unwrap_err();
        assert!(ok(&strict), "{text}: {strict:?}");
    }
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(matches!(parse(deep.as_bytes()), Err(JsonError::TooDeep { .. })));
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert_eq!(check_canonical(ok.as_bytes()), Ok(()));
}

#[test]
fn says_where_the_canonical_form_differs() {
    let cases: &[(&str, usize, &str)] = &[
        (r#"{"b":1,"a":2}"#, 2, "sorted"),
        (r#"{"a": 1}"#, 5, "whitespace"),
        (r#"["\/"]"#, 2, "'/'"),
        (r#"["\u0041"]"#, 2, "\\u escape"),
        (r#"["\u001F"]"#, 7, "uppercase"),
        (r#"["\u000a"]"#, 3, "\\u escape"),
        (r#"[-0]"#, 1, "-0"),
        (r#"[1.0]"#, 2, "ECMAScript"),
        (r#"[1E3]"#, 2, "ECMAScript"),
        (r#"[1e21]"#, 3, "ECMAScript"),
        (r#"[9007199254740993]"#, 16, "ECMAScript"),
        ("[1]\n", 3, "whitespace"),
    ];
    for &(input, offset, reason) in cases {
        match check_canonical(input.as_bytes()) {
            Err(JsonError::NotCanonical { offset: o, reason: r, found, expected }) => {
                assert_eq!(o, offset, "{input}");
                assert!(r.contains(reason), "{input}: {r}");
                let canon = canonicalize_bytes(input.as_bytes()).unwrap();
                assert_eq!(expected, String::from_utf8_lossy(&canon[offset..]), "{input}");
                assert_eq!(found, &input[offset..], "{input}");
            }
            other => panic!("{input}: {other:?}"),
        }
    }
    // Escapes that are canonical.
    for ok in [r#"["\"\\\b\f\n\r\t\u0000\u001f\u000b"]"#, "[\"\u{7f}\u{2028}\u{10ffff}\"]"] {
        assert_eq!(check_canonical(ok.as_bytes()), Ok(()), "{ok}");
    }
}

#[test]
fn utf16_order_differs_from_code_point_order() {
    // U+10000 is D800 DC00 in UTF-16, below U+E000, although its code point is above.
    assert_eq!(cmp_utf16("\u{10000}", "\u{e000}"), Ordering::Less);
    assert_eq!(cmp_utf16("\u{e000}", "\u{ffff}"), Ordering::Less);
    assert_eq!(cmp_utf16("\u{10000}", "\u{10001}"), Ordering::Less);
    assert_eq!(cmp_utf16("a", "ab"), Ordering::Less);
    assert_eq!(cmp_utf16("", ""), Ordering::Equal);
    assert_eq!(cmp_utf16("\u{e9}x", "\u{e9}"), Ordering::Greater);
    let v = json!({"\u{e000}": 1, "\u{10000}": 2});
    assert_eq!(canonicalize(&v), "{\"\u{10000}\":2,\"\u{e000}\":1}".as_bytes());
    assert!(check_canonical("{\"\u{e000}\":1,\"\u{10000}\":2}".as_bytes()).is_err());
}

#[test]
fn integers_beyond_two_to_the_53_become_doubles() {
    assert_eq!(canonicalize(&json!(u64::MAX)), b"18446744073709552000");
    assert_eq!(canonicalize(&json!(i64::MIN)), b"-9223372036854776000");
    assert_eq!(canonicalize(&json!(9007199254740993u64)), b"9007199254740992");
    assert_eq!(canonicalize(&json!(-0.0)), b"0");
    // Python's repr (David Gay's shortest round trip) writes this double 1.2345678901234569e+23:
    // its exact value 123456789012345685803008 is closer to ...69 than to ...68.
    assert_eq!(canon("[123456789012345678901234]"), "[1.2345678901234569e+23]");
    assert_eq!(canon("[0.1, 1e-7, 1e-6, 123e-20]"), "[0.1,1e-7,0.000001,1.23e-18]");
    assert_eq!(canon("[1e-400]"), "[0]");
}

/// Digits without leading or trailing zeros, and the decimal exponent of the first one.
fn digits_and_exponent(s: &str) -> (String, i64) {
    let s = s.trim_start_matches('-');
    let (m, e) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i64>().unwrap()),
        None => (s, 0),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let d = all.trim_start_matches('0').trim_end_matches('0').to_owned();
    (d, int.len() as i64 + e - lead as i64)
}

fn json_leaf() -> impl Strategy<Value = Value> {
    let chars = prop::sample::select(vec![
        'a',
        'b',
        'Z',
        '0',
        ' ',
        '"',
        '\\',
        '/',
        '\u{0}',
        '\u{8}',
        '\t',
        '\n',
        '\u{b}',
        '\u{1f}',
        '\u{7f}',
        '\u{80}',
        '\u{e9}',
        '\u{2028}',
        '\u{20ac}',
        '\u{e000}',
        '\u{fb33}',
        '\u{ffff}',
        '\u{10000}',
        '\u{1f600}',
        '\u{10ffff}',
    ]);
    let string = prop::collection::vec(chars, 0..6).prop_map(|c| c.into_iter().collect::<String>());
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1000i64..1000).prop_map(|n| json!(n)),
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        string.prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let key = prop::collection::vec(
        prop::sample::select(vec!['a', 'b', 'B', '1', '\u{e9}', '\u{e000}', '\u{10000}', '\n']),
        0..4,
    )
    .prop_map(|c| c.into_iter().collect::<String>());
    json_leaf().prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_form_round_trips(v in json_value()) {
        let c = canonicalize(&v);
        prop_assert_eq!(check_canonical(&c), Ok(()));
        let back = parse(&c).unwrap();
        prop_assert_eq!(canonicalize(&back), c.clone());
        prop_assert_eq!(canonicalize_bytes(&c).unwrap(), c.clone());
        // Any formatting of the same value has the same canonical form.
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        prop_assert_eq!(canonicalize_bytes(pretty.as_bytes()).unwrap(), c.clone());
        let compact = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(canonicalize_bytes(&compact).unwrap(), c.clone());
        // The one-pass check is exactly "parse, canonicalize, compare".
        prop_assert_eq!(check_canonical(&compact).is_ok(), compact == c);
        prop_assert_eq!(check_canonical(pretty.as_bytes()).is_ok(), pretty.as_bytes() == c.as_slice());
    }

    /// Doubles between 2^50 and 2^51 are multiples of 1/4: those ending in .25 or .75 lie
    /// exactly between two shortest candidates (.2 and .3, .7 and .8); ECMAScript takes the
    /// even one, as ryu does.
    #[test]
    fn exact_ties_go_to_the_even_digit(n in (1u64 << 50)..(1u64 << 51), odd in any::<bool>()) {
        let x = (n * 4 + if odd { 3 } else { 1 }) as f64 / 4.0;
        let mut out = Vec::new();
        write_number(&mut out, x);
        let s = String::from_utf8(out).unwrap();
        prop_assert_eq!(&s, &serde_json::to_string(&x).unwrap());
        let last = s.as_bytes()[s.len() - 1];
        prop_assert_eq!((last - b'0') % 2, 0, "{}", s);
    }

    #[test]
    fn numbers_are_shortest_round_trip(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let mut out = Vec::new();
        write_number(&mut out, x);
        let s = String::from_utf8(out).unwrap();
        // Reads back as the same double (or 0 for -0).
        prop_assert_eq!(s.parse::<f64>().unwrap(), if x == 0.0 { 0.0 } else { x });
        // The same digits as ryu (serde_json's float writer), an independent shortest
        // round-trip implementation.
        let ryu = serde_json::to_string(&x).unwrap();
        prop_assert_eq!(digits_and_exponent(&s), digits_and_exponent(&ryu), "{} vs {}", s, ryu);
        prop_assert_eq!(check_canonical(s.as_bytes()), Ok(()));
    }
}
