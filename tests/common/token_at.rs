// The edge's TokenSet offsets (`shapes::token_set_at`) against the
// record path (`shapes::parse_token_response`): the same answer for every
// input, the offsets read back as js/api.js's takeTokenSetAt reads them.
// Included by tests/vectors.rs and tests/properties.rs.

/// The TokenSet record js/api.js's takeTokenSetAt would build from `out`.
fn record_from_offsets(out: &[f64], body: &str) -> String {
    let cut = |i: usize| body[out[i] as usize..out[i + 1] as usize].to_owned();
    let mut w = pleo_oauth::wasm::record::Writer::default();
    w.begin().str(&cut(0)).str("Bearer");
    if out[2] >= 0.0 {
        w.int(out[2] as u64);
    } else {
        w.absent();
    }
    if out[3] >= 0.0 {
        w.str(&cut(3));
    } else {
        w.absent();
    }
    if out[6] >= 0.0 {
        let items: Vec<String> = (0..out[6] as usize).map(|k| cut(7 + 2 * k)).collect();
        w.str_list(&items);
    } else {
        w.absent();
    }
    w.int(out[5] as u64).end();
    w.finish()
}

/// Both paths on one input; true when the offsets answered.
fn offsets_agree(
    client: &pleo_oauth::Client,
    status: f64,
    body: &str,
    now: f64,
    previous: Option<&str>,
    pending: Option<&str>,
) -> bool {
    use pleo_oauth::wasm::shapes;
    let slow = shapes::parse_token_response(client, status, body, now, previous, pending);
    let mut out = [0.0; shapes::TOKEN_AT_LEN];
    let fast = shapes::token_set_at(client, status, body, now, previous, pending, &mut out);
    match (slow, fast) {
        (Ok(a), Ok(Some(b))) => assert_eq!(a, b, "{body}"),
        (Ok(a), Ok(None)) => {
            assert_eq!(a, record_from_offsets(&out, body), "{body}");
            return true;
        }
        (Err(a), Err(b)) => assert_eq!(shapes::error_record(&a), shapes::error_record(&b), "{body}"),
        (a, b) => panic!("{body}: {a:?} but {b:?}"),
    }
    false
}
