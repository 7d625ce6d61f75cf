//! application/x-www-form-urlencoded encoding and decoding (WHATWG URL
//! standard §5), used for query strings, token request bodies and the
//! `client_secret_basic` credentials of RFC 6749 §2.3.1.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
fn hex_digit(n: u8) -> char {
    let n = n & 15;
    (if n < 10 { b'0' + n } else { b'A' + n - 10 }) as char
}

/// Appends `value` form-encoded: alphanumerics and `*-._` stay, space becomes
/// `+`, every other byte of the UTF-8 encoding becomes `%XX`.
pub fn encode_into(out: &mut String, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(hex_digit(b >> 4));
                out.push(hex_digit(b));
            }
        }
    }
}

#[cfg(any(test, feature = "internals"))]
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    encode_into(&mut out, value);
    out
}

/// Builds `name=value&name=value` with every name and value encoded.
#[derive(Default)]
pub struct FormBuilder {
    out: String,
}

impl FormBuilder {
    pub fn with_capacity(n: usize) -> Self {
        FormBuilder {
            out: String::with_capacity(n),
        }
    }

    /// Continues an existing URL: appends `?` or `&` as the URL needs
    /// (an endpoint that already has a query keeps it).
    pub fn continuing_url(url: &str, extra: usize) -> Self {
        let mut out = String::with_capacity(url.len() + extra);
        out.push_str(url);
        match url.find('?') {
            None => out.push('?'),
            Some(i) if i + 1 == url.len() || url.ends_with('&') => {}
            Some(_) => out.push('&'),
        }
        FormBuilder { out }
    }

    pub fn pair(&mut self, name: &str, value: &str) -> &mut Self {
        let last = self.out.as_bytes().last().copied();
        if !matches!(last, None | Some(b'?') | Some(b'&')) {
            self.out.push('&');
        }
        encode_into(&mut self.out, name);
        self.out.push('=');
        encode_into(&mut self.out, value);
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form-encoded component. Unlike browsers, which keep a broken
/// `%` sequence literally, this rejects it: a callback that needs guessing
/// is not one to trust. Invalid UTF-8 is rejected too.
///
/// A component without `%` or `+` (most callback values: codes, states) is
/// returned borrowed, so parsing a callback allocates only the list.
pub fn decode(input: &str) -> Option<Cow<'_, str>> {
    let bytes = input.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Some(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter();
    while let Some(&b) = iter.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(*iter.next()?)?;
                let lo = hex_value(*iter.next()?)?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Splits a query string into decoded pairs. `None` when any part does not
/// decode. Empty segments (`a=1&&b=2`) are skipped, as browsers do.
///
/// One byte loop finds the `&` and `=` and notes a `%` or `+`, so a pair
/// without either is borrowed without a second look (at opt-level "z"
/// `split` and `split_once` stay calls into a generic searcher per
/// segment). The edge build skips eight bytes at a time where none of those
/// four is among them.
pub fn parse(query: &str) -> Option<Vec<(Cow<'_, str>, Cow<'_, str>)>> {
    let mut pairs = Vec::with_capacity(4);
    let bytes = query.as_bytes();
    let (mut start, mut eq, mut encoded) = (0, None, false);
    let mut i = 0;
    while i <= bytes.len() {
        #[cfg(feature = "edge")]
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            if !has_form_byte(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        match bytes.get(i).copied().unwrap_or(b'&') {
            b'=' if eq.is_none() => eq = Some(i),
            b'%' | b'+' => encoded = true,
            b'&' => {
                if i > start {
                    // `&` and `=` are ASCII: the cuts are on char boundaries.
                    let (name, value) = match eq {
                        Some(e) => (query.get(start..e)?, query.get(e + 1..i)?),
                        None => (query.get(start..i)?, ""),
                    };
                    pairs.push(if encoded {
                        (decode(name)?, decode(value)?)
                    } else {
                        (Cow::Borrowed(name), Cow::Borrowed(value))
                    });
                }
                start = i + 1;
                eq = None;
                encoded = false;
            }
            _ => {}
        }
        i += 1;
    }
    Some(pairs)
}

/// Whether any of the eight bytes is `&`, `=`, `%` or `+` (the zero-byte
/// test on the word XORed with each: exact when none is).
#[cfg(feature = "edge")]
fn has_form_byte(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let eq = |b: u8| zero_byte(word ^ (ONES * u64::from(b)));
    (eq(b'&') | eq(b'=') | eq(b'%') | eq(b'+')) != 0
}

/// The value of the pair named `name` as it stands in `query`, still
/// encoded (the first such pair).
pub fn raw_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(n)? == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_appendix_b_encoding_vector() {
        // RFC 6749 Appendix B: " %&+£€" → "+%25%26%2B%C2%A3%E2%82%AC"
        assert_eq!(encode(" %&+£€"), "+%25%26%2B%C2%A3%E2%82%AC");
    }

    #[test]
    fn plain_components_are_borrowed_not_copied() {
        assert!(matches!(
            decode("abc-123_~."),
            Some(Cow::Borrowed("abc-123_~."))
        ));
        assert!(matches!(decode("a%21"), Some(Cow::Owned(s)) if s == "a!"));
        let pairs = parse("code=abc&state=xyz").unwrap();
        assert!(pairs
            .iter()
            .all(|(n, v)| matches!(n, Cow::Borrowed(_)) && matches!(v, Cow::Borrowed(_))));
    }

    #[test]
    fn decode_rejects_broken_percent_sequences_and_bad_utf8() {
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("a%zz"), None);
        assert_eq!(decode("%C3%28"), None);
        assert_eq!(decode("a+b%21").as_deref(), Some("a b!"));
    }

    #[test]
    fn continuing_url_keeps_an_existing_query() {
        let mut b = FormBuilder::continuing_url("https://a.test/x?tenant=1", 0);
        b.pair("k", "v w");
        assert_eq!(b.finish(), "https://a.test/x?tenant=1&k=v+w");
        let mut b = FormBuilder::continuing_url("https://a.test/x", 0);
        b.pair("k", "v").pair("l", "&");
        assert_eq!(b.finish(), "https://a.test/x?k=v&l=%26");
        let mut b = FormBuilder::continuing_url("https://a.test/x?", 0);
        b.pair("k", "v");
        assert_eq!(b.finish(), "https://a.test/x?k=v");
    }

    #[test]
    #[cfg(feature = "edge")]
    fn the_eight_byte_test_finds_each_form_byte_anywhere() {
        for at in 0..8 {
            for b in [b'&', b'=', b'%', b'+'] {
                let mut w = *b"abcdefgh";
                w[at] = b;
                assert!(has_form_byte(u64::from_le_bytes(w)));
            }
        }
        assert!(!has_form_byte(u64::from_le_bytes(*b"abc-_.~Z")));
        assert!(!has_form_byte(u64::from_le_bytes([
            0x80,
            0xff,
            0x25 ^ 0x80,
            0x26 + 1,
            0x3c,
            0x3e,
            0x2a,
            0x2c
        ])));
    }

    #[test]
    fn parse_splits_pairs() {
        let p = parse("a=1&&b=&c").unwrap();
        assert_eq!(
            p,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "".into())
            ]
        );
    }
}
