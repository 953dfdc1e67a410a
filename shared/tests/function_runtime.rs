//! The function runtime against a scripted Runtime API on loopback: what it posts back for each
//! event (answers, handler errors, panics, unreadable events, init failures), and how it reads
//! the HTTP the Runtime API may send (kept-alive and closed connections, chunked bodies,
//! malformed responses).

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use token_service::entrypoints::logging::LogSettings;
use token_service::entrypoints::runtime::{
    FunctionRuntime, InvocationError, RuntimeApiClient, RuntimeApiError, RuntimeError,
    tokio_runtime,
};
use token_service::testing::CapturedLog;

/// What the fake does with one request.
enum Step {
    /// An event: 200 with the request id and the body (Content-Length framing).
    Event(&'static str, String),
    /// An event with a chunked body, split into these chunks.
    ChunkedEvent(&'static str, Vec<String>),
    /// Exactly these bytes.
    Raw(Vec<u8>),
    /// `202 Accepted`, as the Runtime API answers a posted response or error.
    Accepted,
    /// Like `Accepted`, then the connection is closed without saying so.
    AcceptedThenDrop,
    /// A status with no body.
    Status(u16),
}

#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    connection: usize,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct FakeRuntimeApi {
    address: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeRuntimeApi {
    /// Serves `steps` in order, one per request, over as many connections as the client opens.
    fn start(steps: Vec<Step>) -> FakeRuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        thread::spawn(move || {
            let mut steps: VecDeque<Step> = steps.into();
            for (connection, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { return };
                if !serve_connection(stream, connection, &mut steps, &recorded) {
                    return;
                }
            }
        });
        FakeRuntimeApi { address, requests }
    }

    fn client(&self) -> RuntimeApiClient {
        RuntimeApiClient::new(self.address.clone())
    }

    /// A client given the address the way an emulator gives it: a scheme and a base path.
    fn client_with_prefix(&self, prefix: &str) -> RuntimeApiClient {
        RuntimeApiClient::new(format!("http://{}{prefix}", self.address))
    }

    fn runtime(&self) -> FunctionRuntime {
        FunctionRuntime::new(self.client(), tokio_runtime().unwrap())
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The posted requests: (path, JSON body).
    fn posted(&self) -> Vec<(String, Value)> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .map(|r| (r.path.clone(), r.json()))
            .collect()
    }
}

/// Answers requests on one connection; false once the script is done.
fn serve_connection(
    stream: TcpStream,
    connection: usize,
    steps: &mut VecDeque<Step>,
    recorded: &Mutex<Vec<Request>>,
) -> bool {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader, connection) else {
            return true;
        };
        recorded.lock().unwrap().push(request);
        let Some(step) = steps.pop_front() else {
            return false;
        };
        let (bytes, drop_after) = match step {
            Step::Event(id, body) => (
                format!(
                    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                     Lambda-Runtime-Deadline-Ms: 1700000000000\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
                false,
            ),
            Step::ChunkedEvent(id, chunks) => {
                let mut text = format!(
                    "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: {id}\r\n\
                     transfer-encoding: chunked\r\n\r\n"
                );
                for chunk in chunks {
                    text.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
                }
                text.push_str("0\r\n\r\n");
                (text.into_bytes(), false)
            }
            Step::Raw(bytes) => (bytes, true),
            Step::Accepted => (accepted(), false),
            Step::AcceptedThenDrop => (accepted(), true),
            Step::Status(status) => (
                format!("HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n\r\n").into_bytes(),
                false,
            ),
        };
        if writer.write_all(&bytes).is_err() || drop_after {
            return true;
        }
    }
}

fn accepted() -> Vec<u8> {
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n"
        .to_vec()
}

fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
        connection,
    })
}

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

/// Each event (request id, JSON) followed by how its answer is received, then a 500 to the
/// next poll, which ends `serve`.
fn script(events: Vec<(&'static str, &str, Step)>) -> Vec<Step> {
    let mut steps = Vec::new();
    for (id, json, answered) in events {
        steps.push(Step::Event(id, json.to_string()));
        steps.push(answered);
    }
    steps.push(Step::Status(500));
    steps
}

fn response_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/response")
}

fn error_path(id: &str) -> String {
    format!("/2018-06-01/runtime/invocation/{id}/error")
}

/// A handler that echoes `{"n": …}` events doubled, fails on a negative one and panics on 13.
async fn double(event: Value) -> Result<Value, InvocationError> {
    let n = event["n"].as_i64().unwrap_or_default();
    if n == 13 {
        panic!("thirteen");
    }
    if n < 0 {
        return Err(InvocationError::new("Negative", format!("{n} is negative")));
    }
    Ok(json!({ "doubled": n * 2 }))
}

