//! The one encoding structured values use to cross the wasm boundary, in
//! both directions (docs/BOUNDARY.md is the full description):
//!
//! ```text
//! value  = absent / string / list / bad
//! absent = "-"                       ; undefined or null
//! string = length ":" text           ; length: UTF-16 code units of text, decimal
//! list   = "[" *value "]"
//! bad    = "!" / "?"                 ; JS → wasm only: "!" a value of the wrong
//!                                    ; JS type, "?" a string with a lone surrogate
//! ```
//!
//! A JS object crosses as a list of its fields in a fixed order (the order
//! is the shape's, written down in `shapes.rs` and js/api.js side by side),
//! numbers and booleans as their decimal / `true`/`false` text. Lengths count
//! UTF-16 code units so that JS can cut a decoded string with `slice`
//! without re-encoding; every text is UTF-8 inside wasm.
//!
//! Why not JSON: `JSON.stringify` plus a JSON parse in wasm cost more than
//! the protocol step they carry (see bench/RESULTS.md, "boundary"), and the
//! escaping pass on the way out too; a length prefix needs no escaping and
//! is read with `indexOf` + `slice` in JS.

use crate::error::{Error, ErrorCode, Result};
use alloc::string::String;
use alloc::vec::Vec;

/// Lists nest at most this deep (the deepest shape, a client config with a
/// provider record holding nothing nested, needs 2).
const MAX_DEPTH: usize = 4;

/// A list's items: the edge build reserves a shape's worth at once (one
/// allocation instead of growing 4 → 8: 0.95x the time of a callback); the
/// browser build grows as needed (20 B gzipped smaller).
#[cfg(feature = "edge")]
fn new_list<T>() -> Vec<T> {
    Vec::with_capacity(8)
}
#[cfg(not(feature = "edge"))]
fn new_list<T>() -> Vec<T> {
    Vec::new()
}

/// One decoded value. Strings borrow from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field<'a> {
    Absent,
    /// The JS value had the wrong type (`!`).
    WrongType,
    /// A JS string with a lone UTF-16 surrogate, which UTF-8 cannot carry (`?`).
    LoneSurrogate,
    Str(&'a str),
    List(Vec<Field<'a>>),
}

/// Decodes one value; `None` when the text is not in the grammar (a bug in
/// the JS encoder, never user input: api.js writes every record).
pub fn decode(text: &str) -> Option<Field<'_>> {
    let mut r = Reader { text, pos: 0 };
    let v = r.value(0)?;
    (r.pos == text.len()).then_some(v)
}

/// Decodes the value at the start of `text` and returns it with the text
/// after it (a call that sends one record followed by a plain string).
#[cfg(feature = "edge")]
pub fn decode_first(text: &str) -> Option<(Field<'_>, &str)> {
    let mut r = Reader { text, pos: 0 };
    let v = r.value(0)?;
    Some((v, text.get(r.pos..)?))
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn value(&mut self, depth: usize) -> Option<Field<'a>> {
        let bytes = self.text.as_bytes();
        match *bytes.get(self.pos)? {
            b'-' => {
                self.pos += 1;
                Some(Field::Absent)
            }
            b'!' => {
                self.pos += 1;
                Some(Field::WrongType)
            }
            b'?' => {
                self.pos += 1;
                Some(Field::LoneSurrogate)
            }
            b'[' if depth < MAX_DEPTH => {
                self.pos += 1;
                let mut items = new_list();
                while *bytes.get(self.pos)? != b']' {
                    items.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Some(Field::List(items))
            }
            b'0'..=b'9' => {
                let mut units: usize = 0;
                loop {
                    let b = *bytes.get(self.pos)?;
                    self.pos += 1;
                    match b {
                        b'0'..=b'9' => {
                            units = units.checked_mul(10)?.checked_add(usize::from(b - b'0'))?
                        }
                        b':' => break,
                        _ => return None,
                    }
                }
                let start = self.pos;
                self.pos = skip_utf16_units(bytes, start, units)?;
                self.text.get(start..self.pos).map(Field::Str)
            }
            _ => None,
        }
    }
}

