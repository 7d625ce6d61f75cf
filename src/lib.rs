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
//! [`error`] holds the one error type and its stable codes, [`limits`] the
//! sizes and ranges every step shares. The encodings (JSON, form, base64,
//! URL checks) sit together in `encoding/`, internal to the crate; the wasm
//! skin sits apart in [`wasm`] (see docs/BOUNDARY.md).
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

    /// The browser wasm: lol_alloc's free list (sorted by address, adjacent
    /// blocks coalesced), 457 B gzipped smaller than talc. A browser makes a
    /// handful of calls per sign-in, so its speed does not show; the room it
    /// frees pays for the faster crossings (bench/RESULTS.md, "Size").
    // SAFETY: wasm32-unknown-unknown without the atomics feature runs one
    // thread, the only case `AssumeSingleThreaded` allows.
    #[cfg(not(feature = "edge"))]
    #[global_allocator]
    static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
        unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

    /// The server/edge wasm: talc, fast on the many calls a worker makes.
    #[cfg(feature = "edge")]
    #[global_allocator]
    static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
}

pub mod error;
pub mod limits;
pub mod secret;

// The steps of the flow, in the order data travels.
pub mod authorization; // 3. the authorization request
pub mod callback; // 4. the redirect back
pub mod params; // 3. the parameter names the library owns
pub mod pkce; // 2. RFC 7636
pub mod provider; // 1. who we talk to, who we are
pub mod random; // 2. randomness for PKCE and state
pub mod token_request; // 5. requests to the token endpoint
pub mod token_response; // 6. its answer
pub mod token_set; // 7. the tokens' lifecycle

// Encodings, internal. The `internals` feature exposes them to the fuzz
// targets and the differential tests (never to users of the package).
#[cfg(feature = "internals")]
pub mod encoding;
#[cfg(not(feature = "internals"))]
pub(crate) mod encoding;
pub(crate) use encoding::{base64, form, json, url};

// The wasm skin: JS shapes <-> core types (compiled natively too, so it is
// tested with the core) and the `#[wasm_bindgen]` exports (wasm only).
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
