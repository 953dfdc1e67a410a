//! The one log subscriber every function installs. It reads the level and the format as Lambda
//! sets them and as `lambda_runtime`'s default subscriber did (`AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else INFO; JSON when `AWS_LAMBDA_LOG_FORMAT` is JSON; `RUST_LOG` directives on
//! top), with one difference: only our own code follows that level. The AWS SDK and the HTTP
//! stack log requests and DynamoDB items (hashes) at DEBUG and TRACE, and Lambda runtimes log
//! raw events (form bodies with `client_secret`, `password`, `refresh_token`; `Authorization`
//! and `X-Api-Key` headers) at TRACE. So every other crate is capped whatever the configuration
//! says: deny by default, since a dependency added later cannot be trusted to keep secrets out
//! of its traces.

use std::str::FromStr;

mod json_lines;

use json_lines::JsonLines;
use tracing::Subscriber;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry, fmt};

/// Targets that follow the configured level: the library and the function binaries.
const OWN_TARGETS: &[&str] = &[
    "token_service",
    "authorizer",
    "client_token",
    "discovery",
    "key_rotation",
    "user_token",
    "whoami",
];

/// The runtime's targets (prefixes: `lambda_runtime_api_client` too) keep INFO: they log
/// the raw event at TRACE, and their INFO span names each invocation.
const RUNTIME_TARGETS: &[&str] = &["lambda_runtime", "lambda_http"];
const RUNTIME_LEVEL: LevelFilter = LevelFilter::INFO;

/// The span `lambda_runtime` opens around each invocation (`requestId`, `xrayTraceId`), enabled
/// whatever the configured level, so that every line of an invocation names it, ERROR lines
/// included.
const INVOCATION_SPAN_DIRECTIVE: &str = "lambda_runtime::layers::trace=info";

/// Every other target: the AWS SDK (`aws_sdk_*`, `aws_smithy_*`, `aws_config`, …), hyper, h2,
/// rustls, SQLite, and whatever comes later.
const OTHER_LEVEL: LevelFilter = LevelFilter::WARN;

/// What the environment asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    /// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO.
    pub level: Option<String>,
    /// `RUST_LOG` (a level or directives such as `token_service::oauth=debug`).
    pub directives: Option<String>,
    /// `AWS_LAMBDA_LOG_FORMAT` is `JSON` (case-insensitive).
    pub json: bool,
}

impl LogSettings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        LogSettings {
            level: var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG")),
            directives: var("RUST_LOG"),
            json: var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
        }
    }
}

/// Installs the subscriber, writing to stdout (where Lambda collects logs). Call once, first
/// thing in `main`.
pub fn init_logging() {
    log_subscriber(&LogSettings::from_env(), std::io::stdout).init();
}

/// The subscriber [`init_logging`] installs, writing to `writer`.
pub fn log_subscriber<W>(settings: &LogSettings, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let level = settings
        .level
        .as_deref()
        .and_then(|l| LevelFilter::from_str(l).ok())
        .unwrap_or(LevelFilter::INFO);
    let mut configured = EnvFilter::builder()
        .with_default_directive(level.into())
        .parse_lossy(settings.directives.as_deref().unwrap_or_default());
    if let Ok(invocation_span) = INVOCATION_SPAN_DIRECTIVE.parse() {
        configured = configured.add_directive(invocation_span);
    }
    let lines = fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(writer);
    let lines = if settings.json {
        lines
            .fmt_fields(fmt::format::JsonFields::new())
            .event_format(JsonLines)
            .boxed()
    } else {
        lines.boxed()
    };
    // Both filters must let an event through: no RUST_LOG directive (span filters included)
    // can lift a pinned target above its cap.
    Registry::default()
        .with(configured)
        .with(pinned_levels())
        .with(lines)
}

