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

/// The token endpoint's fast path finds a string's end eight bytes at a
/// time: the same answer as a byte at a time, wherever the stop is.
#[cfg(feature = "edge")]
#[test]
fn plain_run_finds_the_first_stop_like_a_byte_loop() {
    let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
    let fillers: [u8; 8] = [b'a', b' ', 0x7f, 0x80, 0xff, b'!', b'#', b'[' + 1];
    let stops: [u8; 6] = [b'"', b'\\', 0x00, 0x1f, 0x01, b'\n'];
    for len in 0..24 {
        for &fill in &fillers {
            let mut bytes = vec![fill; len];
            assert_eq!(super::parse::plain_run(&bytes), naive(&bytes));
            for at in 0..len {
                for &stop in &stops {
                    bytes[at] = stop;
                    assert_eq!(super::parse::plain_run(&bytes), naive(&bytes), "{bytes:?}");
                    // A second stop after the first changes nothing.
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                        assert_eq!(super::parse::plain_run(&bytes), naive(&bytes), "{bytes:?}");
                        bytes[at + 1] = fill;
                    }
                    bytes[at] = fill;
                }
            }
        }
    }
}
