//! The built functions on `lambda_runtime`, driven through a Lambda Runtime API on 127.0.0.1:
//! several invocations in flight at once under Lambda Managed Instances'
//! `AWS_LAMBDA_MAX_CONCURRENCY`, and a store that accepts connections and never answers, which
//! must cost a token request a JSON 503 (deadline) or 500 (SDK timeout) before the deadline and
//! the authorizer a failed invocation (fail closed), never a Lambda timeout.
//!
//! The functions are the debug builds `make test` makes (`cargo build -p <function> --features
//! local`); a missing one fails the test.

use integration_tests::function_process::Function;
use integration_tests::function_world::World;
use integration_tests::runtime_api::{Answer, Invocation, RuntimeApi, TRACE_ID, lambda_env};
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use token_service::keys::SigningAlgorithm;
use token_service::testing::TokenForm;
use token_service::testing::http_events::form_post_event;

const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

fn function_binary(name: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let binary = target.join("debug").join(name);
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p {name} --features local` (make test does)",
        binary.display()
    );
    binary
}

fn authorizer_event(token: &str) -> Arc<Vec<u8>> {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures/authorizer-http-api-v2.json");
    let text = std::fs::read_to_string(fixture).expect("the authorizer fixture");
    Arc::new(text.replace("{{TOKEN}}", token).into_bytes())
}

fn with(mut env: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// Waits for `count` polls of `/next`: that many workers are ready for an event at once.
fn wait_for_polls(api: &RuntimeApi, count: usize) {
    for poll in 0..count {
        assert!(
            api.first_poll(ANSWER_TIMEOUT).is_some(),
            "only {poll} of {count} workers polled for an event"
        );
    }
}

fn answers(api: &RuntimeApi, count: usize) -> Vec<Answer> {
    (0..count)
        .map(|i| {
            api.answer(ANSWER_TIMEOUT)
                .unwrap_or_else(|| panic!("answer {i} of {count} never came"))
        })
        .collect()
}

fn response_json(answer: &Answer) -> Value {
    match answer {
        Answer::Response { body, .. } => serde_json::from_slice(body).expect("a JSON answer"),
        other => panic!("expected a response, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_max_concurrency_the_authorizer_serves_several_invocations_at_once() {
    let world = World::create().await;
    let api = RuntimeApi::start();
    let env = with(
        [
            world.env(SigningAlgorithm::ES256),
            lambda_env(api.addr, "authorizer"),
        ]
        .concat(),
        &[("AWS_LAMBDA_MAX_CONCURRENCY", "4")],
    );
    let function = Function::spawn_keeping_logs(&function_binary("authorizer"), &env);
    wait_for_polls(&api, 4);
    let event = authorizer_event(&world.tokens[&SigningAlgorithm::ES256]);
    for i in 0..16 {
        api.send(Invocation::new(format!("req-{i}"), event.clone()));
    }
    let mut answered: Vec<String> = answers(&api, 16)
        .iter()
        .map(|answer| {
            let response = response_json(answer);
            assert_eq!(response["isAuthorized"], true, "{response}");
            match answer {
                Answer::Response { request_id, .. } => request_id.clone(),
                _ => unreachable!(),
            }
        })
        .collect();
    answered.sort();
    let mut sent: Vec<String> = (0..16).map(|i| format!("req-{i}")).collect();
    sent.sort();
    assert_eq!(
        answered, sent,
        "every invocation answered once, with its own id"
    );
    function.stop();
}

/// A TCP endpoint that accepts connections and never answers.
fn hung_endpoint() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    (listener, url)
}

/// The functions' environment with DynamoDB at `endpoint`.
fn on_dynamodb(
    world: &World,
    api: &RuntimeApi,
    name: &str,
    endpoint: &str,
) -> Vec<(String, String)> {
    let env: Vec<(String, String)> = world
        .env(SigningAlgorithm::ES256)
        .into_iter()
        .filter(|(name, _)| name != "STORE" && name != "SQLITE_PATH")
        .collect();
    with(
        [env, lambda_env(api.addr, name)].concat(),
        &[
            ("STORE", "dynamodb"),
            ("CLIENTS_TABLE", "clients"),
            ("API_KEYS_TABLE", "api-keys"),
            ("USERS_TABLE", "users"),
            ("SESSIONS_TABLE", "sessions"),
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    )
}

fn token_event(world: &World) -> Arc<Vec<u8>> {
    let body = TokenForm::credentials(&world.client.client.client_id, &world.client.client_secret)
        .encode();
    Arc::new(form_post_event("/v1/token", &body, false).into_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_store_costs_a_token_request_a_503_before_the_deadline_in_each_invocation_in_flight()
{
    let world = World::create().await;
    let (_hung, endpoint) = hung_endpoint();
    let api = RuntimeApi::start();
    let env = with(
        on_dynamodb(&world, &api, "client-token", &endpoint),
        &[
            ("AWS_LAMBDA_MAX_CONCURRENCY", "4"),
            // Longer than the invocation: only its deadline can end the request.
            ("SDK_CONNECT_TIMEOUT_MS", "20000"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "20000"),
            ("SDK_OPERATION_TIMEOUT_MS", "20000"),
        ],
    );
    let function = Function::spawn_keeping_logs(&function_binary("client-token"), &env);
    wait_for_polls(&api, 4);
    let time_left = Duration::from_millis(1500);
    let started = Instant::now();
    for i in 0..4 {
        api.send(
            Invocation::new(format!("req-{i}"), token_event(&world)).with_time_left(time_left),
        );
    }
    for answer in answers(&api, 4) {
        let response = response_json(&answer);
        assert_eq!(response["statusCode"], 503, "{response}");
        assert_eq!(response["headers"]["retry-after"], "1", "{response}");
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or_default())
            .expect("a JSON body");
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    // Four at once, each within its own deadline: one after another would take four times
    // as long.
    assert!(
        started.elapsed() < time_left + Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    function.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_store_costs_a_token_request_a_500_when_the_sdk_times_out_first() {
    let world = World::create().await;
    let (_hung, endpoint) = hung_endpoint();
    let api = RuntimeApi::start();
    let env = with(
        on_dynamodb(&world, &api, "client-token", &endpoint),
        &[
            ("SDK_CONNECT_TIMEOUT_MS", "200"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "300"),
            ("SDK_OPERATION_TIMEOUT_MS", "600"),
        ],
    );
    let function = Function::spawn_keeping_logs(&function_binary("client-token"), &env);
    wait_for_polls(&api, 1);
    let started = Instant::now();
    api.send(
        Invocation::new("req-sdk", token_event(&world)).with_time_left(Duration::from_secs(5)),
    );
    let response = response_json(&answers(&api, 1)[0]);
    assert_eq!(response["statusCode"], 500, "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let logs = function.logs();
    let error_line: Value = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["level"] == "ERROR")
        .unwrap_or_else(|| panic!("a real failure is an error line: {logs}"));
    assert_eq!(error_line["span"]["requestId"], "req-sdk", "{error_line}");
    assert_eq!(error_line["span"]["xrayTraceId"], TRACE_ID, "{error_line}");
    function.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_store_fails_the_authorizer_closed_before_the_deadline() {
    let world = World::create().await;
    let (_hung, endpoint) = hung_endpoint();
    let api = RuntimeApi::start();
    let env = with(
        on_dynamodb(&world, &api, "authorizer", &endpoint),
        &[
            ("SDK_CONNECT_TIMEOUT_MS", "20000"),
            ("SDK_ATTEMPT_TIMEOUT_MS", "20000"),
            ("SDK_OPERATION_TIMEOUT_MS", "20000"),
        ],
    );
    let function = Function::spawn_keeping_logs(&function_binary("authorizer"), &env);
    wait_for_polls(&api, 1);
    let time_left = Duration::from_millis(1500);
    let started = Instant::now();
    let event = authorizer_event(&world.tokens[&SigningAlgorithm::ES256]);
    api.send(Invocation::new("req-authz", event).with_time_left(time_left));
    match &answers(&api, 1)[0] {
        Answer::Error { body, .. } => {
            let error: Value = serde_json::from_slice(body).expect("a JSON error");
            assert_eq!(error["errorType"], "AuthorizerError", "{error}");
            assert_ne!(error["errorMessage"], "Unauthorized");
        }
        other => panic!("the authorizer must fail closed, got {other:?}"),
    }
    assert!(started.elapsed() < time_left, "{:?}", started.elapsed());
    function.stop();
}
