use super::*;
use crate::wasm::record::decode;

const CONFIG: &str = "[7:staging1:c17:https://p.test/cb[10:users:read]1:s-]";

fn code(r: Result<impl core::fmt::Debug>) -> &'static str {
    r.unwrap_err().code().as_str()
}

fn strs<'a>(f: &Field<'a>) -> Vec<Option<&'a str>> {
    match f {
        Field::List(items) => items
            .iter()
            .map(|i| match i {
                Field::Str(s) => Some(*s),
                _ => None,
            })
            .collect(),
        _ => panic!("not a list: {f:?}"),
    }
}

#[test]
fn a_flow_through_the_record_shapes() {
    let client = client_from_record(CONFIG).unwrap();
    let start = start_authorization(&client, "-", 1_700_000_000_000.0).unwrap();
    let Some(Field::List(parts)) = decode(&start) else {
        panic!("{start}")
    };
    let Field::List(pending) = &parts[1] else {
        panic!()
    };
    let Field::Str(state) = pending[0] else {
        panic!()
    };
    assert_eq!(pending[4], Field::Str("1700000000000"));
    let pending_text = start
        .split_at(start.find("[43:").unwrap())
        .1
        .strip_suffix(']')
        .unwrap();
    // One string in: the record, then the URL. Out: where the code stands
    // in the URL, start | end << 15 | iss << 30 | decode << 31.
    let url = ["https://p.test/cb?code=x&state=", state].concat();
    let cb = handle_callback(&client, &url, pending_text).unwrap();
    assert_eq!(cb, (23 | 24 << 15) as f64);
    assert_eq!(&url[23..24], "x");
    let with_iss = [&url, "&iss=https%3A%2F%2Fauth.staging.pleo.io"].concat();
    let cb = handle_callback(&client, &with_iss, pending_text).unwrap();
    assert_eq!(cb, (23 | 24 << 15 | 1 << 30) as f64);
    // A form-encoded code: its place as it stands, and the decode flag.
    let encoded = ["https://p.test/cb?state=", state, "&code=a%2Bb+c"].concat();
    let cb = handle_callback(&client, &encoded, pending_text).unwrap();
    let start = encoded.len() - 7;
    assert_eq!(cb, (start | (start + 7) << 15) as f64 + 2f64.powi(31));
    assert_eq!(&encoded[start..], "a%2Bb+c");
    // A URL that is not ASCII: offsets in UTF-16 code units, as JS counts.
    let wide = ["https://p.test/cb?x=é&state=", state, "&code=é1"].concat();
    let cb = handle_callback(&client, &wide, pending_text).unwrap();
    let start = wide.chars().count() - 2;
    assert_eq!(cb, (start | (start + 2) << 15) as f64);
    // A tampered record is still refused whole.
    let tampered = pending_text.replace("17:https://p.test/cb", "17:https://e.test/cb");
    assert_eq!(
        code(handle_callback(&client, &url, &tampered)),
        "invalid_input"
    );
    let req = token_request(&client, "x", pending_text).unwrap();
    assert!(req.starts_with("[4:POST40:https://auth.staging.pleo.io/oauth/token["));
    assert!(req.contains("13:authorization10:Basic Yzpz]"));
    let t = parse_token_response(
        &client,
        200.0,
        r#"{"access_token":"a","token_type":"bearer","expires_in":120,"refresh_token":"r"}"#,
        0.0,
        None,
        None,
    )
    .unwrap();
    // The client's scopes stand in for the omitted scope (RFC 6749 §5.1).
    assert_eq!(t, "[1:a6:Bearer6:1200001:r[10:users:read]1:0]");
    // Lifetime 120 s: refresh 30 s ahead.
    assert!(!needs_refresh(&t, 89_999.0, None).unwrap());
    assert!(needs_refresh(&t, 90_000.0, None).unwrap());
    assert!(!needs_refresh(&t, 110_000.0, Some(0.0)).unwrap());
}

#[test]
fn http_requests_carry_their_method() {
    let client = client_from_record(CONFIG).unwrap();
    let text = refresh_request(&client, "r t\n%").unwrap();
    let r = decode(&text).unwrap();
    let Field::List(parts) = &r else { panic!() };
    assert_eq!(parts[0], Field::Str("POST"));
    assert_eq!(
        parts[1],
        Field::Str("https://auth.staging.pleo.io/oauth/token")
    );
    assert_eq!(
        strs(&parts[2]),
        [
            Some("content-type"),
            Some("application/x-www-form-urlencoded"),
            Some("accept"),
            Some("application/json"),
            Some("authorization"),
            Some("Basic Yzpz")
        ]
    );
    assert_eq!(
        parts[3],
        Field::Str("grant_type=refresh_token&refresh_token=r+t%0A%25")
    );
}

