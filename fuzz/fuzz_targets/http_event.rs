//! Arbitrary bytes as an HTTP event (what the token, discovery and whoami functions receive):
//! read by `lambda_http` and then into the endpoints' request, or refused, never a panic; and
//! the token endpoint's form reader handles whatever body comes out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use token_service::entrypoints::http_function::HttpRequest;
use token_service::oauth::form::Form;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = lambda_http::request::from_str(text) {
        let request = HttpRequest::from_lambda(request);
        let token_request = request.token_request();
        let _ = Form::parse(token_request.content_type, token_request.body);
    }
});
