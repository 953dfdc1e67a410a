//! What our log lines make of values an attacker chooses (a presented client_id, a request's
//! path): cut short and escaped, so that a request can neither flood the logs nor forge a line.
//! Captured through the subscriber every function installs, in its plain-text format (JSON would
//! escape a newline itself; the text format shows what the value carries).

use std::sync::Arc;

use token_service::config::HttpApiResponse;
use token_service::entrypoints::logging::LogSettings;
use token_service::keys::SigningAlgorithm;
use token_service::oauth::{TokenEndpoint, TokenEndpointKind, TokenRequest};
use token_service::store::memory::MemoryClientStore;
use token_service::testing::authorizer::{AuthorizerWorld, answer, token_settings};
use token_service::testing::events::{Shape, event};
use token_service::testing::{CapturedLog, FORM_URLENCODED, key_cache};

/// A line an attacker would like the log to show.
const FORGED: &str = "\n INFO forged: client admin signed in\r\n";

/// Everything logged at INFO (the default level) while `work` runs.
async fn logged_while(work: impl Future<Output = ()>) -> String {
    let captured = CapturedLog::default();
    captured.during_async(&LogSettings::default(), work).await;
    captured.text()
}

fn assert_no_forged_line(logged: &str) {
    assert!(!logged.is_empty(), "nothing was logged");
    for line in logged.lines() {
        assert!(!line.starts_with(" INFO forged"), "a forged line: {logged}");
    }
    assert!(!logged.contains('\r'), "{logged}");
}

#[tokio::test]
async fn an_unknown_client_id_is_logged_escaped() {
    let endpoint = TokenEndpoint::new(
        Arc::new(MemoryClientStore::default()),
        key_cache(SigningAlgorithm::EdDSA),
        token_settings(),
    );
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &format!("evil{FORGED}"))
        .append_pair("client_secret", "wrong")
        .finish();
    let logged = logged_while(async {
        let request = TokenRequest {
            content_type: Some(FORM_URLENCODED),
            authorization: None,
            body: body.as_bytes(),
        };
        let response = endpoint
            .handle(TokenEndpointKind::AccountManagementV1, request)
            .await;
        assert_eq!(response.status, 401);
    })
    .await;
    assert!(logged.contains("unknown client"), "{logged}");
    assert!(logged.contains(r"evil\u{a} INFO forged"), "{logged}");
    assert_no_forged_line(&logged);
}

#[tokio::test]
async fn a_refused_request_path_is_logged_cut_short_and_escaped() {
    let world = AuthorizerWorld::builder(SigningAlgorithm::EdDSA)
        .build()
        .await;
    let handler = world.handler(HttpApiResponse::Simple);
    let path = format!("/v1/whoami{FORGED}{}", "a".repeat(100_000));
    let logged = logged_while(async {
        let e = event(Shape::HttpApiV2, "GET", &path, None, None);
        let _ = answer(&handler, e).await;
    })
    .await;
    assert!(logged.contains("authorization decided"), "{logged}");
    assert!(logged.contains(r"/v1/whoami\u{a} INFO forged"), "{logged}");
    assert!(logged.contains("…(+"), "the cut is shown: {logged}");
    assert!(logged.len() < 2_000, "{} bytes logged", logged.len());
    assert_no_forged_line(&logged);
}
