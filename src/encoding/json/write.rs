//! The JSON writer: string literals and flat objects, enough for the values
//! the library writes (no `core::fmt`).

use alloc::string::String;

/// Writes `s` as a JSON string literal (RFC 8259 §7).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                let n = c as u8;
                for d in [n >> 4, n & 15] {
                    out.push(char::from(if d < 10 { b'0' + d } else { b'a' + d - 10 }));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds one JSON object, member by member.
pub struct ObjectWriter {
    out: String,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    pub fn new() -> Self {
        let mut out = String::with_capacity(256);
        out.push('{');
        ObjectWriter { out }
    }

    fn key(&mut self, name: &str) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, name);
        self.out.push(':');
        &mut self.out
    }

    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        let out = self.key(name);
        write_string(out, value);
        self
    }

    pub fn opt_str(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.str(name, v);
        }
        self
    }

    /// An integer (at most 2^53, so JavaScript reads it exactly).
    pub fn int(&mut self, name: &str, value: u64) -> &mut Self {
        let digits = crate::error::decimal(value);
        self.key(name).push_str(&digits);
        self
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.key(name)
            .push_str(if value { "true" } else { "false" });
        self
    }

    pub fn str_array(&mut self, name: &str, items: &[String]) -> &mut Self {
        let out = self.key(name);
        out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, item);
        }
        out.push(']');
        self
    }

    /// A member whose value is already JSON.
    pub fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.key(name).push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}
