//! wasm-bindgen-test in Node: `cargo test --target wasm32-unknown-unknown --test wasm_node`.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

include!("common/wasm_surface.rs");
