//! The native floor: what each protocol step costs in the Rust core without
//! the JS boundary. `cargo bench --bench core` (or `npm run bench -- --native`,
//! which prints these next to the wasm figures).
//!
//! The operations mirror bench/run.mjs: pkce, authorize_url, callback,
//! token_response, refresh_request. Note the bench profile inherits the
//! release profile (`opt-level = "z"`, tuned for wasm size), so these are the
//! numbers of the size-optimised code, as shipped.

// Bench fixtures are known-good: a failure here is a broken benchmark.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use divan::{black_box, Bencher};
    use pleo_oauth::{
        parse_token_response, pkce, AuthorizationOptions, Client, ClientConfig, HttpResponse,
        PendingAuthorization, PleoEnvironment, Provider,
    };

    const NOW: u64 = 1_700_000_000_000;
    const REDIRECT_URI: &str = "https://partner.example/auth/callback";
    const TOKEN_BODY: &str = r#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.bench-access-token-0123456789abcdef","token_type":"Bearer","expires_in":3600,"refresh_token":"bench-refresh-token-0123456789abcdef0123456789","scope":"users:read export-jobs:read companies:read"}"#;

    fn client() -> Client {
        Client::new(ClientConfig {
            provider: Provider::pleo(PleoEnvironment::Staging),
            client_id: "bench-client".into(),
            redirect_uri: REDIRECT_URI.into(),
            scopes: vec![
                "users:read".into(),
                "export-jobs:read".into(),
                "companies:read".into(),
            ],
            client_secret: Some(pleo_oauth::secret::ClientSecret::new(
                "bench-client-secret".into(),
            )),
            client_auth: None,
        })
        .expect("valid bench client")
    }

    fn pending(client: &Client) -> PendingAuthorization {
        client
            .start_authorization(AuthorizationOptions::default(), NOW)
            .expect("start")
            .pending
    }

    fn callback_url(p: &PendingAuthorization) -> String {
        format!(
            "{REDIRECT_URI}?code=bench-authorization-code-0123456789&state={}&iss=https%3A%2F%2Fauth.staging.pleo.io",
            p.state.expose_secret()
        )
    }

    /// A verifier from the CSPRNG and its S256 challenge.
    #[divan::bench]
    fn pkce_verifier_and_challenge() -> String {
        let v = pkce::generate_verifier().expect("rng");
        pkce::challenge_s256(&v)
    }

    /// The RNG alone (32 bytes, base64url): getrandom → the OS.
    #[divan::bench]
    fn pkce_generate_verifier_only() -> pleo_oauth::secret::CodeVerifier {
        pkce::generate_verifier().expect("rng")
    }

    /// SHA-256 + base64url alone.
    #[divan::bench]
    fn pkce_challenge_only(b: Bencher) {
        let v = pkce::parse_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("v");
        b.bench_local(|| pkce::challenge_s256(black_box(&v)));
    }

    /// State + verifier + challenge + the URL.
    #[divan::bench]
    fn authorize_url(b: Bencher) {
        let c = client();
        b.bench_local(|| {
            black_box(&c)
                .start_authorization(AuthorizationOptions::default(), NOW)
                .expect("start")
        });
    }

    #[divan::bench]
    fn callback(b: Bencher) {
        let c = client();
        let p = pending(&c);
        let url = callback_url(&p);
        b.bench_local(|| c.handle_callback(black_box(&url), &p).expect("callback"));
    }

    #[divan::bench]
    fn token_response() -> pleo_oauth::TokenSet {
        parse_token_response(
            &HttpResponse {
                status: 200,
                body: black_box(TOKEN_BODY),
            },
            NOW,
            None,
        )
        .expect("token set")
    }

    #[divan::bench]
    fn token_request(b: Bencher) {
        let c = client();
        let p = pending(&c);
        b.bench_local(|| {
            c.token_request(black_box("bench-authorization-code-0123456789"), &p)
                .expect("request")
        });
    }

    #[divan::bench]
    fn refresh_request(b: Bencher) {
        let c = client();
        b.bench_local(|| {
            c.refresh_request(black_box("bench-refresh-token-0123456789abcdef0123456789"))
                .expect("request")
        });
    }

    pub fn main() {
        divan::main();
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::main();
}
