//! A token request's body and Authorization header: the form parser, both client
//! authentication methods and both grant readers must refuse or accept, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_service::oauth::client_auth::presented_credentials;
use token_service::oauth::form::Form;
use token_service::oauth::grant::{TokenEndpointKind, parse_grant, parse_user_grant};

fuzz_target!(|data: &[u8]| {
    // The first line, if any, is the Authorization header; the rest is the body.
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (std::str::from_utf8(&data[..at]).ok(), &data[at + 1..]),
        None => (None, data),
    };
    let Ok(form) = Form::parse(Some("application/x-www-form-urlencoded"), body) else {
        return;
    };
    let _ = presented_credentials(header, &form);
    let _ = parse_grant(&form, TokenEndpointKind::AccountManagementV1);
    let _ = parse_grant(&form, TokenEndpointKind::OAuthV2);
    let _ = parse_user_grant(&form);
});
