//! The wasm skin, apart from the core: [`record`] is the one encoding values
//! cross the boundary in, [`shapes`] maps each JS shape to and from core
//! types, and (in the wasm build only) `exports` holds the
//! `#[wasm_bindgen]` functions, each one line of conversion around a
//! `shapes` call. js/api.js is the JS half. docs/BOUNDARY.md describes the
//! whole boundary in one place.

// Internal to the crate like the encodings; the wasm tests read records
// through the `internals` feature. Natively nothing but the tests calls them.
#[cfg(feature = "internals")]
pub mod record;
#[cfg(not(feature = "internals"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod record;
#[cfg(feature = "internals")]
pub mod shapes;
#[cfg(not(feature = "internals"))]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) mod shapes;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod exports;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use exports::*;
