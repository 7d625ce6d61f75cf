//! Raw JSON text spans: where each element of a top-level member's array
//! (or a member's value) starts and ends in the original text.
//!
//! The export core hands accounting entries to the ledger as the exact text
//! Pleo sent (issue #10: no re-serialisation, money stays integer minor
//! units), so it needs positions, not values. The text is validated first by
//! the strict parser in `json`; this scanner then only has to find
//! boundaries, iteratively (no recursion) and without indexing panics.

use alloc::vec::Vec;
use core::ops::Range;

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// End (exclusive) of the string literal starting at `pos` (a `"`).
fn string_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// End (exclusive) of the value starting at `pos`.
fn value_end(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => string_end(bytes, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            // A number or literal: runs until a structural character or space.
            let mut i = pos;
            while let Some(b) = bytes.get(i) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            (i > pos).then_some(i)
        }
    }
}

/// The span of the value of the top-level member `name` (whose raw,
/// unescaped spelling must match exactly: Pleo's member names are plain).
pub fn member_span(text: &str, name: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if bytes.get(pos)? != &b'{' {
        return None;
    }
    pos += 1;
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos)? {
            b'}' => return None,
            b',' => {
                pos += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let name_end = string_end(bytes, pos)?;
        let this_name = bytes.get(pos + 1..name_end - 1)?;
        pos = skip_ws(bytes, name_end);
        if bytes.get(pos)? != &b':' {
            return None;
        }
        pos = skip_ws(bytes, pos + 1);
        let end = value_end(bytes, pos)?;
        if this_name == name.as_bytes() {
            return Some(pos..end);
        }
        pos = end;
    }
}

/// The spans of the elements of the array at `span`.
pub fn array_element_spans(text: &str, span: Range<usize>) -> Option<Vec<Range<usize>>> {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, span.start);
    if bytes.get(pos)? != &b'[' {
        return None;
    }
    pos += 1;
    let mut out = Vec::new();
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos)? {
            b']' => return Some(out),
            b',' => {
                pos += 1;
                continue;
            }
            _ => {}
        }
        let end = value_end(bytes, pos)?;
        if end > span.end {
            return None;
        }
        out.push(pos..end);
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_member_and_element_spans_exactly() {
        let text = r#" { "pagination" : {"a":[1,2]}, "data" : [ {"x":"]}\"","n":1.50} , 7 ,"s", [[]] ] } "#;
        let span = member_span(text, "data").unwrap();
        let elements = array_element_spans(text, span).unwrap();
        let parts: Vec<&str> = elements.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(parts, [r#"{"x":"]}\"","n":1.50}"#, "7", r#""s""#, "[[]]"]);
        let p = member_span(text, "pagination").unwrap();
        assert_eq!(&text[p], r#"{"a":[1,2]}"#);
        assert_eq!(member_span(text, "missing"), None);
    }

    #[test]
    fn garbage_gives_none_without_panicking() {
        for bad in [
            "",
            "[",
            "{\"data\"",
            "{\"data\":[{",
            "{\"data\":\"",
            "{\"a\\",
            "]]]",
        ] {
            let _ = member_span(bad, "data").and_then(|s| array_element_spans(bad, s));
        }
    }
}
