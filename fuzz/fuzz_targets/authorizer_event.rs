//! Arbitrary bytes as an API Gateway authorizer event: the handler answers (a refusal), never
//! panics, and never allows without a valid token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use token_service::config::HttpApiResponse;
use token_service::entrypoints::authorizer::AuthorizerHandler;
use token_service::keys::SigningAlgorithm;
use token_service::testing::authorizer::{handler, request_authorizer};
use token_service::testing::key_cache;

fuzz_target!(|data: &[u8]| {
    static WORLD: OnceLock<(tokio::runtime::Runtime, AuthorizerHandler)> = OnceLock::new();
    let (runtime, handler) = WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let handler = handler(
            request_authorizer(key_cache(SigningAlgorithm::ES256)),
            HttpApiResponse::Simple,
        );
        (runtime, handler)
    });
    if let Ok(response) = runtime.block_on(handler.handle_json(data)) {
        let response = serde_json::to_value(response).expect("responses serialize");
        assert_ne!(
            response["isAuthorized"],
            serde_json::Value::Bool(true),
            "allowed: {response}"
        );
        assert!(
            !response.to_string().contains("\"Allow\""),
            "allowed: {response}"
        );
    }
});
