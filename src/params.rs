//! OAuth parameter names the library itself sets. Both the provider check
//! (step 1: an endpoint's query must not carry them) and the authorization
//! request (step 3: "extra parameters" must not override them) read them.

/// Parameters the library sets itself; "extra parameters" cannot override
/// them (a second `redirect_uri` or `code_challenge_method=plain` would
/// undo the protections). `client_secret` is here so it can never end up
/// in a URL.
pub const RESERVED_PARAMS: [&str; 9] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "client_secret",
    "code_verifier",
];

/// Pleo's optional parameter naming an already connected company.
pub const PLEO_SUBJECT_PARAM: &str = "urn_pleo_params_oauth_subject";