/// The byte offset `units` UTF-16 code units after `start` (the input is
/// valid UTF-8, so lead bytes tell the width: 4-byte sequences are two
/// UTF-16 units, all others one).
fn skip_utf16_units(bytes: &[u8], mut pos: usize, mut units: usize) -> Option<usize> {
    // The common case, all ASCII: one unit a byte, checked a word at a time.
    if let Some(run) = bytes.get(pos..pos.checked_add(units)?) {
        if run.is_ascii() {
            return Some(pos + units);
        }
    }
    while units > 0 {
        let b = *bytes.get(pos)?;
        let (len, n) = match b {
            0x00..=0x7f => (1, 1),
            0xc0..=0xdf => (2, 1),
            0xe0..=0xef => (3, 1),
            _ => (4, 2),
        };
        units = units.checked_sub(n)?;
        pos += len;
    }
    (pos <= bytes.len()).then_some(pos)
}

/// UTF-16 code units of `s` (what JS's `.length` says).
pub fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// Writes values in the record encoding.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn with_capacity(n: usize) -> Self {
        Writer {
            out: String::with_capacity(n),
        }
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        crate::error::push_decimal(&mut self.out, utf16_len(s) as u64);
        self.out.push(':');
        self.out.push_str(s);
        self
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => self.absent(),
        }
    }

    pub fn absent(&mut self) -> &mut Self {
        self.out.push('-');
        self
    }

    /// An integer as decimal text (at most 2^53, so JS reads it exactly).
    pub fn int(&mut self, n: u64) -> &mut Self {
        let mut digits = String::new();
        crate::error::push_decimal(&mut digits, n);
        self.str(&digits)
    }

    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.str(if b { "true" } else { "false" })
    }

    pub fn begin(&mut self) -> &mut Self {
        self.out.push('[');
        self
    }

    pub fn end(&mut self) -> &mut Self {
        self.out.push(']');
        self
    }

    pub fn str_list(&mut self, items: &[String]) -> &mut Self {
        self.begin();
        for item in items {
            self.str(item);
        }
        self.end()
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Reads the fields of one JS object (a decoded list) by position, with the
/// error code and messages of the shape being read.
pub struct Fields<'a, 'f> {
    items: core::slice::Iter<'f, Field<'a>>,
    code: ErrorCode,
}

impl<'a, 'f> Fields<'a, 'f> {
    /// The fields of `value`, which must be a list (the JS value an object);
    /// `message` otherwise.
    pub fn of(value: &'f Field<'a>, code: ErrorCode, message: &'static str) -> Result<Self> {
        match value {
            Field::List(items) => Ok(Fields {
                items: items.iter(),
                code,
            }),
            _ => Err(Error::new(code, message)),
        }
    }

    /// A reader of the one field `value`: a field found by its name (the
    /// edge's export shapes, `export::js::read`), read with the same typed
    /// reads as a positional one.
    #[cfg(feature = "edge")]
    pub fn one(value: &'f Field<'a>, code: ErrorCode) -> Self {
        Fields {
            items: core::slice::from_ref(value).iter(),
            code,
        }
    }

    /// The next field, `Absent` past the end (older JS writing fewer fields).
    pub fn field(&mut self) -> &'f Field<'a> {
        self.items.next().unwrap_or(&Field::Absent)
    }

    fn fail<T>(&self, message: &'static str) -> Result<T> {
        Err(Error::new(self.code, message))
    }

    pub fn opt_str(&mut self, message: &'static str) -> Result<Option<&'a str>> {
        match self.field() {
            Field::Absent => Ok(None),
            Field::Str(s) => Ok(Some(s)),
            Field::LoneSurrogate => Err(Error::with_parts(
                self.code,
                &[message, " (it contains a lone UTF-16 surrogate)"],
            )),
            _ => self.fail(message),
        }
    }

    pub fn str(&mut self, message: &'static str) -> Result<&'a str> {
        self.opt_str(message)?
            .map_or_else(|| self.fail(message), Ok)
    }

    pub fn opt_str_list(&mut self, message: &'static str) -> Result<Option<Vec<String>>> {
        match self.field() {
            Field::Absent => Ok(None),
            Field::List(items) => items
                .iter()
                .map(|f| match f {
                    Field::Str(s) => Ok(String::from(*s)),
                    _ => self.fail(message),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            _ => self.fail(message),
        }
    }

    /// Name/value pairs (a JS object of strings, written as alternating
    /// names and values).
    pub fn opt_pairs(&mut self, message: &'static str) -> Result<Option<Vec<(String, String)>>> {
        let Some(flat) = self.opt_str_list(message)? else {
            return Ok(None);
        };
        let mut pairs = Vec::with_capacity(flat.len() / 2);
        let mut it = flat.into_iter();
        while let Some(name) = it.next() {
            let Some(value) = it.next() else {
                return self.fail(message);
            };
            pairs.push((name, value));
        }
        Ok(Some(pairs))
    }

    pub fn opt_bool(&mut self, message: &'static str) -> Result<Option<bool>> {
        match self.field() {
            Field::Absent => Ok(None),
            Field::Str("true") => Ok(Some(true)),
            Field::Str("false") => Ok(Some(false)),
            _ => self.fail(message),
        }
    }

    /// A time in milliseconds since the epoch, as JS's `String(number)`
    /// writes it; fractions are floored, anything else (negative, NaN,
    /// exponents, beyond 2^53) is `message` with code invalid_input.
    pub fn opt_time(&mut self, message: &'static str) -> Result<Option<u64>> {
        match self.field() {
            Field::Absent => Ok(None),
            Field::Str(s) => time_from_text(s)
                .map(Some)
                .ok_or_else(|| Error::new(ErrorCode::InvalidInput, message)),
            _ => Err(Error::new(ErrorCode::InvalidInput, message)),
        }
    }

    /// A list of values, each read by its own reader (a list of records).
    #[cfg(feature = "edge")]
    pub fn opt_items(&mut self, message: &'static str) -> Result<Option<&'f [Field<'a>]>> {
        match self.field() {
            Field::Absent => Ok(None),
            Field::List(items) => Ok(Some(items)),
            _ => self.fail(message),
        }
    }

    /// Whether the list had fields left (used to take the rest as a nested value).
    pub fn opt_list(&mut self) -> Option<&'f Field<'a>> {
        match self.field() {
            Field::Absent => None,
            f => Some(f),
        }
    }
}

/// `digits[.digits]` → whole milliseconds, at most [`crate::limits::MAX_TIME_MS`].
pub fn time_from_text(s: &str) -> Option<u64> {
    let int = match s.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => int,
        Some(_) => return None,
        None => s,
    };
    if int.is_empty() || int.len() > 16 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = int.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    (n <= crate::limits::MAX_TIME_MS).then_some(n)
}

/// A time passed as a plain JS number argument (`now`): finite, within
/// [0, 2^53), fractions floored.
pub fn time_from_number(n: f64, message: &'static str) -> Result<u64> {
    if n.is_finite() && (0.0..=crate::limits::MAX_TIME_MS as f64).contains(&n) {
        Ok(n as u64)
    } else {
        Err(Error::new(ErrorCode::InvalidInput, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_records_decode_back() {
        let mut w = Writer::default();
        w.begin()
            .str("a:b[c]-")
            .absent()
            .str("é😀x")
            .str("")
            .str_list(&["s1".into(), "s 2".into()])
            .int(9_007_199_254_740_991)
            .end();
        let text = w.finish();
        assert_eq!(text, "[7:a:b[c]--4:é😀x0:[2:s13:s 2]16:9007199254740991]");
        assert_eq!(
            decode(&text),
            Some(Field::List(vec![
                Field::Str("a:b[c]-"),
                Field::Absent,
                Field::Str("é😀x"),
                Field::Str(""),
                Field::List(vec![Field::Str("s1"), Field::Str("s 2")]),
                Field::Str("9007199254740991"),
            ]))
        );
    }

    #[test]
    fn lengths_count_utf16_units_like_js() {
        // "😀" is one char, four UTF-8 bytes and two UTF-16 units.
        assert_eq!(decode("2:😀"), Some(Field::Str("😀")));
        assert_eq!(decode("1:😀"), None);
        assert_eq!(decode("3:😀"), None);
    }

    #[test]
    fn malformed_records_are_refused_not_panicked_on() {
        for bad in [
            "",
            "[",
            "]",
            "5:abc",
            "1a:x",
            "[-",
            "x",
            "99999999999999999999999:a",
            "[[[[[-]]]]]",
            "-:",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert!(decode("[[[[-]]]]").is_some());
    }

    #[test]
    fn times_are_whole_milliseconds_within_2_pow_53() {
        assert_eq!(time_from_text("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(time_from_text("1.9"), Some(1));
        assert_eq!(time_from_text("9007199254740991"), Some((1 << 53) - 1));
        for bad in [
            "",
            "-1",
            "NaN",
            "Infinity",
            "1e+21",
            "9007199254740992",
            "1.",
            ".5",
            " 1",
        ] {
            assert_eq!(time_from_text(bad), None, "{bad}");
        }
    }
}
