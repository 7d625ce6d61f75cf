//! # pleo-oauth
//!
//! A sans-IO OAuth 2.0 authorization-code + PKCE client core for Pleo
//! partners. It never opens a socket, reads a clock or touches storage:
//! time is passed in, requests come out as plain values, responses go in as
//! plain values. The same core runs natively and, through the thin
//! `wasm` skin, as the npm package `pleo-oauth`.
//!
//! The modules follow the flow, in the order data travels:
//! [`provider`] → [`pkce`] (with [`random`]) → [`authorization`] →
//! [`callback`] → [`token_request`] → [`token_response`] → [`token_set`].
//! [`error`] holds the one error type and its stable codes.
// The shipped wasm is built without the `std` feature: no_std + alloc, with
// a panic handler that traps instead of formatting a message, which keeps
// `core::fmt` and std's panic machinery out of the binary.
#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;

#[cfg(all(not(feature = "std"), target_arch = "wasm32"))]
mod no_std_runtime {
    /// Nothing in the library panics on input; should a bug ever reach a
    /// panic, trap at once (what `panic = "abort"` does, minus the message
    /// formatting).
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo) -> ! {
        core::arch::wasm32::unreachable()
    }

    #[global_allocator]
    static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
}

pub mod error;
pub mod secret;

pub mod authorization;
pub mod callback;
pub mod pkce;
pub mod provider;
pub mod random;
pub mod token_request;
pub mod token_response;
pub mod token_set;

pub mod base64;
pub mod form;
pub mod js_api;
pub mod json;
pub mod url;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub mod wasm;

// Server and edge runtimes only (the `edge` feature; see Cargo.toml).
#[cfg(feature = "edge")]
pub mod export;
#[cfg(all(feature = "edge", target_arch = "wasm32", target_os = "unknown"))]
pub mod wasm_edge;
#[cfg(feature = "edge")]
pub mod webhook;

pub use authorization::{AuthorizationOptions, AuthorizationStart, PendingAuthorization};
pub use callback::CallbackResult;
pub use error::{Error, ErrorCode, Result, ServerError};
pub use provider::{Client, ClientAuth, ClientConfig, PleoEnvironment, Provider};
pub use token_request::{HttpRequest, TokenTypeHint};
pub use token_response::{parse_token_response, HttpResponse};
pub use token_set::TokenSet;
