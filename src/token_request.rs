//! Step 5: requests to the token endpoint and its neighbours, as plain
//! values the host sends with its own HTTP client (sans-IO).
//! Code exchange (RFC 6749 §4.1.3 + RFC 7636 §4.5), refresh (§6),
//! introspection (RFC 7662 §2.1), revocation (RFC 7009 §2.1).

use crate::authorization::{PendingAuthorization, PendingRef};
use crate::error::{Error, ErrorCode, Result};
use crate::form::FormBuilder;
use crate::provider::{Client, ClientAuth};
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// An HTTP request for the host to send. Send it with redirects disabled
/// (`redirect: "manual"`): a token endpoint never legitimately redirects.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

// The body and the Authorization header carry secrets.
impl core::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &"[redacted]")
            .field("body", &"[redacted]")
            .finish()
    }
}

/// Which kind of token is being introspected or revoked (RFC 7009 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

impl TokenTypeHint {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "access_token" => Ok(TokenTypeHint::AccessToken),
            "refresh_token" => Ok(TokenTypeHint::RefreshToken),
            _ => Err(Error::new(
                ErrorCode::InvalidInput,
                "hint must be \"access_token\" or \"refresh_token\"",
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::AccessToken => "access_token",
            TokenTypeHint::RefreshToken => "refresh_token",
        }
    }
}

fn non_empty<'a>(value: &'a str, message: &'static str) -> Result<&'a str> {
    if value.is_empty() || value.len() > crate::limits::MAX_VALUE_BYTES {
        Err(Error::new(ErrorCode::InvalidInput, message))
    } else {
        Ok(value)
    }
}

impl Client {
    /// A POST with client authentication; `params` are the grant's own.
    fn authenticated_post(&self, url: &str, params: &[(&str, &str)]) -> HttpRequest {
        let mut body = FormBuilder::with_capacity(256);
        for (name, value) in params {
            body.pair(name, value);
        }
        let mut headers = vec![
            (
                "content-type",
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("accept", "application/json".to_owned()),
        ];
        // Exactly one client authentication method per request
        // (RFC 6749 §2.3: "MUST NOT use more than one").
        match self.client_auth {
            ClientAuth::ClientSecretBasic => {
                if let Some(value) = &self.basic_authorization {
                    headers.push(("authorization", value.expose_secret().to_owned()));
                }
            }
            ClientAuth::ClientSecretPost => {
                body.pair("client_id", &self.client_id);
                if let Some(secret) = &self.client_secret {
                    body.pair("client_secret", secret.expose_secret());
                }
            }
            ClientAuth::None => {
                body.pair("client_id", &self.client_id);
            }
        }
        HttpRequest {
            method: "POST",
            url: url.to_owned(),
            headers,
            body: body.finish(),
        }
    }

    /// The code exchange. `redirect_uri` and `code_verifier` come from the
    /// stored pending authorization, never from the callback.
    pub fn token_request(&self, code: &str, pending: &PendingAuthorization) -> Result<HttpRequest> {
        self.token_request_for(code, pending.as_ref())
    }

    /// [`Client::token_request`] with the pending record borrowed.
    pub fn token_request_for(&self, code: &str, pending: PendingRef<'_>) -> Result<HttpRequest> {
        pending.check_belongs_to(self)?;
        let code = non_empty(code, "code must be a non-empty string")?;
        Ok(self.authenticated_post(
            &self.provider.token_endpoint,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", pending.redirect_uri),
                ("code_verifier", pending.code_verifier),
            ],
        ))
    }

    /// RFC 6749 §6. With Pleo the refresh token rotates: store the new one
    /// from the response before using the access token, and never send two
    /// refreshes of one connection at once.
    pub fn refresh_request(&self, refresh_token: &str) -> Result<HttpRequest> {
        let token = non_empty(refresh_token, "refreshToken must be a non-empty string")?;
        Ok(self.authenticated_post(
            &self.provider.token_endpoint,
            &[("grant_type", "refresh_token"), ("refresh_token", token)],
        ))
    }

