//! The AWS SDK clients as `Bootstrap` builds them (`token_service::aws_sdk`), against servers on
//! loopback: an endpoint that accepts and never answers and one that never completes a
//! connection (each call fails with the adapter's error inside the configured timeouts), and a
//! minimal DynamoDB and Secrets Manager that records each request's `x-amzn-trace-id` (each
//! invocation's scope sends its own id, concurrently too; no scope sends none of ours).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use token_service::aws_sdk::{self, SdkTimeouts, with_trace_id};
use token_service::keys::source::SecretsManagerKeySource;
use token_service::keys::{KeyError, KeySetSource};
use token_service::store::dynamodb::DynamoDbClientStore;
use token_service::store::{ClientReader, StoreError};

const TRACE: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
const OTHER_TRACE: &str =
    "Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=0";

/// Short bounds, so a test that would hang in production fails in a fraction of a second.
const SHORT: SdkTimeouts = SdkTimeouts {
    connect: Duration::from_millis(100),
    attempt: Duration::from_millis(200),
    operation: Duration::from_millis(400),
};
/// What "within the operation timeout" is allowed to mean on a loaded CI machine.
const PROMPTLY: Duration = Duration::from_secs(2);

async fn sdk_config(endpoint: &str, timeouts: &SdkTimeouts) -> aws_config::SdkConfig {
    aws_sdk::config_loader(timeouts)
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await
}

/// Runs `call`, failing the test if it is still running after 10 s (a hang).
async fn timed<T>(call: impl Future<Output = T>) -> (Duration, T) {
    let start = Instant::now();
    let out = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("the call hung for 10 s");
    (start.elapsed(), out)
}

/// Accepts every connection and never answers: a service that has stopped responding.
fn hung_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    thread::spawn(move || {
        // Held, not dropped: a closed connection would be an answer.
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            held.push(stream);
        }
    });
    format!("http://{address}")
}

/// A listener whose accept queue is full and never drained: the kernel drops further SYNs, so a
/// connection attempt neither succeeds nor is refused (a black-holed address). The returned
/// values keep it so.
fn unconnectable_endpoint() -> (String, impl Sized) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    loop {
        match TcpStream::connect_timeout(&address, Duration::from_millis(200)) {
            Ok(stream) => queued.push(stream),
            Err(e) if e.kind() == ErrorKind::TimedOut => break,
            Err(e) => panic!("filling the accept queue: {e}"),
        }
        assert!(queued.len() < 64, "the accept queue never filled");
    }
    (format!("http://{address}"), (listener, queued))
}

#[tokio::test]
async fn a_dynamodb_store_call_to_a_hung_endpoint_fails_within_the_operation_timeout() {
    let config = sdk_config(&hung_endpoint(), &SHORT).await;
    let store = DynamoDbClientStore::new(aws_sdk::dynamodb_client(&config), "clients");

    let (elapsed, result) = timed(store.get("client-1")).await;

    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    assert!(
        elapsed >= SHORT.operation,
        "failed before any timeout: {elapsed:?}"
    );
    assert!(elapsed < PROMPTLY, "took {elapsed:?}");
}

#[tokio::test]
async fn what_ends_a_hung_call_is_the_operation_timeout_across_retries() {
    let config = sdk_config(&hung_endpoint(), &SHORT).await;
    let client = aws_sdk::dynamodb_client(&config);

    let (elapsed, result) = timed(
        client
            .get_item()
            .table_name("clients")
            .key("client_id", AttributeValue::S("client-1".into()))
            .send(),
    )
    .await;

    let error = result.expect_err("nothing answered");
    assert!(matches!(error, SdkError::TimeoutError(_)), "{error:?}");
    assert!(elapsed < PROMPTLY, "took {elapsed:?}");
}

#[tokio::test]
async fn the_secrets_manager_key_source_fails_within_the_operation_timeout_on_a_hung_endpoint() {
    let config = sdk_config(&hung_endpoint(), &SHORT).await;
    let source =
        SecretsManagerKeySource::new(aws_sdk::secrets_manager_client(&config), "signing-keys");

    let (elapsed, result) = timed(source.load()).await;

    assert!(matches!(result, Err(KeyError::Source(_))), "{result:?}");
    assert!(
        elapsed >= SHORT.operation,
        "failed before any timeout: {elapsed:?}"
    );
    assert!(elapsed < PROMPTLY, "took {elapsed:?}");
}

