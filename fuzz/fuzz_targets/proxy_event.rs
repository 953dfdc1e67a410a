//! Arbitrary bytes as an API Gateway proxy event (what the token, discovery and whoami functions
//! read from the Runtime API): parsed or refused, never a panic, and the token endpoint's form
//! reader handles whatever body comes out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_service::entrypoints::proxy::ProxyRequest;
use token_service::oauth::form::Form;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = serde_json::from_slice::<ProxyRequest>(data) {
        let token_request = request.token_request();
        let _ = Form::parse(token_request.content_type, token_request.body);
    }
});