fn pinned_levels() -> Targets {
    let own = OWN_TARGETS
        .iter()
        .map(|target| (*target, LevelFilter::TRACE));
    let runtime = RUNTIME_TARGETS
        .iter()
        .map(|target| (*target, RUNTIME_LEVEL));
    Targets::new()
        .with_default(OTHER_LEVEL)
        .with_targets(own)
        .with_targets(runtime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CapturedLog;
    use tracing::Level;

    const SECRET: &str = "client_secret=s3cr3t-in-a-raw-event";

    /// What the runtime, the SDK and hyper log at their most verbose, then our own lines.
    fn log_everything() {
        let invoke = tracing::info_span!(target: "lambda_runtime::layers::trace",
            "Lambda runtime invoke", requestId = "req-1234",
            xrayTraceId = "Root=1-5759e988-bd862e3fe1be46a994272793");
        let _in_invoke = invoke.enter();
        tracing::trace!(target: "lambda_runtime::layers::api_response", body = SECRET,
            "raw JSON event received from Lambda");
        tracing::debug!(target: "lambda_runtime_api_client", body = SECRET, "request");
        tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", input = SECRET);
        tracing::debug!(target: "aws_sdk_dynamodb::operation", item = SECRET);
        tracing::debug!(target: "hyper_util::client", header = SECRET);
        tracing::info!(target: "rustls::client", detail = SECRET);
        tracing::trace!(target: "token_service::oauth", "our own trace line");
        tracing::debug!(target: "token_service::authz", "our own debug line");
        tracing::warn!(target: "aws_smithy_runtime", "an SDK warning");
    }

    fn logged_with(settings: LogSettings) -> String {
        let captured = CapturedLog::default();
        captured.during(&settings, log_everything);
        captured.text()
    }

    fn trace(directives: Option<&str>, json: bool) -> LogSettings {
        LogSettings {
            level: Some("TRACE".into()),
            directives: directives.map(String::from),
            json,
        }
    }

    #[test]
    fn at_trace_our_lines_print_and_no_dependency_prints_event_content() {
        for json in [false, true] {
            let logged = logged_with(trace(Some("trace"), json));
            assert!(logged.contains("our own trace line"), "{logged}");
            assert!(logged.contains("our own debug line"), "{logged}");
            assert!(logged.contains("req-1234"), "the request id: {logged}");
            assert!(logged.contains("an SDK warning"), "{logged}");
            assert!(!logged.contains("s3cr3t"), "{logged}");
        }
    }

    #[test]
    fn no_directive_lifts_a_pinned_target() {
        for directives in [
            "trace,lambda_runtime=trace,aws_smithy_runtime=trace,hyper_util=trace,rustls=trace",
            "[Lambda runtime invoke]=trace",
            "trace,lambda_runtime::layers::api_response[{requestId}]=trace",
        ] {
            let logged = logged_with(trace(Some(directives), true));
            assert!(
                logged.contains("our own trace line"),
                "{directives}: {logged}"
            );
            assert!(!logged.contains("s3cr3t"), "{directives}: {logged}");
        }
    }

    #[test]
    fn the_level_is_read_as_lambda_sets_it() {
        let info = logged_with(LogSettings::default());
        assert!(!info.contains("our own debug line"), "{info}");
        assert!(info.contains("an SDK warning"), "{info}");
        let error = logged_with(LogSettings {
            level: Some("error".into()),
            ..LogSettings::default()
        });
        assert!(!error.contains("an SDK warning"), "{error}");
        let debug = logged_with(LogSettings {
            level: Some("DEBUG".into()),
            ..LogSettings::default()
        });
        assert!(debug.contains("our own debug line"), "{debug}");
        assert!(!debug.contains("our own trace line"), "{debug}");
    }

    #[test]
    fn at_every_level_an_invocation_s_lines_name_its_request_and_trace() {
        for level in ["error", "warn", "info", "trace"] {
            let captured = CapturedLog::default();
            let settings = LogSettings {
                level: Some(level.into()),
                directives: None,
                json: true,
            };
            captured.during(&settings, || {
                let invoke = tracing::info_span!(target: "lambda_runtime::layers::trace",
                    "Lambda runtime invoke", requestId = "req-77", xrayTraceId = "Root=1-abc");
                let _in_invoke = invoke.enter();
                tracing::error!(target: "token_service::oauth", "a real failure");
            });
            let line: serde_json::Value =
                serde_json::from_str(captured.text().trim()).expect("one JSON line");
            assert_eq!(line["span"]["requestId"], "req-77", "{level}: {line}");
            assert_eq!(line["span"]["xrayTraceId"], "Root=1-abc", "{level}: {line}");
        }
    }

    #[test]
    fn json_is_one_object_a_line() {
        let logged = logged_with(trace(None, true));
        for line in logged.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(value["level"].is_string(), "{line}");
        }
        assert!(logged.contains(&format!("\"level\":\"{}\"", Level::TRACE)));
    }
}