#[tokio::test]
async fn a_connection_that_never_completes_ends_at_the_connect_timeout() {
    let (endpoint, _queue) = unconnectable_endpoint();
    // Attempts long enough that only the connect timeout can end one, and no retry, so the
    // error is that attempt's.
    let timeouts = SdkTimeouts {
        connect: Duration::from_millis(100),
        attempt: Duration::from_secs(1),
        operation: Duration::from_secs(1),
    };
    let config = aws_sdk::config_loader(&timeouts)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .load()
        .await;
    let client = aws_sdk::dynamodb_client(&config);

    let (elapsed, result) = timed(
        client
            .get_item()
            .table_name("clients")
            .key("client_id", AttributeValue::S("client-1".into()))
            .send(),
    )
    .await;

    let error = result.expect_err("no connection was made");
    let text = format!("{}", aws_sdk_dynamodb::error::DisplayErrorContext(&error));
    assert!(text.contains("HTTP connect timeout"), "{text}");
    assert!(elapsed < timeouts.attempt, "took {elapsed:?}");

    let store = DynamoDbClientStore::new(client, "clients");
    let (elapsed, result) = timed(store.get("client-1")).await;
    assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    assert!(elapsed < timeouts.attempt, "took {elapsed:?}");
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
struct Received {
    trace_id: Option<String>,
    /// The table or secret the request names.
    table: String,
    /// How many requests had arrived when this one was answered.
    arrived_before_answer: usize,
}

#[derive(Default)]
struct Log {
    received: Mutex<Vec<Received>>,
    arrival: Condvar,
}

/// A DynamoDB that answers every request with an empty GetItem result (and a Secrets Manager
/// request with a secret without a value), recording each request's trace header and the table
/// or secret it names. It holds each answer until `hold_until` requests have arrived (or
/// 2 s have passed), so that requests are provably in flight together.
struct FakeAws {
    endpoint: String,
    log: Arc<Log>,
}

impl FakeAws {
    fn start(hold_until: usize) -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let log = Arc::new(Log::default());
        let shared = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let log = shared.clone();
                thread::spawn(move || serve(stream, &log, hold_until));
            }
        });
        FakeAws {
            endpoint: format!("http://{address}"),
            log,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.log.received.lock().unwrap().clone()
    }

    fn trace_id_for(&self, table: &str) -> Option<String> {
        let received = self.received();
        let matching: Vec<_> = received.iter().filter(|r| r.table == table).collect();
        assert_eq!(matching.len(), 1, "one request for {table}: {received:?}");
        matching[0].trace_id.clone()
    }
}

/// Kept-alive HTTP/1.1: requests one after another until the client closes.
fn serve(mut stream: TcpStream, log: &Log, hold_until: usize) {
    let mut buffer = Vec::new();
    loop {
        let Some((trace_id, body)) = read_request(&mut stream, &mut buffer) else {
            return;
        };
        // Requests are told apart by what they name: a table, or (Secrets Manager) a secret.
        let table = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|json| {
                let named = json.get("TableName").or_else(|| json.get("SecretId"));
                named.and_then(|name| name.as_str()).map(str::to_string)
            })
            .unwrap_or_default();
        let mut received = log.received.lock().unwrap();
        received.push(Received {
            trace_id,
            table,
            arrived_before_answer: 0,
        });
        let index = received.len() - 1;
        log.arrival.notify_all();
        let (mut received, _) = log
            .arrival
            .wait_timeout_while(received, Duration::from_secs(2), |r| r.len() < hold_until)
            .unwrap();
        received[index].arrived_before_answer = received.len();
        drop(received);
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n\
                      content-length: 2\r\n\r\n{}";
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// The next request's `x-amzn-trace-id` and body; `None` when the connection ends.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(Option<String>, Vec<u8>)> {
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = end + 4;
            let text = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let header = |name: &str| {
                text.lines().skip(1).find_map(|line| {
                    let (field, value) = line.split_once(':')?;
                    field
                        .trim()
                        .eq_ignore_ascii_case(name)
                        .then(|| value.trim().to_owned())
                })
            };
            let trace_id = header("x-amzn-trace-id");
            let length: usize = header("content-length")?.parse().ok()?;
            while buffer.len() < head + length {
                read_more(stream, buffer)?;
            }
            let body = buffer[head..head + length].to_vec();
            buffer.drain(..head + length);
            return Some((trace_id, body));
        }
        read_more(stream, buffer)?;
    }
}

fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk) {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

/// What the SDK itself sends without a scope: the Lambda environment's id, if there is one.
fn the_sdks_own_trace_id() -> Option<String> {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok()?;
    std::env::var("_X_AMZN_TRACE_ID").ok()
}

async fn store_on(fake: &FakeAws, table: &str) -> DynamoDbClientStore {
    let config = sdk_config(&fake.endpoint, &SdkTimeouts::default()).await;
    DynamoDbClientStore::new(aws_sdk::dynamodb_client(&config), table)
}

#[tokio::test]
async fn a_call_inside_a_scope_sends_exactly_its_trace_id() {
    let fake = FakeAws::start(1);
    let store = store_on(&fake, "clients").await;

    let found = with_trace_id(Some(TRACE.into()), store.get("client-1")).await;

    assert!(matches!(found, Ok(None)), "{found:?}");
    assert_eq!(fake.trace_id_for("clients").as_deref(), Some(TRACE));
}

#[tokio::test]
async fn the_secrets_manager_client_sends_the_scopes_trace_id_too() {
    let fake = FakeAws::start(1);
    let config = sdk_config(&fake.endpoint, &SdkTimeouts::default()).await;
    let source =
        SecretsManagerKeySource::new(aws_sdk::secrets_manager_client(&config), "signing-keys");

    let loaded = with_trace_id(Some(TRACE.into()), source.load()).await;

    // The answer carries no SecretString: the request reached the fake and came back.
    assert!(matches!(loaded, Err(KeyError::Invalid(_))), "{loaded:?}");
    assert_eq!(fake.trace_id_for("signing-keys").as_deref(), Some(TRACE));
}

#[tokio::test]
async fn a_call_outside_any_scope_sends_none_of_ours() {
    let fake = FakeAws::start(1);
    let store = store_on(&fake, "clients").await;
    // A scope that has ended leaves nothing behind.
    let _ = with_trace_id(Some(TRACE.into()), async {}).await;

    let found = store.get("client-1").await;

    assert!(matches!(found, Ok(None)), "{found:?}");
    assert_eq!(fake.trace_id_for("clients"), the_sdks_own_trace_id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_on_one_client_each_send_their_own_trace_id() {
    let fake = FakeAws::start(2);
    let config = sdk_config(&fake.endpoint, &SdkTimeouts::default()).await;
    let client = aws_sdk::dynamodb_client(&config);
    let invocation = |table: &'static str, trace: &'static str| {
        let store = DynamoDbClientStore::new(client.clone(), table);
        tokio::spawn(with_trace_id(Some(trace.into()), async move {
            store.get("client-1").await
        }))
    };

    let first = invocation("first", TRACE);
    let second = invocation("second", OTHER_TRACE);
    for result in [first.await.unwrap(), second.await.unwrap()] {
        assert!(matches!(result, Ok(None)), "{result:?}");
    }

    assert_eq!(fake.trace_id_for("first").as_deref(), Some(TRACE));
    assert_eq!(fake.trace_id_for("second").as_deref(), Some(OTHER_TRACE));
    for received in fake.received() {
        assert_eq!(
            received.arrived_before_answer, 2,
            "not in flight together: {received:?}"
        );
    }
}

/// Set in the copy of this test binary that runs with Lambda's variables.
const CHILD: &str = "AWS_SDK_TEST_LAMBDA_ENV";
const ENV_TRACE: &str =
    "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0";

/// In one-at-a-time mode the process also has `_X_AMZN_TRACE_ID`, which the SDK's recursion
/// detection sends when the header is absent. This test's own process must not set variables
/// (other tests read them concurrently), so it runs itself again with them set.
#[test]
fn a_scope_wins_over_the_process_trace_variable_and_without_one_the_sdk_sends_it() {
    if std::env::var_os(CHILD).is_none() {
        let name = "a_scope_wins_over_the_process_trace_variable_and_without_one_the_sdk_sends_it";
        let output = Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--test-threads=1"])
            .env(CHILD, "1")
            .env("AWS_LAMBDA_FUNCTION_NAME", "token-service-test")
            .env("_X_AMZN_TRACE_ID", ENV_TRACE)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let fake = FakeAws::start(1);
        let config = sdk_config(&fake.endpoint, &SdkTimeouts::default()).await;
        let client = aws_sdk::dynamodb_client(&config);
        let scoped = DynamoDbClientStore::new(client.clone(), "scoped");
        let unscoped = DynamoDbClientStore::new(client, "unscoped");

        with_trace_id(Some(TRACE.into()), scoped.get("client-1"))
            .await
            .unwrap();
        unscoped.get("client-1").await.unwrap();

        assert_eq!(fake.trace_id_for("scoped").as_deref(), Some(TRACE));
        assert_eq!(fake.trace_id_for("unscoped").as_deref(), Some(ENV_TRACE));
    });
}