/// Runs `serve` with [`double`] until the script ends with a 500 to `next`.
fn serve_until_the_script_ends(api: &FakeRuntimeApi) -> RuntimeError {
    api.runtime()
        .serve(double)
        .expect_err("serve returns only when the Runtime API fails")
}

#[test]
fn events_are_answered_in_order_over_one_kept_alive_connection() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-1", r#"{"n": 1}"#, Step::Accepted),
        ("id-2", r#"{"n": 21}"#, Step::Accepted),
    ]));
    let error = serve_until_the_script_ends(&api);
    assert!(
        matches!(
            error,
            RuntimeError::Api(RuntimeApiError::Status { status: 500, .. })
        ),
        "{error}"
    );
    assert_eq!(
        api.posted(),
        vec![
            (response_path("id-1"), json!({"doubled": 2})),
            (response_path("id-2"), json!({"doubled": 42})),
        ]
    );
    let requests = api.requests();
    assert_eq!(requests.len(), 5);
    assert!(requests.iter().all(|r| r.connection == 0), "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, NEXT);
    assert!(requests[0].header("host").is_some());
}

#[test]
fn a_handler_error_is_posted_with_its_type_and_the_next_event_is_served() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-1", r#"{"n": -4}"#, Step::Accepted),
        ("id-2", r#"{"n": 2}"#, Step::Accepted),
    ]));
    serve_until_the_script_ends(&api);
    assert_eq!(
        api.posted(),
        vec![
            (
                error_path("id-1"),
                json!({"errorType": "Negative", "errorMessage": "-4 is negative"})
            ),
            (response_path("id-2"), json!({"doubled": 4})),
        ]
    );
    let error = &api.requests()[1];
    assert_eq!(
        error.header("lambda-runtime-function-error-type"),
        Some("Negative")
    );
    assert_eq!(error.header("content-type"), Some("application/json"));
}

#[test]
fn a_panicking_handler_fails_its_invocation_only() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-1", r#"{"n": 13}"#, Step::Accepted),
        ("id-2", r#"{"n": 3}"#, Step::Accepted),
    ]));
    serve_until_the_script_ends(&api);
    let posted = api.posted();
    assert_eq!(posted[0].0, error_path("id-1"));
    assert_eq!(posted[0].1["errorType"], "Runtime.HandlerPanic");
    assert!(
        posted[0].1["errorMessage"]
            .as_str()
            .unwrap()
            .contains("thirteen")
    );
    assert_eq!(posted[1], (response_path("id-2"), json!({"doubled": 6})));
}

#[test]
fn an_unreadable_event_fails_without_echoing_its_content() {
    let api = FakeRuntimeApi::start(script(vec![
        (
            "id-1",
            r#"{"n": 1, "client_secret": "s3cr3t"#,
            Step::Accepted,
        ),
        ("id-2", r#"["not", "an", "object"]"#, Step::Accepted),
    ]));
    let error = api
        .runtime()
        .serve(|event: std::collections::HashMap<String, i64>| async move {
            Ok::<_, InvocationError>(event.len())
        })
        .unwrap_err();
    assert!(matches!(error, RuntimeError::Api(_)));
    let posted = api.posted();
    assert_eq!(posted.len(), 2);
    for (path, body) in &posted {
        assert!(path.ends_with("/error"), "{path}");
        assert_eq!(body["errorType"], "Runtime.UnmarshalError");
        let message = body["errorMessage"].as_str().unwrap();
        assert!(!message.contains("s3cr3t"), "{message}");
        assert!(!message.contains("object"), "{message}");
    }
}

#[test]
fn a_failed_start_is_reported_as_an_init_error() {
    let api = FakeRuntimeApi::start(vec![Step::Accepted]);
    let mut runtime = api.runtime();
    let started: Result<(), RuntimeError> =
        runtime.init(async { Err::<(), _>("KEY_SOURCE is not set") });
    assert!(
        matches!(&started, Err(RuntimeError::Init(message)) if message == "KEY_SOURCE is not set")
    );
    let requests = api.requests();
    assert_eq!(requests[0].path, "/2018-06-01/runtime/init/error");
    assert_eq!(
        requests[0].json(),
        json!({"errorType": "Runtime.InitError", "errorMessage": "KEY_SOURCE is not set"})
    );
}

#[test]
fn a_successful_start_posts_nothing() {
    let api = FakeRuntimeApi::start(vec![]);
    let mut runtime = api.runtime();
    let value = runtime.init(async { Ok::<_, String>(7) }).unwrap();
    assert_eq!(value, 7);
    assert!(api.requests().is_empty());
}

#[test]
fn a_connection_the_runtime_api_closed_is_replaced_and_the_request_sent_again() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-1", r#"{"n": 5}"#, Step::AcceptedThenDrop),
        ("id-2", r#"{"n": 6}"#, Step::Accepted),
    ]));
    serve_until_the_script_ends(&api);
    assert_eq!(
        api.posted(),
        vec![
            (response_path("id-1"), json!({"doubled": 10})),
            (response_path("id-2"), json!({"doubled": 12})),
        ]
    );
    let connections: Vec<usize> = api.requests().iter().map(|r| r.connection).collect();
    assert_eq!(connections, vec![0, 0, 1, 1, 1]);
}

