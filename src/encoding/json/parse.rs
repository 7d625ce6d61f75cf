//! The JSON parser: strict RFC 8259, duplicate member names rejected, depth
//! bounded, no panics on any input.

use super::Value;
use alloc::string::String;
use alloc::vec::Vec;

use crate::limits::MAX_JSON_DEPTH as MAX_DEPTH;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// Parses a complete JSON text; `None` on any syntax error.
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser::new(text);
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    (p.pos == p.bytes.len()).then_some(v)
}

/// A member value as [`members`] leaves it: a string without escapes as its
/// byte range in the text, a number as its value, anything else parsed and
/// dropped (checked exactly as [`parse`] checks it).
#[cfg(feature = "edge")]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Raw {
    Str(usize, usize),
    Number(f64),
    Other,
}

/// The members of a JSON text that is one object, without building values:
/// `Some(n)` when [`parse`] would accept `text` as an object whose `n`
/// members (at most `out.len()`) have names without escapes, each written
/// to `out` in order. `None` otherwise (a syntax error, another value, a
/// duplicate or escaped name, more members): the caller then parses the
/// text with [`parse`], which decides. The token endpoint's fast path.
#[cfg(feature = "edge")]
pub fn members<'a>(text: &'a str, out: &mut [(&'a str, Raw)]) -> Option<usize> {
    let mut p = Parser::new(text);
    p.skip_ws();
    if p.next()? != b'{' {
        return None;
    }
    let mut n = 0;
    p.skip_ws();
    if p.peek()? == b'}' {
        p.pos += 1;
    } else {
        loop {
            p.skip_ws();
            if p.peek()? != b'"' {
                return None;
            }
            let Raw::Str(start, end) = p.raw_string()? else {
                return None;
            };
            let name = text.get(start..end)?;
            p.skip_ws();
            if p.next()? != b':' {
                return None;
            }
            p.skip_ws();
            let raw = match p.peek()? {
                b'"' => p.raw_string()?,
                b'-' | b'0'..=b'9' => Raw::Number(p.number()?),
                _ => p.value(1).map(|_| Raw::Other)?,
            };
            let seen = out.get(..n)?;
            if seen.iter().any(|(m, _)| *m == name) {
                return None;
            }
            *out.get_mut(n)? = (name, raw);
            n += 1;
            p.skip_ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.skip_ws();
    (p.pos == p.bytes.len()).then_some(n)
}

/// Where the first `"`, `\\` or control byte is, eight bytes at a time: for
/// each test, a byte that is zero after the XOR (or below 0x20) borrows
/// and sets its high bit in `x - 0x01…` masked by `!x`. Bits above a true
/// hit may be false, the lowest is exact, so the lowest of the three is.
#[cfg(feature = "edge")]
pub(super) fn plain_run(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        let found = (below(x ^ (ONES * u64::from(b'"')), 1)
            | below(x ^ (ONES * u64::from(b'\\')), 1)
            | below(x, 0x20))
            & HIGH;
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    let tail = bytes.get(i..)?;
    let at = tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(i + at)
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// A string at `pos`: its byte range when it has no escapes, else
    /// parsed by [`Self::string`] and `Raw::Other`.
    #[cfg(feature = "edge")]
    fn raw_string(&mut self) -> Option<Raw> {
        let open = self.pos;
        let start = open + 1;
        let rest = self.bytes.get(start..)?;
        let run = plain_run(rest)?;
        if rest.get(run) == Some(&b'"') {
            self.pos = start + run + 1;
            return Some(Raw::Str(start, start + run));
        }
        self.pos = open;
        self.string().map(|_| Raw::Other)
    }

    // Inlined by hand: at opt-level "z" these stay calls, one per byte.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        let end = self.pos.checked_add(word.len())?;
        if self.bytes.get(self.pos..end)? == word {
            self.pos = end;
            Some(value)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek()? != b'"' {
                return None;
            }
            let name = self.string()?;
            self.skip_ws();
            if self.next()? != b':' {
                return None;
            }
            self.skip_ws();
            let value = self.value(depth + 1)?;
            if members.iter().any(|(n, _)| *n == name) {
                return None;
            }
            members.push((name, value));
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(Value::Object(members)),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b']' => return Some(Value::Array(items)),
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = (self.next()? as char).to_digit(16)?;
            n = n * 16 + d;
        }
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once.
            let start = self.pos;
            let rest = self.bytes.get(start..)?;
            let run = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            self.pos = start + run;
            // The input is a &str and runs stop only at ASCII bytes, so the
            // slice is on character boundaries.
            out.push_str(self.text.get(start..self.pos)?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => return None, // a raw control character
            }
        }
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            // A high surrogate must be followed by an escaped low surrogate.
            if self.next()? != b'\\' || self.next()? != b'u' {
                return None;
            }
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        } else {
            char::from_u32(first) // lone low surrogates fail here
        }
    }

    /// RFC 8259 §6 number grammar. The value is computed from at most 19
    /// significant digits and a power of ten: correctly rounded whenever the
    /// digits fit in 2^53 and the power is within 10^±22 (every `expires_in`
    /// and the usual decimals), approximate in the last bits beyond that.
    /// This avoids the float-parsing tables of `core` in the wasm.
    fn number(&mut self) -> Option<f64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut mantissa: u64 = 0;
        let mut exponent: i32 = 0;
        let mut accumulate = |d: u8, after_point: bool, mantissa: &mut u64| {
            if *mantissa < 1_000_000_000_000_000_000 {
                *mantissa = *mantissa * 10 + u64::from(d - b'0');
                if after_point {
                    exponent -= 1;
                }
            } else if !after_point {
                exponent += 1; // digits beyond 19 only scale the value
            }
        };
        match self.next()? {
            b'0' => {}
            d @ b'1'..=b'9' => {
                accumulate(d, false, &mut mantissa);
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                    accumulate(d, false, &mut mantissa);
                }
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            while let Some(d @ b'0'..=b'9') = self.peek() {
                self.pos += 1;
                accumulate(d, true, &mut mantissa);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let exp_negative = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            let mut e: i32 = 0;
            while let Some(d @ b'0'..=b'9') = self.peek() {
                self.pos += 1;
                e = e.saturating_mul(10).saturating_add(i32::from(d - b'0'));
            }
            exponent = if exp_negative {
                exponent.saturating_sub(e)
            } else {
                exponent.saturating_add(e)
            };
        }
        let value = scale(mantissa as f64, exponent);
        // Out-of-range numbers (1e400) are rejected, as serde_json does.
        value
            .is_finite()
            .then_some(if negative { -value } else { value })
    }
}

/// `m × 10^e`. Clinger's fast path: when `m` < 2^53 and |e| ≤ 22 both `m`
/// and `10^|e|` are exact doubles, so one multiplication or division rounds
/// once, correctly (the differential test against serde_json found `0.3`
/// read as 0.30000000000000004 when this multiplied by 0.1 repeatedly).
/// Beyond it the power is applied in exact steps of 10^22: a few roundings,
/// a few ulps off at most (small code, no tables).
fn scale(m: f64, e: i32) -> f64 {
    if m == 0.0 {
        return 0.0;
    }
    let mut m = m;
    let mut e = e.clamp(-400, 400);
    while e > 22 && m.is_finite() {
        m *= 1e22;
        e -= 22;
    }
    while e < -22 && m != 0.0 {
        m /= 1e22;
        e += 22;
    }
    let mut power = 1.0;
    for _ in 0..e.unsigned_abs() {
        power *= 10.0;
    }
    if e >= 0 {
        m * power
    } else {
        m / power
    }
}
