//! Step 1 of the flow: who we talk to (the provider) and who we are (the
//! client). Everything is validated once, here, so later steps can trust it.

use crate::error::{Error, ErrorCode, Result};
use crate::params::RESERVED_PARAMS;
use crate::secret::ClientSecret;
use crate::url::check_url;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// An OAuth 2.0 authorization server and the API it protects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    /// The issuer identifier (RFC 8414 §2), compared with `iss` (RFC 9207).
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// RFC 7662 token introspection.
    pub introspection_endpoint: Option<String>,
    /// RFC 7009 token revocation.
    pub revocation_endpoint: Option<String>,
    pub api_base_url: Option<String>,
    /// RFC 9207 `authorization_response_iss_parameter_supported`: when true,
    /// a callback without `iss` is rejected.
    pub iss_parameter_supported: bool,
}

/// Pleo's two environments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PleoEnvironment {
    Staging,
    Production,
}

impl PleoEnvironment {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "staging" => Ok(PleoEnvironment::Staging),
            "production" => Ok(PleoEnvironment::Production),
            _ => Err(Error::new(
                ErrorCode::InvalidConfig,
                "provider must be \"staging\", \"production\" or a provider object",
            )),
        }
    }
}

impl Provider {
    /// Pleo's documented endpoints. Pleo publishes no discovery document, no
    /// revocation endpoint and no `iss` callback parameter; the issuer is
    /// taken to be the authorization server's origin.
    pub fn pleo(env: PleoEnvironment) -> Provider {
        let (auth, api) = match env {
            PleoEnvironment::Staging => (
                "https://auth.staging.pleo.io",
                "https://external.staging.pleo.io",
            ),
            PleoEnvironment::Production => ("https://auth.pleo.io", "https://external.pleo.io"),
        };
        Provider {
            issuer: auth.to_owned(),
            authorization_endpoint: [auth, "/oauth/authorize"].concat(),
            token_endpoint: [auth, "/oauth/token"].concat(),
            introspection_endpoint: Some([auth, "/oauth/token/introspect"].concat()),
            revocation_endpoint: None,
            api_base_url: Some(api.to_owned()),
            iss_parameter_supported: false,
        }
    }

    /// Checks every URL of the provider (https except loopback, no fragment,
    /// no userinfo, no whitespace or control characters).
    pub fn validate(&self) -> Result<()> {
        let code = ErrorCode::InvalidConfig;
        let issuer = check_url(&self.issuer, "issuer", code)?;
        // RFC 8414 §2: the issuer has no query or fragment.
        if issuer.query.is_some() || self.issuer.contains('?') {
            return Err(Error::new(code, "issuer must not have a query"));
        }
        let authz = check_url(&self.authorization_endpoint, "authorizationEndpoint", code)?;
        // The library appends the reserved parameters itself; an endpoint
        // query carrying one of them would send it twice.
        if let Some(query) = authz.query {
            let pairs = crate::form::parse(query)
                .ok_or_else(|| Error::new(code, "authorizationEndpoint has a malformed query"))?;
            if pairs
                .iter()
                .any(|(name, _)| RESERVED_PARAMS.contains(&name.as_ref()))
            {
                return Err(Error::new(
                    code,
                    "authorizationEndpoint query must not contain OAuth parameters",
                ));
            }
        }
        check_url(&self.token_endpoint, "tokenEndpoint", code)?;
        if let Some(u) = &self.introspection_endpoint {
            check_url(u, "introspectionEndpoint", code)?;
        }
        if let Some(u) = &self.revocation_endpoint {
            check_url(u, "revocationEndpoint", code)?;
        }
        if let Some(u) = &self.api_base_url {
            check_url(u, "apiBaseUrl", code)?;
        }
        Ok(())
    }
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1). Pleo's
    /// documented method and the default when a secret is set.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the request body.
    ClientSecretPost,
    /// A public client: `client_id` in the body, no secret.
    None,
}

impl ClientAuth {
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "client_secret_basic" => Ok(ClientAuth::ClientSecretBasic),
            "client_secret_post" => Ok(ClientAuth::ClientSecretPost),
            "none" => Ok(ClientAuth::None),
            _ => Err(Error::new(
                ErrorCode::InvalidConfig,
                "clientAuth must be \"client_secret_basic\", \"client_secret_post\" or \"none\"",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuth::ClientSecretBasic => "client_secret_basic",
            ClientAuth::ClientSecretPost => "client_secret_post",
            ClientAuth::None => "none",
        }
    }
}

