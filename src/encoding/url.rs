//! The small part of URL syntax the library needs: validating endpoint and
//! redirect URLs, and splitting a callback URL into query and fragment.
//! Deliberately not a general URL parser (no IDNA tables in the wasm).

use crate::error::{Error, ErrorCode, Result};

/// What an absolute http(s) URL was found to be.
#[derive(Debug, PartialEq, Eq)]
pub struct CheckedUrl<'a> {
    pub https: bool,
    pub host: &'a str,
    /// Everything after the `?`, without the fragment (none is allowed).
    pub query: Option<&'a str>,
}

/// Loopback hosts, where plain `http` is acceptable (RFC 8252 §7.3,
/// RFC 9700 §2.1 for redirect URIs).
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    // 127.0.0.0/8, as a dotted quad of decimal octets.
    host.starts_with("127.") && is_dotted_quad(host)
}

fn invalid(code: ErrorCode, name: &str, why: &str) -> Error {
    Error::with_parts(code, &[name, " ", why])
}

/// Validates an endpoint or redirect URL: absolute `https` (plain `http`
/// only for loopback hosts), no fragment, no userinfo, no whitespace,
/// control or non-ASCII characters, a plausible host and port.
/// `name` names the parameter in error messages.
pub fn check_url<'a>(url: &'a str, name: &str, code: ErrorCode) -> Result<CheckedUrl<'a>> {
    if url.is_empty() {
        return Err(invalid(code, name, "is empty"));
    }
    if url.len() > 4096 {
        return Err(invalid(code, name, "is longer than 4096 bytes"));
    }
    if !url.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(invalid(
            code,
            name,
            "contains whitespace, control or non-ASCII characters",
        ));
    }
    // A byte search: `str::find("://")` pulls in the two-way string searcher.
    let separator = url.as_bytes().windows(3).position(|w| w == b"://");
    let (scheme, rest) = match separator {
        Some(i) => (url.get(..i).unwrap_or(""), url.get(i + 3..).unwrap_or("")),
        None => return Err(invalid(code, name, "is not an absolute http(s) URL")),
    };
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(invalid(code, name, "must use https"));
    };
    if rest.contains('#') {
        return Err(invalid(code, name, "must not have a fragment"));
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = rest.get(..authority_end).unwrap_or("");
    let after = rest.get(authority_end..).unwrap_or("");
    if authority.contains('@') {
        return Err(invalid(code, name, "must not contain userinfo"));
    }
    let (host, port) = split_host_port(authority)
        .ok_or_else(|| invalid(code, name, "has an invalid host or port"))?;
    if !https && !is_loopback_host(host) {
        return Err(invalid(
            code,
            name,
            "must use https (plain http is allowed only for loopback hosts)",
        ));
    }
    if port.is_some_and(|p| {
        p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65535)
    }) {
        return Err(invalid(code, name, "has an invalid host or port"));
    }
    if after.contains('\\') {
        return Err(invalid(code, name, "contains a backslash"));
    }
    let query = after.find('?').and_then(|i| after.get(i + 1..));
    Ok(CheckedUrl { https, host, query })
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let host = authority.get(..=close)?;
        let inner = host.get(1..host.len() - 1)?;
        if !is_ipv6(inner) {
            return None;
        }
        match authority.get(close + 1..)? {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.find(':') {
            Some(i) => (authority.get(..i)?, Some(authority.get(i + 1..)?)),
            None => (authority, None),
        }
    };
    let valid_name = !host.is_empty()
        && (host.starts_with('[')
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'));
    (valid_name && !is_unusual_ipv4(host)).then_some((host, port))
}

/// WHATWG URL §3.5: a host whose last label is a number (`127.1`, `999`,
/// `0x7f.1`, `1.2.3.256`) is parsed as an IPv4 address, so what a browser
/// connects to is not what the text says. Such hosts must be written as a
/// plain dotted quad (found by the differential test against the `url` crate).
fn is_unusual_ipv4(host: &str) -> bool {
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    let start = trimmed
        .bytes()
        .rposition(|b| b == b'.')
        .map_or(0, |i| i + 1);
    let last = trimmed.get(start..).unwrap_or("");
    let hex = last.strip_prefix("0x").or_else(|| last.strip_prefix("0X"));
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || hex.is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())));
    numeric && !is_dotted_quad(host)
}

/// RFC 4291 §2.2 text form: eight groups of 1–4 hex digits, one `::` for a
/// run of zero groups, optionally a dotted quad as the last two groups.
/// (A character check alone let `[::1:]` through; found by the
/// differential test against the `url` crate.) Byte loops only: `&str`
/// patterns would pull the two-way string searcher into the wasm.
fn is_ipv6(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut groups = 0;
    let mut compressed = false;
    let mut i = 0;
    if bytes.starts_with(b"::") {
        compressed = true;
        i = 2;
    }
    while i < bytes.len() {
        let end = bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b':'))
            .map_or(bytes.len(), |p| i + p);
        let group = s.get(i..end).unwrap_or("");
        if end == bytes.len() && group.contains('.') {
            // An embedded IPv4 address, last only.
            if !is_dotted_quad(group) {
                return false;
            }
            groups += 2;
        } else if group.is_empty()
            || group.len() > 4
            || !group.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return false;
        } else {
            groups += 1;
        }
        i = end + 1;
        if bytes.get(end..end + 2) == Some(b"::") {
            if compressed {
                return false;
            }
            compressed = true;
            i = end + 2;
        } else if end + 1 == bytes.len() {
            return false; // a trailing single ':'
        }
    }
    if compressed {
        groups <= 7
    } else {
        groups == 8
    }
}