    /// RFC 7662 §2.1.
    pub fn introspection_request(
        &self,
        token: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<HttpRequest> {
        let endpoint = self.provider.introspection_endpoint.as_deref();
        self.token_management_request(
            endpoint,
            "the provider has no introspectionEndpoint",
            token,
            hint,
        )
    }

    /// RFC 7009 §2.1.
    pub fn revocation_request(
        &self,
        token: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<HttpRequest> {
        let endpoint = self.provider.revocation_endpoint.as_deref();
        self.token_management_request(
            endpoint,
            "the provider has no revocationEndpoint",
            token,
            hint,
        )
    }

    fn token_management_request(
        &self,
        endpoint: Option<&str>,
        missing: &'static str,
        token: &str,
        hint: Option<TokenTypeHint>,
    ) -> Result<HttpRequest> {
        let endpoint =
            endpoint.ok_or_else(|| Error::new(ErrorCode::UnsupportedOperation, missing))?;
        let token = non_empty(token, "token must be a non-empty string")?;
        Ok(match hint {
            Some(h) => self.authenticated_post(
                endpoint,
                &[("token", token), ("token_type_hint", h.as_str())],
            ),
            None => self.authenticated_post(endpoint, &[("token", token)]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::AuthorizationOptions;
    use crate::form;
    use crate::provider::{ClientConfig, PleoEnvironment, Provider};
    use crate::secret::ClientSecret;

    fn client(secret: Option<&str>, auth: Option<ClientAuth>) -> Client {
        Client::new(ClientConfig {
            provider: Provider::pleo(PleoEnvironment::Staging),
            client_id: "id with space".into(),
            redirect_uri: "https://partner.example/cb".into(),
            scopes: vec![],
            client_secret: secret.map(|s| ClientSecret::new(s.into())),
            client_auth: auth,
        })
        .unwrap()
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn decode_basic(r: &HttpRequest) -> String {
        let b64 = header(r, "authorization")
            .unwrap()
            .strip_prefix("Basic ")
            .unwrap();
        use ::base64::Engine;
        let bytes = ::base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn rfc6749_2_3_1_basic_credentials_are_form_encoded_before_base64() {
        let c = client(Some(" %&+£€"), None);
        let r = c.refresh_request("rt").unwrap();
        assert_eq!(decode_basic(&r), "id+with+space:+%25%26%2B%C2%A3%E2%82%AC");
        for secret in ["a:b", "a+b", "a/b", "a%b"] {
            let r = client(Some(secret), None).refresh_request("rt").unwrap();
            let decoded = decode_basic(&r);
            let (_, enc_secret) = decoded.split_once(':').unwrap();
            assert_eq!(form::decode(enc_secret).unwrap(), secret);
        }
    }

    #[test]
    fn code_exchange_uses_the_stored_redirect_uri_and_verifier() {
        let c = client(Some("s"), None);
        let pending = c
            .start_authorization(AuthorizationOptions::default(), 0)
            .unwrap()
            .pending;
        let r = c.token_request("the-code", &pending).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://auth.staging.pleo.io/oauth/token");
        let body: Vec<(String, String)> = form::parse(&r.body)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let expected: Vec<(String, String)> = vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), "the-code".into()),
            ("redirect_uri".into(), "https://partner.example/cb".into()),
            (
                "code_verifier".into(),
                pending.code_verifier.expose_secret().into(),
            ),
        ];
        assert_eq!(body, expected);
        assert_eq!(
            header(&r, "content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn exactly_one_client_authentication_method_is_sent() {
        let basic = client(Some("s"), None).refresh_request("rt").unwrap();
        assert!(header(&basic, "authorization").is_some());
        assert!(!basic.body.contains("client_secret") && !basic.body.contains("client_id"));
        let post = client(Some("s"), Some(ClientAuth::ClientSecretPost))
            .refresh_request("rt")
            .unwrap();
        assert!(header(&post, "authorization").is_none());
        assert!(post
            .body
            .ends_with("&client_id=id+with+space&client_secret=s"));
        let public = client(None, None).refresh_request("rt").unwrap();
        assert!(header(&public, "authorization").is_none());
        assert!(public.body.ends_with("&client_id=id+with+space"));
        assert!(!public.body.contains("client_secret"));
    }

    #[test]
    fn introspection_and_revocation_need_an_endpoint() {
        let c = client(Some("s"), None);
        let r = c
            .introspection_request("tok", Some(TokenTypeHint::AccessToken))
            .unwrap();
        assert_eq!(r.url, "https://auth.staging.pleo.io/oauth/token/introspect");
        assert_eq!(r.body, "token=tok&token_type_hint=access_token");
        assert_eq!(
            c.revocation_request("tok", None).unwrap_err().code(),
            ErrorCode::UnsupportedOperation
        );
        assert_eq!(
            c.refresh_request("").unwrap_err().code(),
            ErrorCode::InvalidInput
        );
    }

    #[test]
    fn debug_output_hides_secrets() {
        let r = client(Some("hunter2"), Some(ClientAuth::ClientSecretPost))
            .refresh_request("rt-value")
            .unwrap();
        let d = format!("{r:?}");
        assert!(!d.contains("hunter2") && !d.contains("rt-value"));
    }
}
