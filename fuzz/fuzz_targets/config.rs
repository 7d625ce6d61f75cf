//! Provider and client validation: `Client::new` from arbitrary strings for
//! every field, `Provider::validate`, and the authorization URL a valid
//! configuration produces.
#![no_main]

use arbitrary::Arbitrary;
use fuzz_support::{assert_code_in, assert_no_leak, strict_pairs};
use libfuzzer_sys::fuzz_target;
use pleo_oauth::authorization::RESERVED_PARAMS;
use pleo_oauth::encoding::url::is_loopback_host;
use pleo_oauth::secret::ClientSecret;
use pleo_oauth::{AuthorizationOptions, Client, ClientAuth, ClientConfig, ErrorCode, Provider};

#[derive(Arbitrary, Debug)]
struct Input {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    introspection_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
    api_base_url: Option<String>,
    iss_parameter_supported: bool,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    client_secret: Option<String>,
    client_auth: Option<String>,
}

/// Marks the secret so a leak is unmistakable.
const MARK: &str = "zFUZZSECRETz";

/// What the library promises about an accepted URL (RFC 9700 §2.1, RFC
/// 6749 §3.1.2), checked independently of its parser.
fn assert_acceptable_url(url: &str, what: &str) {
    assert!(url.len() <= 4096, "{what}: too long");
    assert!(
        url.bytes().all(|b| (0x21..0x7f).contains(&b)),
        "{what} accepted with whitespace/control/non-ASCII: {url:?}"
    );
    assert!(
        !url.contains('#'),
        "{what} accepted with a fragment: {url:?}"
    );
    assert!(
        !url.contains('\\'),
        "{what} accepted with a backslash: {url:?}"
    );
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        let authority = r.split(['/', '?']).next().unwrap_or("");
        let host = if authority.starts_with('[') {
            authority.split_inclusive(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        };
        assert!(
            is_loopback_host(host),
            "{what}: http to non-loopback {url:?}"
        );
        let ok_host = host == "localhost"
            || host == "[::1]"
            || (host.starts_with("127.")
                && host.split('.').count() == 4
                && host.split('.').all(|p| p.parse::<u8>().is_ok()));
        assert!(ok_host, "{what}: loopback check accepted {host:?}");
        r
    } else {
        panic!("{what} accepted without http(s) scheme: {url:?}");
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    assert!(!authority.is_empty(), "{what}: empty authority {url:?}");
    assert!(!authority.contains('@'), "{what}: userinfo {url:?}");
    // WHATWG URL parsing (what fetch() does) must agree on the host.
    // (Checked only by shape here: no percent signs in the host.)
    assert!(!authority.contains('%'), "{what}: encoded host {url:?}");
}

fuzz_target!(|input: Input| {
    let provider = Provider {
        issuer: input.issuer.clone(),
        authorization_endpoint: input.authorization_endpoint.clone(),
        token_endpoint: input.token_endpoint.clone(),
        introspection_endpoint: input.introspection_endpoint.clone(),
        revocation_endpoint: input.revocation_endpoint.clone(),
        api_base_url: input.api_base_url.clone(),
        iss_parameter_supported: input.iss_parameter_supported,
    };
    let provider_ok = match provider.validate() {
        Ok(()) => {
            assert_acceptable_url(&provider.issuer, "issuer");
            assert!(!provider.issuer.contains('?'), "issuer with a query");
            assert_acceptable_url(&provider.authorization_endpoint, "authorizationEndpoint");
            assert_acceptable_url(&provider.token_endpoint, "tokenEndpoint");
            for u in [
                &provider.introspection_endpoint,
                &provider.revocation_endpoint,
                &provider.api_base_url,
            ]
            .into_iter()
            .flatten()
            {
                assert_acceptable_url(u, "optional endpoint");
            }
            if let Some((_, q)) = provider.authorization_endpoint.split_once('?') {
                let pairs = strict_pairs(q).expect("accepted an undecodable endpoint query");
                for (n, _) in pairs {
                    assert!(
                        !RESERVED_PARAMS.contains(&n.as_str()),
                        "endpoint query carries reserved {n}"
                    );
                }
            }
            true
        }
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            false
        }
    };

    let client_auth = match input.client_auth.as_deref().map(ClientAuth::parse) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            assert_eq!(e.code(), ErrorCode::InvalidConfig);
            return;
        }
    };
    let secret = input.client_secret.as_ref().map(|s| [MARK, s].concat());
    let config = ClientConfig {
        provider,
        client_id: input.client_id.clone(),
        redirect_uri: input.redirect_uri.clone(),
        scopes: input.scopes.clone(),
        client_secret: secret.clone().map(ClientSecret::new),
        client_auth,
    };
    let marker_in_public_fields =
        format!("{input:?}").replace(&format!("client_secret: {:?}", input.client_secret), "");
    let check_leaks = !marker_in_public_fields.contains(MARK);
    match Client::new(config) {
        Ok(client) => {
            assert!(
                provider_ok,
                "Client::new accepted a provider validate() rejects"
            );
            assert!(!input.client_id.is_empty());
            assert!(!input.client_id.chars().any(char::is_control));
            assert_acceptable_url(&input.redirect_uri, "redirectUri");
            for s in &input.scopes {
                assert!(
                    !s.is_empty()
                        && s.bytes().all(|b| b == 0x21
                            || (0x23..=0x5b).contains(&b)
                            || (0x5d..=0x7e).contains(&b)),
                    "accepted scope {s:?}"
                );
            }
            match (&secret, client.client_auth()) {
                (Some(_), ClientAuth::None) => panic!("secret with auth none"),
                (None, ClientAuth::ClientSecretBasic | ClientAuth::ClientSecretPost) => {
                    panic!("secret auth without a secret")
                }
                _ => {}
            }
            if check_leaks {
                assert!(
                    !format!("{client:?}").contains(MARK),
                    "Client Debug leaks the secret"
                );
            }
            // A valid configuration always yields a well-formed URL.
            let start = client
                .start_authorization(AuthorizationOptions::default(), 0)
                .unwrap_or_else(|e| panic!("valid client cannot start: {e}"));
            assert!(start.url.starts_with(&input.authorization_endpoint));
            let q = fuzz_support::query_of(&start.url).expect("no query");
            let pairs = strict_pairs(q).expect("authorize URL does not decode");
            for name in fuzz_support::ALWAYS_IN_AUTHORIZE_URL {
                assert_eq!(
                    pairs.iter().filter(|(n, _)| n == name).count(),
                    1,
                    "{name} not exactly once in {}",
                    start.url
                );
            }
            let scope_count = pairs.iter().filter(|(n, _)| n == "scope").count();
            assert_eq!(scope_count, usize::from(!input.scopes.is_empty()));
            let get = |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(get("client_id"), Some(input.client_id.as_str()));
            assert_eq!(get("redirect_uri"), Some(input.redirect_uri.as_str()));
            assert_eq!(get("code_challenge_method"), Some("S256"));
            assert!(get("client_secret").is_none() && get("code_verifier").is_none());
            if check_leaks {
                assert!(
                    !start.url.contains(MARK),
                    "authorize URL carries the secret"
                );
            }
            assert!(!start
                .url
                .contains(start.pending.code_verifier.expose_secret()));
        }
        Err(e) => {
            assert_code_in(&e, &[ErrorCode::InvalidConfig], "Client::new");
            if check_leaks {
                assert_no_leak(&e, MARK, "client secret");
            }
        }
    }
});
