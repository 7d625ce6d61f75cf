//! The JSON parser: strict RFC 8259, duplicate member names rejected, depth
//! bounded, no panics on any input.
//!
//! One grammar, generic over what it builds (`Sink`): `parse` builds a
//! `Value` tree; `member_string` only validates the document and keeps the
//! top-level object's string members (webhook bodies: the whole document is
//! checked, nothing else is allocated but member names that need
//! unescaping and one list per object for the duplicate check).

use super::Value;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::limits::MAX_JSON_DEPTH as MAX_DEPTH;

/// What the parser builds from each value it has read.
trait Sink<'a> {
    /// Whether strings without escapes are borrowed from the text (the tree
    /// owns its strings: borrowing would only add a copy and code).
    const BORROW: bool;
    type Str: PartialEq;
    /// A string without escapes (only called when `BORROW`).
    fn borrowed(s: &'a str) -> Self::Str;
    fn owned(s: String) -> Self::Str;
    type Value;
    type Array;
    type Object;
    fn null() -> Self::Value;
    fn bool(b: bool) -> Self::Value;
    fn number(n: f64) -> Self::Value;
    fn string(s: Self::Str) -> Self::Value;
    fn array() -> Self::Array;
    fn push(array: &mut Self::Array, item: Self::Value);
    fn end_array(array: Self::Array) -> Self::Value;
    fn object() -> Self::Object;
    /// `None` when `name` is already a member (duplicates are refused).
    fn member(object: &mut Self::Object, name: Self::Str, value: Self::Value) -> Option<()>;
    fn end_object(object: Self::Object) -> Self::Value;
}

/// Builds the `Value` tree.
struct Tree;

impl<'a> Sink<'a> for Tree {
    const BORROW: bool = false;
    type Str = String;
    #[inline(always)]
    fn borrowed(s: &'a str) -> String {
        String::from(s)
    }
    #[inline(always)]
    fn owned(s: String) -> String {
        s
    }
    type Value = Value;
    type Array = Vec<Value>;
    type Object = Vec<(String, Value)>;
    #[inline(always)]
    fn null() -> Value {
        Value::Null
    }
    #[inline(always)]
    fn bool(b: bool) -> Value {
        Value::Bool(b)
    }
    #[inline(always)]
    fn number(n: f64) -> Value {
        Value::Number(n)
    }
    #[inline(always)]
    fn string(s: String) -> Value {
        Value::String(s)
    }
    #[inline(always)]
    fn array() -> Vec<Value> {
        Vec::new()
    }
    #[inline(always)]
    fn push(array: &mut Vec<Value>, item: Value) {
        array.push(item);
    }
    #[inline(always)]
    fn end_array(array: Vec<Value>) -> Value {
        Value::Array(array)
    }
    #[inline(always)]
    fn object() -> Vec<(String, Value)> {
        Vec::new()
    }
    #[inline(always)]
    fn member(object: &mut Vec<(String, Value)>, name: String, value: Value) -> Option<()> {
        if object.iter().any(|(n, _)| *n == name) {
            return None;
        }
        object.push((name, value));
        Some(())
    }
    #[inline(always)]
    fn end_object(object: Vec<(String, Value)>) -> Value {
        Value::Object(object)
    }
}