/// What the host program configures.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub provider: Provider,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub client_secret: Option<ClientSecret>,
    /// `None` picks the default: Basic with a secret, `none` without.
    pub client_auth: Option<ClientAuth>,
}

/// A validated client configuration; every protocol step hangs off it.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) provider: Provider,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) client_auth: ClientAuth,
    /// The `Authorization: Basic …` value for `client_secret_basic`; a
    /// secret type so `Debug` redacts it.
    pub(crate) basic_authorization: Option<ClientSecret>,
}

/// RFC 6749 §2.3.1: id and secret are each form-encoded, then joined with
/// `:` and base64-encoded (RFC 7617 §2). Secrets containing `:` `+` `/` `%`
/// survive because of the encoding step.
fn basic_authorization(client_id: &str, secret: &ClientSecret) -> String {
    let mut credentials = String::with_capacity(client_id.len() + 64);
    crate::form::encode_into(&mut credentials, client_id);
    credentials.push(':');
    crate::form::encode_into(&mut credentials, secret.expose_secret());
    ["Basic ", &crate::base64::standard(credentials.as_bytes())].concat()
}

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
pub fn is_scope_token(s: &str) -> bool {
    // Plain comparisons: at opt-level "z" a `RangeInclusive::contains`
    // stays a call per byte.
    // No early exit, so it can test many bytes at a time (see pkce.rs).
    !s.is_empty()
        && s.bytes().fold(true, |ok, b| {
            ok & (b > 0x20) & (b < 0x7f) & (b != b'"') & (b != b'\\')
        })
}

/// Checks a list of scopes; `code` is the error code to use.
pub(crate) fn check_scopes(scopes: &[String], code: ErrorCode) -> Result<()> {
    match scopes.iter().find(|s| !is_scope_token(s)) {
        Some(_) => Err(Error::new(
            code,
            "scopes must be non-empty RFC 6749 §3.3 scope tokens (no spaces, quotes or backslashes)",
        )),
        None => Ok(()),
    }
}

