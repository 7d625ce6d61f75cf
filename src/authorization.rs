//! Step 3: the authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3)
//! and the pending-authorization record the host keeps until the callback.

use crate::error::{Error, ErrorCode, Result};
use crate::form::FormBuilder;
use crate::pkce::{challenge_s256, is_valid_verifier};
use crate::provider::{check_scopes, Client};
use crate::random::random_token_pair;
use crate::secret::{CodeVerifier, State};
use alloc::string::String;
use alloc::vec::Vec;

pub use crate::params::{PLEO_SUBJECT_PARAM, RESERVED_PARAMS};

/// Options for one authorization request.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationOptions {
    /// Overrides the client's configured scopes.
    pub scopes: Option<Vec<String>>,
    /// Pleo subject URN (e.g. `urn:pleo:company:<uuid>`), passed through.
    pub subject: Option<String>,
    pub extra_params: Vec<(String, String)>,
}

/// What the host stores between the redirect and the callback. It holds the
/// verifier: keep it server-side or in storage only this origin can read.
#[derive(Debug)]
pub struct PendingAuthorization {
    pub state: State,
    pub code_verifier: CodeVerifier,
    pub redirect_uri: String,
    pub issuer: String,
    /// Milliseconds since the epoch.
    pub created_at: u64,
    /// The scopes requested, if any.
    pub scopes: Vec<String>,
}

pub use crate::limits::MAX_TIME_MS;

impl PendingAuthorization {
    /// A pending authorization comes back from storage the host controls;
    /// anything malformed or belonging to another client is `invalid_input`.
    pub fn check_belongs_to(&self, client: &Client) -> Result<()> {
        self.as_ref().check_belongs_to(client)
    }

    /// The same record, borrowed.
    pub fn as_ref(&self) -> PendingRef<'_> {
        PendingRef {
            state: self.state.expose_secret(),
            code_verifier: self.code_verifier.expose_secret(),
            redirect_uri: &self.redirect_uri,
            issuer: &self.issuer,
            created_at: self.created_at,
            scopes: &self.scopes,
        }
    }
}

/// A [`PendingAuthorization`] borrowed from wherever it is kept: the wasm
/// skin reads one from the boundary record without copying its strings.
#[derive(Clone, Copy)]
pub struct PendingRef<'a> {
    pub state: &'a str,
    pub code_verifier: &'a str,
    pub redirect_uri: &'a str,
    pub issuer: &'a str,
    /// Milliseconds since the epoch.
    pub created_at: u64,
    pub scopes: &'a [String],
}

impl PendingRef<'_> {
    /// See [`PendingAuthorization::check_belongs_to`].
    pub fn check_belongs_to(&self, client: &Client) -> Result<()> {
        let code = ErrorCode::InvalidInput;
        let state = self.state;
        let printable = state
            .bytes()
            .fold(true, |ok, b| ok & (b > 0x20) & (b < 0x7f));
        if state.is_empty() || state.len() > 512 || !printable {
            return Err(Error::new(code, "pending.state is malformed"));
        }
        if !is_valid_verifier(self.code_verifier) {
            return Err(Error::new(code, "pending.codeVerifier is malformed"));
        }
        if self.redirect_uri != client.redirect_uri {
            return Err(Error::new(
                code,
                "pending.redirectUri does not match this client's redirectUri",
            ));
        }
        if self.issuer != client.provider.issuer {
            return Err(Error::new(
                code,
                "pending.issuer does not match this client's provider",
            ));
        }
        if self.created_at > MAX_TIME_MS {
            return Err(Error::new(code, "pending.createdAt is out of range"));
        }
        check_scopes(self.scopes, code)
    }
}

/// The authorization URL to redirect the user to, and the record to keep.
pub struct AuthorizationStart {
    pub url: String,
    pub pending: PendingAuthorization,
}

// The URL carries the state; the pending record redacts its own secrets.
impl core::fmt::Debug for AuthorizationStart {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthorizationStart")
            .field("url", &"[redacted]")
            .field("pending", &self.pending)
            .finish()
    }
}

fn valid_param_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 256 && name.bytes().all(|b| (0x21..0x7f).contains(&b))
}

fn no_control_chars(value: &str) -> bool {
    !value.chars().any(char::is_control)
}