#[test]
fn js_types_are_checked_with_the_shapes_codes() {
    assert_eq!(code(client_from_record("!")), "invalid_config");
    assert_eq!(
        code(client_from_record("[7:staging!17:https://p.test/cb]")),
        "invalid_config"
    );
    assert_eq!(
        code(client_from_record("[!1:c17:https://p.test/cb]")),
        "invalid_config"
    );
    let e = client_from_record("[7:staging?17:https://p.test/cb]").unwrap_err();
    assert!(
        e.message().contains("lone UTF-16 surrogate"),
        "{}",
        e.message()
    );
    let client = client_from_record(CONFIG).unwrap();
    assert_eq!(
        code(start_authorization(&client, "[--[1:a!]]", 0.0)),
        "invalid_input"
    );
    assert_eq!(
        code(start_authorization(&client, "[---2:-1]", 0.0)),
        "invalid_input"
    );
    assert_eq!(
        code(start_authorization(&client, "!", 0.0)),
        "invalid_input"
    );
    for pending in ["[]", "!", "-", "not a record", "[5:x", "99:short"] {
        assert_eq!(
            code(handle_callback(
                &client,
                "https://p.test/cb?code=1&state=1",
                pending
            )),
            "invalid_input",
            "{pending}"
        );
    }
    assert_eq!(
        code(parse_token_response(&client, 99.0, "{}", 0.0, None, None)),
        "invalid_input"
    );
    assert_eq!(
        code(parse_token_response(&client, 200.5, "{}", 0.0, None, None)),
        "invalid_input"
    );
    assert_eq!(
        code(parse_token_response(
            &client,
            200.0,
            "{}",
            f64::NAN,
            None,
            None
        )),
        "invalid_input"
    );
    assert_eq!(
        code(parse_token_response(
            &client,
            200.0,
            "{}",
            0.0,
            Some("[!]"),
            None
        )),
        "invalid_input"
    );
    assert_eq!(code(needs_refresh("[]", 0.0, None)), "invalid_input");
}

#[test]
fn error_records_carry_server_fields() {
    let client = client_from_record(CONFIG).unwrap();
    let e = parse_token_response(
        &client,
        400.0,
        r#"{"error":"invalid_grant","error_description":"x\"y"}"#,
        0.0,
        None,
        None,
    )
    .unwrap_err();
    let r = error_record(&e);
    let v = decode(&r).unwrap();
    assert_eq!(
        strs(&v),
        [
            Some("token_error"),
            Some("token endpoint returned error=invalid_grant (HTTP 400)"),
            Some("invalid_grant"),
            Some("x\"y"),
            None,
            Some("400")
        ]
    );
}

#[test]
fn provider_records_round_trip_through_client_config() {
    let p = pleo_provider("production").unwrap();
    let config = ["[", &p, "1:c17:https://p.test/cb]"].concat();
    let client = client_from_record(&config).unwrap();
    assert_eq!(
        client.provider(),
        &Provider::pleo(PleoEnvironment::Production)
    );
    assert_eq!(code(pleo_provider("dev")), "invalid_config");
}

#[test]
fn token_sets_round_trip() {
    let t = "[1:a6:Bearer2:10-[1:x1:y]1:1]";
    assert_eq!(token_set_record(&token_set_from_record(t, "t").unwrap()), t);
    // Token sets stored before obtainedAt existed still read.
    let old = token_set_from_record("[1:a6:Bearer2:10]", "t").unwrap();
    assert_eq!(old.obtained_at, None);
    assert_eq!(old.expires_at, Some(10));
}

#[test]
fn retry_after_grows_the_error_record_at_its_end() {
    use crate::error::ServerError;
    // No server fields: they are padded as absent so retryAfterMs keeps its place.
    let plain = Error::new(ErrorCode::InvalidInput, "m");
    assert_eq!(error_record(&plain), "[13:invalid_input1:m]");
    assert_eq!(
        error_record_with_retry(&plain, Some(5000)),
        "[13:invalid_input1:m----4:5000]"
    );
    // A server error without a type (Pleo sent none): error absent, status kept.
    let server = Error::server(
        ErrorCode::TokenError,
        String::from("rate limited"),
        ServerError {
            error: String::new(),
            error_description: Some(String::from("slow down")),
            error_uri: None,
            status: Some(429),
        },
    );
    let r = error_record_with_retry(&server, Some(1500));
    assert_eq!(
        strs(&decode(&r).unwrap()),
        [
            Some("token_error"),
            Some("rate limited"),
            None,
            Some("slow down"),
            None,
            Some("429"),
            Some("1500")
        ]
    );
}
