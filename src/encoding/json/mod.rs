//! JSON (RFC 8259): a small, strict parser for token-endpoint responses and
//! a writer. Hand-written rather than pulling serde_json into the wasm
//! (measured at about +22 KB gz): responses are small objects, and what
//! matters is that hostile input is rejected, never panics, and cannot
//! exhaust the stack. `tests.rs` holds the differential test against
//! serde_json that keeps it honest.

mod parse;
#[cfg(test)]
mod tests;
// Since values cross the wasm boundary as records (wasm/record.rs), no OAuth
// step writes JSON; the writer stays for modules that send JSON bodies.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
mod write;

pub use parse::parse;
#[cfg(feature = "edge")]
pub use parse::{members, Raw};
#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use write::{write_string, ObjectWriter};

use alloc::string::String;
use alloc::vec::Vec;

/// A parsed JSON value. Objects keep member order; duplicate names are
/// rejected at parse time (RFC 8259 §4 leaves them undefined).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}