/// RFC 6749 Appendix A.1 says VSCHAR (%x20-7E); real servers issue wider
/// values and §2.3.1's form encoding carries any Unicode, so only control
/// characters are refused.
fn is_printable(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        let code = ErrorCode::InvalidConfig;
        config.provider.validate()?;
        if config.client_id.is_empty() || !is_printable(&config.client_id) {
            return Err(Error::new(
                code,
                "clientId must be a non-empty string without control characters",
            ));
        }
        // RFC 6749 §3.1.2: an absolute URI without fragment; RFC 9700 §2.1:
        // https, or http on loopback.
        check_url(&config.redirect_uri, "redirectUri", code)?;
        check_scopes(&config.scopes, code)?;
        if let Some(secret) = &config.client_secret {
            if secret.expose_secret().is_empty() || !is_printable(secret.expose_secret()) {
                return Err(Error::new(
                    code,
                    "clientSecret must be a non-empty string without control characters",
                ));
            }
        }
        let has_secret = config.client_secret.is_some();
        let client_auth = match (config.client_auth, has_secret) {
            (None, true) => ClientAuth::ClientSecretBasic,
            (None, false) => ClientAuth::None,
            (Some(ClientAuth::None), true) => {
                return Err(Error::new(
                    code,
                    "clientAuth \"none\" is for public clients: remove clientSecret or pick client_secret_basic",
                ))
            }
            (Some(ClientAuth::None), false) => ClientAuth::None,
            (Some(_), false) => {
                return Err(Error::new(
                    code,
                    "clientAuth client_secret_basic and client_secret_post need a clientSecret",
                ))
            }
            (Some(auth), true) => auth,
        };
        // Computed once: every token-endpoint request sends the same header.
        let basic_authorization = match (&config.client_secret, client_auth) {
            (Some(secret), ClientAuth::ClientSecretBasic) => Some(ClientSecret::new(
                basic_authorization(&config.client_id, secret),
            )),
            _ => None,
        };
        Ok(Client {
            provider: config.provider,
            client_id: config.client_id,
            redirect_uri: config.redirect_uri,
            scopes: config.scopes,
            client_secret: config.client_secret,
            client_auth,
            basic_authorization,
        })
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    pub fn client_auth(&self) -> ClientAuth {
        self.client_auth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn config() -> ClientConfig {
        ClientConfig {
            provider: Provider::pleo(PleoEnvironment::Staging),
            client_id: "client-1".into(),
            redirect_uri: "https://partner.example/auth/callback".into(),
            scopes: vec!["users:read".into()],
            client_secret: Some(ClientSecret::new("s3cr:t+/%".into())),
            client_auth: None,
        }
    }

    #[test]
    fn pleo_presets_match_the_documented_endpoints() {
        let p = Provider::pleo(PleoEnvironment::Staging);
        assert_eq!(p.issuer, "https://auth.staging.pleo.io");
        assert_eq!(
            p.authorization_endpoint,
            "https://auth.staging.pleo.io/oauth/authorize"
        );
        assert_eq!(p.token_endpoint, "https://auth.staging.pleo.io/oauth/token");
        assert_eq!(
            p.introspection_endpoint.as_deref(),
            Some("https://auth.staging.pleo.io/oauth/token/introspect")
        );
        assert_eq!(
            p.api_base_url.as_deref(),
            Some("https://external.staging.pleo.io")
        );
        assert_eq!(p.revocation_endpoint, None);
        assert!(!p.iss_parameter_supported);
        let p = Provider::pleo(PleoEnvironment::Production);
        assert_eq!(p.token_endpoint, "https://auth.pleo.io/oauth/token");
        assert_eq!(p.api_base_url.as_deref(), Some("https://external.pleo.io"));
        assert!(p.validate().is_ok());
    }

    #[test]
    fn default_client_auth_is_basic_with_a_secret_and_none_without() {
        assert_eq!(
            Client::new(config()).unwrap().client_auth(),
            ClientAuth::ClientSecretBasic
        );
        let mut c = config();
        c.client_secret = None;
        assert_eq!(Client::new(c).unwrap().client_auth(), ClientAuth::None);
    }

    #[test]
    fn secret_methods_without_a_secret_are_invalid_config() {
        for auth in [ClientAuth::ClientSecretBasic, ClientAuth::ClientSecretPost] {
            let mut c = config();
            c.client_secret = None;
            c.client_auth = Some(auth);
            assert_eq!(Client::new(c).unwrap_err().code(), ErrorCode::InvalidConfig);
        }
        let mut c = config();
        c.client_auth = Some(ClientAuth::None);
        assert_eq!(Client::new(c).unwrap_err().code(), ErrorCode::InvalidConfig);
    }

    #[test]
    fn bad_configuration_is_invalid_config() {
        type Mutation = Box<dyn Fn(&mut ClientConfig)>;
        let cases: Vec<Mutation> = vec![
            Box::new(|c| c.client_id = String::new()),
            Box::new(|c| c.client_id = "a\nb".into()),
            Box::new(|c| c.redirect_uri = "http://partner.example/cb".into()),
            Box::new(|c| c.redirect_uri = "https://partner.example/cb#x".into()),
            Box::new(|c| c.scopes = vec!["users read".into()]),
            Box::new(|c| c.scopes = vec![String::new()]),
            Box::new(|c| c.provider.issuer = "https://auth.pleo.io?x=1".into()),
            Box::new(|c| c.provider.token_endpoint = "http://auth.pleo.io/token".into()),
            Box::new(|c| {
                c.provider.authorization_endpoint = "https://a.test/authz?client_id=evil".into()
            }),
            Box::new(|c| c.client_secret = Some(ClientSecret::new(String::new()))),
        ];
        for (i, mutate) in cases.iter().enumerate() {
            let mut c = config();
            mutate(&mut c);
            let err = Client::new(c).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidConfig, "case {i}");
        }
    }

    #[test]
    fn error_messages_never_contain_the_secret() {
        let mut c = config();
        c.client_secret = Some(ClientSecret::new("topsecret\u{1}".into()));
        let err = Client::new(c).unwrap_err();
        assert!(!err.message().contains("topsecret"));
        assert!(!format!("{:?}", Client::new(config()).unwrap()).contains("s3cr"));
    }
}
