//! Unit tests of the parser and writer, and the differential test against
//! serde_json.

use super::*;
use crate::limits::MAX_JSON_DEPTH as MAX_DEPTH;

#[test]
fn parses_a_token_response() {
    let v = parse(r#" {"access_token":"a\"b\u00e9\ud83d\ude00","expires_in":900,"x":[1,-2.5e3,true,null,{}]} "#)
        .unwrap();
    assert_eq!(
        v.get("access_token"),
        Some(&Value::String("a\"bé😀".into()))
    );
    assert_eq!(v.get("expires_in"), Some(&Value::Number(900.0)));
}

#[test]
fn rejects_what_rfc8259_rejects() {
    for bad in [
        "",
        "{",
        "{\"a\":1,}",
        "[1,]",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "NaN",
        "Infinity",
        "{'a':1}",
        "\"\u{1}\"",
        "\"\\x\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "{} x",
        "tru",
        "{\"a\":1,\"a\":2}",
        "<html>",
    ] {
        assert_eq!(parse(bad), None, "{bad:?}");
    }
}

#[test]
fn deep_nesting_is_rejected_without_stack_overflow() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert_eq!(parse(&deep), None);
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(&ok).is_some());
}

#[test]
fn integers_are_exact() {
    for (text, n) in [
        ("0", 0.0),
        ("900", 900.0),
        ("-42", -42.0),
        ("3600.0", 3600.0),
        ("9e2", 900.0),
        ("1.5", 1.5),
        ("12345678901234567890", 1.2345678901234567e19),
    ] {
        assert_eq!(parse(text), Some(Value::Number(n)), "{text}");
    }
    assert_eq!(parse("1e-400"), Some(Value::Number(0.0)));
}

#[test]
fn agrees_with_serde_json_on_samples() {
    for s in [
        r#"{"a":[1,2,{"b":null}],"c":"\n\t\\"}"#,
        "1e308",
        "-0",
        "[\"\\u0041\"]",
        "1e400",
    ] {
        let ours = parse(s);
        let theirs: Result<serde_json::Value, _> = serde_json::from_str(s);
        assert_eq!(ours.is_some(), theirs.is_ok(), "{s}");
    }
}

#[test]
fn written_json_parses_back() {
    let mut w = ObjectWriter::new();
    w.str("a", "q\"\\\n\u{1}é😀")
        .int("n", 9_007_199_254_740_991)
        .bool("b", true)
        .str_array("s", &["x".into(), "y z".into()])
        .opt_str("none", None)
        .raw("o", "{}");
    let text = w.finish();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["a"], "q\"\\\n\u{1}é😀");
    assert_eq!(v["n"], 9_007_199_254_740_991u64);
    assert_eq!(v["s"][1], "y z");
    assert!(v.get("none").is_none());
    assert_eq!(parse(&text).unwrap().get("b"), Some(&Value::Bool(true)));
}

#[test]
fn member_string_validates_like_parse_and_reads_one_top_level_string() {
    let cases: &[(&str, Option<Option<&str>>)] = &[
        (
            r#"{"eventType":"v1.x","data":{"eventType":"no"}}"#,
            Some(Some("v1.x")),
        ),
        (
            r#"{"eventType":"a\"b\u00e9\ud83d\ude00"}"#,
            Some(Some("a\"bé😀")),
        ),
        (
            r#"{"\u0065ventType":"escaped name"}"#,
            Some(Some("escaped name")),
        ),
        (r#"{"eventType":1}"#, Some(None)),
        (r#"{"data":{"eventType":"nested"}}"#, Some(None)),
        (r#"["eventType","x"]"#, Some(None)),
        (r#""eventType""#, Some(None)),
        // Duplicates are refused, also when spelt differently or nested.
        (r#"{"eventType":"a","\u0065ventType":"b"}"#, None),
        (r#"{"x":{"a":1,"a":2},"eventType":"t"}"#, None),
        (r#"{"x":[{"b":1,"\u0062":2}]}"#, None),
        (r#"{"eventType":"t"} x"#, None),
        (r#"{"eventType":"\ud800"}"#, None),
        (r#"{"n":1e400}"#, None),
        ("", None),
    ];
    for (text, expected) in cases {
        let got = member_string(text, "eventType");
        assert_eq!(got.as_ref().map(|o| o.as_deref()), *expected, "{text}");
        assert_eq!(got.is_some(), parse(text).is_some(), "{text}");
    }
    let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
    assert!(member_string(&deep, "a").is_none() && parse(&deep).is_none());
    let ok = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(member_string(&ok, "a").is_some(), parse(&ok).is_some());
}