impl Client {
    /// Builds the authorization request: `response_type=code`, `client_id`,
    /// `redirect_uri`, `scope`, a fresh `state`, and an S256 PKCE challenge
    /// (RFC 7636 §4.3; RFC 9700 §2.1.1 forbids `plain`). Every value is
    /// form-encoded; `now` is milliseconds since the epoch.
    pub fn start_authorization(
        &self,
        options: AuthorizationOptions,
        now: u64,
    ) -> Result<AuthorizationStart> {
        let code = ErrorCode::InvalidInput;
        if now > MAX_TIME_MS {
            return Err(Error::new(code, "now is out of range"));
        }
        let scopes = match options.scopes {
            Some(s) => {
                check_scopes(&s, code)?;
                s
            }
            None => self.scopes.clone(),
        };
        if let Some(subject) = &options.subject {
            if subject.is_empty() || !no_control_chars(subject) {
                return Err(Error::new(code, "subject must be a non-empty string"));
            }
        }
        for (i, (name, value)) in options.extra_params.iter().enumerate() {
            if !valid_param_name(name) {
                return Err(Error::new(
                    code,
                    "extraParams has an invalid parameter name",
                ));
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(Error::with_parts(
                    code,
                    &["extraParams must not set the reserved parameter ", name],
                ));
            }
            if name == PLEO_SUBJECT_PARAM && options.subject.is_some() {
                return Err(Error::new(
                    code,
                    "extraParams repeats urn_pleo_params_oauth_subject: use the subject option",
                ));
            }
            if options
                .extra_params
                .iter()
                .take(i)
                .any(|(earlier, _)| earlier == name)
            {
                return Err(Error::with_parts(code, &["extraParams repeats ", name]));
            }
            if !no_control_chars(value) {
                return Err(Error::with_parts(
                    code,
                    &["extraParams.", name, " contains control characters"],
                ));
            }
        }

        let (verifier, state) = random_token_pair()?;
        let (verifier, state) = (CodeVerifier::new(verifier), State::new(state));
        let challenge = challenge_s256(&verifier);
        let mut url = FormBuilder::continuing_url(&self.provider.authorization_endpoint, 384);
        url.pair("response_type", "code")
            .pair("client_id", &self.client_id)
            .pair("redirect_uri", &self.redirect_uri);
        if !scopes.is_empty() {
            // RFC 6749 §3.3: space-delimited.
            let mut scope = String::with_capacity(64);
            for (i, s) in scopes.iter().enumerate() {
                if i > 0 {
                    scope.push(' ');
                }
                scope.push_str(s);
            }
            url.pair("scope", &scope);
        }
        url.pair("state", state.expose_secret())
            .pair("code_challenge", &challenge)
            .pair("code_challenge_method", "S256");
        if let Some(subject) = &options.subject {
            url.pair(PLEO_SUBJECT_PARAM, subject);
        }
        for (name, value) in &options.extra_params {
            url.pair(name, value);
        }
        Ok(AuthorizationStart {
            url: url.finish(),
            pending: PendingAuthorization {
                state,
                code_verifier: verifier,
                redirect_uri: self.redirect_uri.clone(),
                issuer: self.provider.issuer.clone(),
                created_at: now,
                scopes,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form;
    use crate::provider::{ClientConfig, PleoEnvironment, Provider};
    use crate::secret::ClientSecret;

    fn client() -> Client {
        Client::new(ClientConfig {
            provider: Provider::pleo(PleoEnvironment::Staging),
            client_id: "client 1".into(),
            redirect_uri: "https://partner.example/cb?tenant=a&b=c".into(),
            scopes: vec!["users:read".into(), "export-jobs:read".into()],
            client_secret: Some(ClientSecret::new("secret".into())),
            client_auth: None,
        })
        .unwrap()
    }

    fn params(url: &str) -> Vec<(String, String)> {
        form::parse(url.split_once('?').unwrap().1)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect()
    }

    fn get<'a>(p: &'a [(String, String)], name: &str) -> &'a str {
        &p.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn authorization_url_has_every_required_parameter_form_encoded() {
        let start = client()
            .start_authorization(AuthorizationOptions::default(), 1_700_000_000_000)
            .unwrap();
        assert!(start
            .url
            .starts_with("https://auth.staging.pleo.io/oauth/authorize?response_type=code&"));
        assert!(start.url.contains("client_id=client+1"));
        assert!(start
            .url
            .contains("redirect_uri=https%3A%2F%2Fpartner.example%2Fcb%3Ftenant%3Da%26b%3Dc"));
        let p = params(&start.url);
        assert_eq!(get(&p, "scope"), "users:read export-jobs:read");
        assert_eq!(get(&p, "code_challenge_method"), "S256");
        assert_eq!(get(&p, "state"), start.pending.state.expose_secret());
        assert_eq!(
            get(&p, "code_challenge"),
            challenge_s256(&start.pending.code_verifier)
        );
        assert_eq!(start.pending.created_at, 1_700_000_000_000);
        assert_eq!(start.pending.issuer, "https://auth.staging.pleo.io");
        assert!(!start
            .url
            .contains(start.pending.code_verifier.expose_secret()));
        assert!(!start.url.contains("secret"));
    }

    #[test]
    fn debug_output_hides_the_state_and_verifier() {
        let start = client()
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap();
        let d = format!("{start:?}");
        assert!(!d.contains(start.pending.state.expose_secret()), "{d}");
        assert!(
            !d.contains(start.pending.code_verifier.expose_secret()),
            "{d}"
        );
    }

    #[test]
    fn each_start_has_a_fresh_state_and_verifier() {
        let c = client();
        let a = c
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap();
        let b = c
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap();
        assert!(!a.pending.state.ct_eq(b.pending.state.expose_secret()));
        assert!(!a
            .pending
            .code_verifier
            .ct_eq(b.pending.code_verifier.expose_secret()));
        assert_eq!(a.pending.state.expose_secret().len(), 43);
    }

    #[test]
    fn extra_params_cannot_override_reserved_parameters() {
        for name in RESERVED_PARAMS {
            let opts = AuthorizationOptions {
                extra_params: vec![(name.into(), "x".into())],
                ..Default::default()
            };
            let err = client().start_authorization(opts, 0).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{name}");
        }
    }

    #[test]
    fn subject_and_extra_params_are_appended_encoded() {
        let opts = AuthorizationOptions {
            scopes: Some(vec!["companies:read".into()]),
            subject: Some("urn:pleo:company:1&x=y".into()),
            extra_params: vec![("ui_locales".into(), "da en".into())],
        };
        let start = client().start_authorization(opts, 0).unwrap();
        let p = params(&start.url);
        assert_eq!(get(&p, PLEO_SUBJECT_PARAM), "urn:pleo:company:1&x=y");
        assert_eq!(get(&p, "ui_locales"), "da en");
        assert_eq!(get(&p, "scope"), "companies:read");
        assert_eq!(p.iter().filter(|(n, _)| n == "x").count(), 0);
        assert_eq!(start.pending.scopes, vec!["companies:read".to_string()]);
    }

    #[test]
    fn endpoint_query_is_kept() {
        let mut provider = Provider::pleo(PleoEnvironment::Staging);
        provider.authorization_endpoint = "https://a.test/authorize?tenant=x".into();
        let c = Client::new(ClientConfig {
            provider,
            client_id: "c".into(),
            redirect_uri: "https://p.test/cb".into(),
            scopes: vec![],
            client_secret: None,
            client_auth: None,
        })
        .unwrap();
        let start = c
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap();
        assert!(start
            .url
            .starts_with("https://a.test/authorize?tenant=x&response_type=code&"));
        assert!(!start.url.contains("scope="));
    }

    #[test]
    fn bad_options_are_invalid_input() {
        let bad = [
            AuthorizationOptions {
                scopes: Some(vec!["a b".into()]),
                ..Default::default()
            },
            AuthorizationOptions {
                subject: Some(String::new()),
                ..Default::default()
            },
            AuthorizationOptions {
                extra_params: vec![(String::new(), "v".into())],
                ..Default::default()
            },
            AuthorizationOptions {
                extra_params: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
                ..Default::default()
            },
            AuthorizationOptions {
                extra_params: vec![("a".into(), "x\ny".into())],
                ..Default::default()
            },
            AuthorizationOptions {
                subject: Some("urn:pleo:company:1".into()),
                extra_params: vec![(PLEO_SUBJECT_PARAM.into(), "urn:pleo:company:2".into())],
                ..Default::default()
            },
        ];
        for (i, opts) in bad.into_iter().enumerate() {
            assert_eq!(
                client().start_authorization(opts, 0).unwrap_err().code(),
                ErrorCode::InvalidInput,
                "case {i}"
            );
        }
        assert_eq!(
            client()
                .start_authorization(AuthorizationOptions::default(), MAX_TIME_MS + 1)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidInput
        );
    }
}
