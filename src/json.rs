//! A small, strict JSON parser (RFC 8259) for token-endpoint responses.
//! Written here rather than pulling serde_json into the wasm: responses are
//! small objects, and what matters is that hostile input is rejected, never
//! panics, and cannot exhaust the stack.

/// A parsed JSON value. Objects keep member order; duplicate names are
/// rejected at parse time (RFC 8259 §4 leaves them undefined).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Nesting deeper than this is rejected (no stack exhaustion).
pub const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Parses a complete JSON text; `None` on any syntax error.
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        pos: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    (p.pos == p.bytes.len()).then_some(v)
}

impl Parser<'_> {
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
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The input is a &str and runs stop only at ASCII bytes, so the
            // slice is on character boundaries.
            out.push_str(std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?);
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

    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let text = std::str::from_utf8(self.bytes.get(start..self.pos)?).ok()?;
        // Out-of-range numbers (1e400) are rejected, as serde_json does.
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_token_response() {
        let v = parse(r#" {"access_token":"a\"b\u00e9\ud83d\ude00","expires_in":900,"x":[1,-2.5e3,true,null,{}]} "#)
            .unwrap();
        assert_eq!(v.get("access_token"), Some(&Value::String("a\"bé😀".into())));
        assert_eq!(v.get("expires_in"), Some(&Value::Number(900.0)));
    }

    #[test]
    fn rejects_what_rfc8259_rejects() {
        for bad in [
            "", "{", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "-", "+1", "1e", "NaN", "Infinity",
            "{'a':1}", "\"\u{1}\"", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "{} x", "tru",
            "{\"a\":1,\"a\":2}", "<html>",
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
    fn agrees_with_serde_json_on_samples() {
        for s in [r#"{"a":[1,2,{"b":null}],"c":"\n\t\\"}"#, "1e308", "-0", "[\"\\u0041\"]", "1e400"] {
            let ours = parse(s);
            let theirs: Result<serde_json::Value, _> = serde_json::from_str(s);
            assert_eq!(ours.is_some(), theirs.is_ok(), "{s}");
        }
    }
}
