// Records the core wrote, read back as JSON for the tests: included by
// tests/common/wasm_surface.rs (the wasm exports) and tests/export.rs (the
// export shapes, natively). Needs `pleo_oauth::wasm::record::{decode, Field}`
// and `serde_json::Value` in scope.

/// A record as JSON: lists become arrays, absent fields null.
fn to_json(f: &Field<'_>) -> Value {
    match f {
        Field::Str(s) => Value::String((*s).to_owned()),
        Field::List(items) => Value::Array(items.iter().map(to_json).collect()),
        _ => Value::Null,
    }
}

/// A record text the core wrote, as JSON.
fn record_json(text: &str) -> Value {
    to_json(&decode(text).expect("the core writes valid records"))
}