fn is_dotted_quad(host: &str) -> bool {
    let mut parts = 0;
    host.split('.').all(|p| {
        parts += 1;
        let b = p.as_bytes();
        let value = b.iter().fold(0u32, |n, &d| {
            n.saturating_mul(10)
                .saturating_add(u32::from(d.wrapping_sub(b'0')))
        });
        !b.is_empty()
            && b.len() <= 3
            && b.iter().all(u8::is_ascii_digit)
            && (b.len() == 1 || b.first() != Some(&b'0'))
            && value <= 255
    }) && parts == 4
}

/// The query and fragment of a callback URL (the fragment without `#`).
/// Accepts an absolute URL, a path with a query, or a bare `?query`.
pub fn split_callback(url: &str) -> (Option<&str>, Option<&str>) {
    let (before_fragment, fragment) = match url.find('#') {
        Some(i) => (url.get(..i).unwrap_or(""), url.get(i + 1..)),
        None => (url, None),
    };
    let query = before_fragment
        .find('?')
        .and_then(|i| before_fragment.get(i + 1..));
    (query, fragment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(u: &str) -> bool {
        check_url(u, "url", ErrorCode::InvalidConfig).is_ok()
    }

    #[test]
    fn hosts_whatwg_reads_as_other_ipv4_addresses_are_refused() {
        let ok = |u: &str| check_url(u, "u", ErrorCode::InvalidConfig).is_ok();
        for bad in [
            "https://127.1",
            "https://999",
            "https://0x7f.1",
            "https://1.2.3.256",
            "http://127.0.0.01",
        ] {
            assert!(!ok(bad), "{bad}");
        }
        for good in [
            "https://1.2.3.4",
            "http://127.0.0.1:8080/cb",
            "https://a.b9",
            "https://9a.example",
        ] {
            assert!(ok(good), "{good}");
        }
    }

    #[test]
    fn rfc4291_ipv6_literals_are_checked_not_just_their_characters() {
        for good in ["::1", "1:2:3:4:5:6:7:8", "::ffff:127.0.0.1", "fe80::", "::"] {
            assert!(is_ipv6(good), "{good}");
        }
        for bad in [
            "::1:",
            ":1",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "12345::",
            "::1.2.3",
            "",
            "g::",
        ] {
            assert!(!is_ipv6(bad), "{bad}");
        }
    }

    #[test]
    fn https_endpoints_are_accepted() {
        assert!(ok("https://auth.staging.pleo.io/oauth/authorize"));
        assert!(ok("https://auth.pleo.io:443/oauth/token?x=1"));
        assert!(ok("HTTPS://AUTH.PLEO.IO/"));
        assert!(ok("https://[2001:db8::1]:8443/token"));
    }

    #[test]
    fn plain_http_only_for_loopback_hosts() {
        assert!(ok("http://127.0.0.1:4010/oauth/token"));
        assert!(ok("http://localhost:8787/auth/callback"));
        assert!(ok("http://[::1]/cb"));
        assert!(ok("http://127.1.2.3/cb"));
        assert!(!ok("http://auth.pleo.io/oauth/token"));
        assert!(!ok("http://127.0.0.1.evil.test/cb"));
        assert!(!ok("http://localhost.evil.test/cb"));
        assert!(!ok("http://127.0.0.256/cb"));
    }

    #[test]
    fn fragments_userinfo_and_odd_characters_are_rejected() {
        assert!(!ok("https://auth.pleo.io/authorize#frag"));
        assert!(!ok("https://user:pw@auth.pleo.io/authorize"));
        assert!(!ok("https://auth.pleo.io/ authorize"));
        assert!(!ok("https://auth.pleo.io/\tauthorize"));
        assert!(!ok("https://auth.pleo.io/é"));
        assert!(!ok("https://auth.pleo.io\\@evil.test/"));
        assert!(!ok("javascript:alert(1)"));
        assert!(!ok("ftp://auth.pleo.io/"));
        assert!(!ok("https:///path"));
        assert!(!ok("https://auth.pleo.io:0/"));
        assert!(!ok("https://auth.pleo.io:99999/"));
        assert!(!ok("https://auth.pleo.io:/"));
        assert!(!ok("https://%61uth.pleo.io/"));
        assert!(!ok(""));
    }

    #[test]
    fn query_is_reported() {
        let c = check_url("https://a.test/x?tenant=1", "u", ErrorCode::InvalidConfig).unwrap();
        assert_eq!(c.query, Some("tenant=1"));
        assert!(c.https);
        assert_eq!(c.host, "a.test");
    }

    #[test]
    fn split_callback_separates_query_and_fragment() {
        assert_eq!(
            split_callback("https://a.test/cb?code=1&state=2#x"),
            (Some("code=1&state=2"), Some("x"))
        );
        assert_eq!(split_callback("/cb#code=1"), (None, Some("code=1")));
        assert_eq!(split_callback("?code=1"), (Some("code=1"), None));
    }
}