#[test]
fn a_chunked_event_is_read_whole() {
    let api = FakeRuntimeApi::start(vec![
        Step::ChunkedEvent("id-1", vec![r#"{"n""#.into(), r#": 50}"#.into()]),
        Step::Accepted,
        Step::Status(500),
    ]);
    serve_until_the_script_ends(&api);
    assert_eq!(
        api.posted(),
        vec![(response_path("id-1"), json!({"doubled": 100}))]
    );
}

#[test]
fn an_event_without_a_request_id_or_with_a_broken_head_ends_the_loop() {
    for raw in [
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: x\r\nContent-Length: nine\r\n\r\n",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: x\r\nContent-Length: 99999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: x\r\nContent-Length: 20\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: x\r\nContent-Length: 2\r\n\r\n{}junk",
        "SMTP ready\r\n\r\n",
    ] {
        let api = FakeRuntimeApi::start(vec![Step::Raw(raw.as_bytes().to_vec())]);
        let error = serve_until_the_script_ends(&api);
        assert!(
            matches!(
                error,
                RuntimeError::Api(RuntimeApiError::Malformed(_) | RuntimeApiError::Io(_))
            ),
            "{raw:?}: {error}"
        );
        assert!(api.posted().is_empty(), "{raw:?}");
    }
}

#[test]
fn a_refused_answer_is_logged_and_the_loop_goes_on() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-1", r#"{"n": 1}"#, Step::Status(413)),
        ("id-2", r#"{"n": 2}"#, Step::Accepted),
    ]));
    serve_until_the_script_ends(&api);
    assert_eq!(api.posted().len(), 2);
}

#[test]
fn without_a_runtime_api_address_the_client_says_so() {
    // The variable is never set in this test binary's environment.
    assert!(std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none());
    assert!(matches!(
        RuntimeApiClient::from_env(),
        Err(RuntimeApiError::NotConfigured)
    ));
}

#[test]
fn every_line_of_an_invocation_names_its_request_id_at_any_level() {
    let api = FakeRuntimeApi::start(script(vec![
        ("id-warned", r#"{"n": 1}"#, Step::Accepted),
        ("id-failed", r#"{"n": -1}"#, Step::Accepted),
    ]));
    let log = CapturedLog::default();
    let warn_and_json = LogSettings {
        level: Some("WARN".into()),
        directives: None,
        json: true,
    };
    log.during(&warn_and_json, || {
        api.runtime()
            .serve(|event: Value| async move {
                tracing::warn!("handling");
                double(event).await
            })
            .unwrap_err()
    });
    let lines: Vec<Value> = log
        .text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let request_ids: Vec<&str> = lines
        .iter()
        .map(|line| line["span"]["requestId"].as_str().unwrap_or("none"))
        .collect();
    // The handler's warning in each, then the failed invocation's error line.
    assert_eq!(
        request_ids,
        ["id-warned", "id-failed", "id-failed"],
        "{lines:?}"
    );
    assert_eq!(lines[2]["fields"]["error_type"], "Negative");
}

#[test]
fn an_address_with_a_scheme_and_a_base_path_prefixes_every_request() {
    for prefix in ["/.rt", "/.rt/"] {
        let api = FakeRuntimeApi::start(script(vec![("id-1", r#"{"n": 1}"#, Step::Accepted)]));
        let runtime =
            FunctionRuntime::new(api.client_with_prefix(prefix), tokio_runtime().unwrap());
        runtime.serve(double).unwrap_err();
        let paths: Vec<String> = api.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                format!("/.rt{NEXT}"),
                format!("/.rt{}", response_path("id-1")),
                format!("/.rt{NEXT}"),
            ]
        );
    }
}
