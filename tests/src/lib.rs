//! Support for the tests that need real servers. `make test` starts them (see
//! `scripts/test.sh`) and passes their addresses in the environment; a test that needs a server
//! fails with a clear message when it is missing, and never skips.

use std::time::Duration;

pub mod dynamodb;
pub mod e2e_store;
pub mod function_process;
pub mod function_world;
pub mod runtime_api;
pub mod sent_requests;
pub mod template;

/// The variable, or a panic that says how to get it.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: this test needs a server that `make test` starts (run `make test`, \
             or start it yourself and export {name})"
        ),
    }
}

/// The moto server standing in for DynamoDB and Secrets Manager.
pub fn moto_endpoint() -> String {
    let endpoint = required_env("MOTO_ENDPOINT");
    wait_for_tcp(&endpoint, Duration::from_secs(20));
    endpoint
}

/// The `cargo lambda watch` emulator serving the functions.
pub fn lambda_endpoint() -> String {
    let endpoint = required_env("LAMBDA_ENDPOINT");
    wait_for_tcp(&endpoint, Duration::from_secs(20));
    endpoint
}

/// SDK configuration pointed at moto, with static test credentials.
pub async fn moto_sdk_config() -> aws_config::SdkConfig {
    let endpoint = moto_endpoint();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

fn wait_for_tcp(endpoint: &str, timeout: Duration) {
    let authority = endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect(&authority).is_ok() {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("no server answers at {endpoint}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