#[cfg(any(feature = "edge", feature = "internals", test))]
/// Validates only; keeps string values and, for objects, their names and
/// string members (borrowed from the text unless escaped).
enum Skim<'a> {
    Other,
    String(Cow<'a, str>),
    Object(Vec<Member<'a>>),
}

#[cfg(any(feature = "edge", feature = "internals", test))]
type Member<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

#[cfg(any(feature = "edge", feature = "internals", test))]
impl<'a> Sink<'a> for Skim<'a> {
    const BORROW: bool = true;
    type Str = Cow<'a, str>;
    fn borrowed(s: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(s)
    }
    fn owned(s: String) -> Cow<'a, str> {
        Cow::Owned(s)
    }
    type Value = Skim<'a>;
    type Array = ();
    type Object = Vec<Member<'a>>;
    fn null() -> Self {
        Skim::Other
    }
    fn bool(_: bool) -> Self {
        Skim::Other
    }
    fn number(_: f64) -> Self {
        Skim::Other
    }
    fn string(s: Cow<'a, str>) -> Self {
        Skim::String(s)
    }
    fn array() {}
    fn push(_: &mut (), _: Self) {}
    fn end_array(_: ()) -> Self {
        Skim::Other
    }
    fn object() -> Vec<Member<'a>> {
        Vec::new()
    }
    fn member(object: &mut Vec<Member<'a>>, name: Cow<'a, str>, value: Self) -> Option<()> {
        if object.iter().any(|(n, _)| *n == name) {
            return None;
        }
        let value = match value {
            Skim::String(s) => Some(s),
            _ => None,
        };
        object.push((name, value));
        Some(())
    }
    fn end_object(object: Vec<Member<'a>>) -> Self {
        Skim::Object(object)
    }
}

struct Parser<'a, S> {
    bytes: &'a [u8],
    pos: usize,
    sink: PhantomData<S>,
}

/// Parses a complete JSON text; `None` on any syntax error.
pub fn parse(text: &str) -> Option<Value> {
    document::<Tree>(text)
}

#[cfg(any(feature = "edge", feature = "internals", test))]
/// Validates a complete JSON text exactly as `parse` does (`None` where it
/// fails) without building the tree, and returns the top-level object's
/// member `name` when it is a string (`Some(None)` when the document is not
/// an object, or the member is absent or not a string).
pub fn member_string<'a>(text: &'a str, name: &str) -> Option<Option<Cow<'a, str>>> {
    Some(match document::<Skim<'a>>(text)? {
        Skim::Object(members) => members
            .into_iter()
            .find(|(n, _)| *n == *name)
            .and_then(|(_, v)| v),
        _ => None,
    })
}

#[inline(always)]
fn document<'a, S: Sink<'a>>(text: &'a str) -> Option<S::Value> {
    let mut p = Parser::<S> {
        bytes: text.as_bytes(),
        pos: 0,
        sink: PhantomData,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    (p.pos == p.bytes.len()).then_some(v)
}

impl<'a, S: Sink<'a>> Parser<'a, S> {
    // Inlined by hand: at opt-level "z" these stay calls, one per byte.
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

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

    fn literal(&mut self, word: &[u8], value: S::Value) -> Option<S::Value> {
        let end = self.pos.checked_add(word.len())?;
        if self.bytes.get(self.pos..end)? == word {
            self.pos = end;
            Some(value)
        } else {
            None
        }
    }

    fn value(&mut self, depth: usize) -> Option<S::Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(S::string),
            b't' => self.literal(b"true", S::bool(true)),
            b'f' => self.literal(b"false", S::bool(false)),
            b'n' => self.literal(b"null", S::null()),
            b'-' | b'0'..=b'9' => self.number().map(S::number),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<S::Value> {
        self.pos += 1; // '{'
        let mut members = S::object();
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(S::end_object(members));
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
            S::member(&mut members, name, value)?;
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b'}' => return Some(S::end_object(members)),
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<S::Value> {
        self.pos += 1; // '['
        let mut items = S::array();
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(S::end_array(items));
        }
        loop {
            self.skip_ws();
            let item = self.value(depth + 1)?;
            S::push(&mut items, item);
            self.skip_ws();
            match self.next()? {
                b',' => continue,
                b']' => return Some(S::end_array(items)),
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

    /// A string, borrowed from the text when it has no escape.
    fn string(&mut self) -> Option<S::Str> {
        self.pos += 1; // '"'
        let mut out = String::new();
        let mut first = S::BORROW;
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
            let plain = core::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
            let end = self.next()?;
            if first && end == b'"' {
                return Some(S::borrowed(plain));
            }
            out.push_str(plain);
            match end {
                b'"' => return Some(S::owned(out)),
                b'\\' => {
                    first = false;
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
