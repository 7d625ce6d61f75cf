//! The encodings the steps read and write, together: JSON (token responses),
//! application/x-www-form-urlencoded (queries, request bodies, Basic
//! credentials), base64 (PKCE challenge, Basic credentials, webhook
//! secrets and signatures) and the URL checks. Internal to the crate and
//! hand-written for size: each is tested against a well-kept implementation
//! (serde_json, form_urlencoded, URLSearchParams, the `url` crate, the
//! `base64` crate) rather than exposed.

pub mod base64;
pub mod form;
pub mod json;
pub mod url;
