//! `make bench`: what one invocation of each function costs as Lambda runs it. Each function's
//! release binary is started against a Lambda Runtime API served by this process, with the
//! embedded store and a key file (see `invocation/world.rs`), and fed recorded API Gateway
//! events: first the cold start (process spawn to the first answer received), then a warm-up,
//! then `INVOCATIONS` (default 10,000) events, every answer checked. The child's CPU per
//! invocation comes from /proc (the per-thread scheduler time, cross-checked with utime + stime);
//! the difference from the in-process criterion figure of the same handler (`cargo bench -p
//! token-service`, when it has run) is what the runtime, the event conversions and the logging
//! add. `BENCH_FILTER=authorizer,ES256` keeps the rows whose function, event or algorithm
//! contains one of the words; `BENCH_FILTER=client-token+body+EdDSA` the rows that match all
//! three. `BENCH_LOG_LEVEL=WARN` drops the per-request INFO lines (deployed: INFO).

#[path = "invocation/events.rs"]
mod events;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use token_service::keys::SigningAlgorithm;
use token_service::testing::{TokenForm, basic};

use events::{Gateway, authorized_request, authorizer_event, http_request};
use integration_tests::function_process::{Function, clock_ticks_per_second};
use integration_tests::function_world::{ALGORITHMS, Argon2Cost, PASSWORD, World, user_email};
use integration_tests::runtime_api::{Answer, Invocation, RuntimeApi};

const WARM_UP: usize = 500;
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// A password grant at the deployed argon2id cost takes milliseconds: fewer of them.
const DEPLOYED_ARGON2_SHARE: usize = 20;

/// What a correct answer looks like.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A proxy response: status 200 and a JSON body with this member.
    Http(&'static str),
    /// An HTTP API 2.0 simple response that allows.
    Authorized,
    /// An IAM policy that allows (REST, HTTP API 1.0).
    PolicyAllows,
    /// No event: the cold start is the init alone, from spawn to the first poll for an event
    /// (key-rotation, whose first event needs Secrets Manager).
    InitOnly,
}

struct Scenario {
    function: &'static str,
    event: String,
    alg: SigningAlgorithm,
    env: Vec<(String, String)>,
    payload: Arc<Vec<u8>>,
    expect: Expect,
    /// The criterion benchmark of the same handler: group and id as `cargo bench` names them.
    criterion: Option<String>,
    invocations: usize,
    warm_up: usize,
}

struct Measured {
    cold_start: Duration,
    cpu_ns: f64,
    ticks_ns: f64,
    wall_ns: f64,
    peak_rss_kib: u64,
    log_bytes: f64,
    threads: u64,
}

fn main() {
    let invocations: usize = std::env::var("INVOCATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let filter: Vec<String> = std::env::var("BENCH_FILTER")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    let target = target_dir();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let world = runtime.block_on(World::create());
    let scenarios: Vec<Scenario> = scenarios(&world, invocations)
        .into_iter()
        .filter(|s| {
            let matches = |word: &str| {
                s.function.contains(word) || s.event.contains(word) || s.alg.as_str() == word
            };
            filter.is_empty()
                || filter
                    .iter()
                    .any(|alternative| alternative.split('+').all(|w| matches(w.trim())))
        })
        .collect();
    println!("{}", machine());
    println!(
        "\n| function | event | alg | n | cold start ms | CPU µs/invocation | utime+stime µs | \
         wall µs | in-process µs | overhead µs | peak RSS MB | threads | log B/inv | binary MB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for scenario in &scenarios {
        let binary = target.join("release").join(scenario.function);
        let m = measure(&binary, scenario);
        let in_process = scenario
            .criterion
            .as_deref()
            .and_then(|id| criterion_mean_ns(&target, id));
        let cpu_us = m.cpu_ns / 1e3;
        if scenario.invocations == 0 {
            println!(
                "| {} | {} | {} | 0 | {:.1} | – | – | – | – | – | {:.1} | {} | – | {:.1} |",
                scenario.function,
                scenario.event,
                scenario.alg,
                m.cold_start.as_secs_f64() * 1e3,
                m.peak_rss_kib as f64 / 1024.0,
                m.threads,
                std::fs::metadata(&binary).map_or(0.0, |md| md.len() as f64 / 1_048_576.0),
            );
            rows.push((scenario, m));
            continue;
        }
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.0} | {:.1} | {} | {} | {:.1} | {} | {:.0} | {:.1} |",
            scenario.function,
            scenario.event,
            scenario.alg,
            scenario.invocations,
            m.cold_start.as_secs_f64() * 1e3,
            cpu_us,
            m.ticks_ns / 1e3,
            m.wall_ns / 1e3,
            in_process.map_or("–".into(), |ns| format!("{:.1}", ns / 1e3)),
            in_process.map_or("–".into(), |ns| format!("{:.1}", (m.cpu_ns - ns) / 1e3)),
            m.peak_rss_kib as f64 / 1024.0,
            m.threads,
            m.log_bytes,
            std::fs::metadata(&binary).map_or(0.0, |md| md.len() as f64 / 1_048_576.0),
        );
        rows.push((scenario, m));
    }
    print_goals(&rows);
}

fn scenarios(world: &World, invocations: usize) -> Vec<Scenario> {
    let mut all = Vec::new();
    let gateways = [Gateway::HttpApiV2, Gateway::Rest];
    let (id, secret) = (&world.client.client.client_id, &world.client.client_secret);
    for gateway in gateways {
        for basic_auth in [false, true] {
            for alg in ALGORITHMS {
                let (headers, form, how) = if basic_auth {
                    let form = TokenForm::new().grant_type("client_credentials");
                    (vec![basic(id, secret)], form, "Basic")
                } else {
                    let form = TokenForm::credentials(id, secret).grant_type("client_credentials");
                    (vec![], form, "body")
                };
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|h| ("Authorization", h.as_str()))
                    .collect();
                all.push(Scenario {
                    function: "client-token",
                    event: format!("{} POST /v1/token, secret in {how}", gateway.label()),
                    alg,
                    env: world.env(alg),
                    payload: Arc::new(http_request(
                        gateway,
                        "POST",
                        "/v1/token",
                        &headers,
                        Some(&form.encode()),
                    )),
                    expect: Expect::Http("access_token"),
                    criterion: Some(format!("client_credentials_request/{alg}")),
                    invocations,
                    warm_up: WARM_UP,
                });
            }
        }
    }
    let app = basic(&world.app.client.client_id, &world.app.client_secret);
    for gateway in gateways {
        for cost in [Argon2Cost::Deployed, Argon2Cost::Cheap] {
            for alg in ALGORITHMS {
                let form = TokenForm::new().password_grant(user_email(cost), PASSWORD);
                let mut env = world.env(alg);
                env.extend(World::argon2_env(cost));
                let (label, n, warm_up, criterion) = match cost {
                    Argon2Cost::Deployed => (
                        "deployed argon2id",
                        (invocations / DEPLOYED_ARGON2_SHARE).max(1),
                        WARM_UP / DEPLOYED_ARGON2_SHARE,
                        (alg == SigningAlgorithm::ES256)
                            .then(|| "password_grant/owasp_argon2id_es256_memory".to_string()),
                    ),
                    Argon2Cost::Cheap => ("argon2id 256 KiB t=1", invocations, WARM_UP, None),
                };
                all.push(Scenario {
                    function: "user-token",
                    event: format!("{} POST /v2/token password, {label}", gateway.label()),
                    alg,
                    env,
                    payload: Arc::new(http_request(
                        gateway,
                        "POST",
                        "/v2/token",
                        &[("Authorization", &app)],
                        Some(&form.encode()),
                    )),
                    expect: Expect::Http("id_token"),
                    criterion,
                    invocations: n,
                    warm_up,
                });
            }
        }
    }
    for gateway in gateways {
        for (path, algs, member) in [
            (
                "/.well-known/openid-configuration",
                &ALGORITHMS[..1],
                "issuer",
            ),
            ("/.well-known/jwks.json", &ALGORITHMS[..], "keys"),
        ] {
            for &alg in algs {
                all.push(Scenario {
                    function: "discovery",
                    event: format!("{} GET {path}", gateway.label()),
                    alg,
                    env: world.env(alg),
                    payload: Arc::new(http_request(gateway, "GET", path, &[], None)),
                    expect: Expect::Http(member),
                    criterion: None,
                    invocations,
                    warm_up: WARM_UP,
                });
            }
        }
    }
    for (fixture, shape, label, expect) in [
        (
            "authorizer-http-api-v2.json",
            "http_api_v2",
            "HTTP API 2.0",
            Expect::Authorized,
        ),
        (
            "authorizer-http-api-v1.json",
            "http_api_v1",
            "HTTP API 1.0",
            Expect::PolicyAllows,
        ),
        (
            "authorizer-rest-token.json",
            "rest_token",
            "REST TOKEN",
            Expect::PolicyAllows,
        ),
        (
            "authorizer-rest-request.json",
            "rest_request",
            "REST REQUEST",
            Expect::PolicyAllows,
        ),
    ] {
        for alg in ALGORITHMS {
            all.push(Scenario {
                function: "authorizer",
                event: format!("{label} GET /v1/whoami"),
                alg,
                env: world.env(alg),
                payload: Arc::new(authorizer_event(fixture, &world.tokens[&alg])),
                expect,
                criterion: (alg == SigningAlgorithm::RS256)
                    .then(|| format!("authorizer/handler/rs256/{shape}")),
                invocations,
                warm_up: WARM_UP,
            });
        }
    }
    let context = json!({
        "sub": id, "client_id": id, "access_level": "labelpartner", "labelpartner": "lp-bench",
        "scope": "", "jti": "bench", "auth_method": "oauth2",
    });
    for gateway in gateways {
        all.push(Scenario {
            function: "whoami",
            event: format!("{} GET /v1/whoami, authorizer context", gateway.label()),
            alg: SigningAlgorithm::ES256,
            env: world.env(SigningAlgorithm::ES256),
            payload: Arc::new(authorized_request(
                gateway,
                "GET",
                "/v1/whoami",
                context.clone(),
            )),
            expect: Expect::Http("client_id"),
            criterion: None,
            invocations,
            warm_up: WARM_UP,
        });
    }
    let mut rotation_env = world.env(SigningAlgorithm::ES256);
    // A region and credentials from the environment, as Lambda gives them: no lookup of either
    // (and no instance metadata call) during the init.
    rotation_env.extend(
        [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    all.push(Scenario {
        function: "key-rotation",
        event: "init only (its events need Secrets Manager)".into(),
        alg: SigningAlgorithm::ES256,
        env: rotation_env,
        payload: Arc::new(Vec::new()),
        expect: Expect::InitOnly,
        criterion: None,
        invocations: 0,
        warm_up: 0,
    });
    all
}

/// Cold start, warm-up, then the measured invocations, every answer checked.
fn measure(binary: &Path, scenario: &Scenario) -> Measured {
    let api = RuntimeApi::start();
    let mut env = scenario.env.clone();
    env.extend(
        [
            ("AWS_LAMBDA_RUNTIME_API", api.addr.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", scenario.function.to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", scenario.function),
            ),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/24/[$LATEST]0123456789abcdef".into(),
            ),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    let mut sequence = 0usize;
    let mut invoke = |function: &mut Function| {
        let request_id = format!("bench-{sequence:08}");
        sequence += 1;
        api.send(Invocation::new(
            request_id.clone(),
            scenario.payload.clone(),
        ));
        let answer = api.answer(ANSWER_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "{} ({}): no answer within {ANSWER_TIMEOUT:?}; exit status {:?}",
                scenario.function,
                scenario.event,
                function.exited()
            )
        });
        check(scenario, &request_id, answer);
    };
    let spawned = Instant::now();
    let mut function = Function::spawn(binary, &env);
    if let Expect::InitOnly = scenario.expect {
        let polled = api.first_poll(ANSWER_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "{}: no poll for an event within {ANSWER_TIMEOUT:?}; exit status {:?}",
                scenario.function,
                function.exited()
            )
        });
        let measured = Measured {
            cold_start: polled - spawned,
            cpu_ns: 0.0,
            ticks_ns: 0.0,
            wall_ns: 0.0,
            peak_rss_kib: function.peak_rss_kib(),
            log_bytes: 0.0,
            threads: function.threads(),
        };
        function.stop();
        return measured;
    }
    invoke(&mut function);
    let cold_start = spawned.elapsed();
    for _ in 0..scenario.warm_up {
        invoke(&mut function);
    }
    let (cpu_before, logs_before) = (function.cpu(), function.log_bytes());
    let started = Instant::now();
    for _ in 0..scenario.invocations {
        invoke(&mut function);
    }
    let wall = started.elapsed();
    let cpu_after = function.cpu();
    // The drain threads may lag the child by a line or two.
    std::thread::sleep(Duration::from_millis(20));
    let n = scenario.invocations as f64;
    let tick_ns = 1e9 / clock_ticks_per_second() as f64;
    let measured = Measured {
        cold_start,
        cpu_ns: (cpu_after.schedstat_ns - cpu_before.schedstat_ns) as f64 / n,
        ticks_ns: (cpu_after.ticks - cpu_before.ticks) as f64 * tick_ns / n,
        wall_ns: wall.as_nanos() as f64 / n,
        peak_rss_kib: function.peak_rss_kib(),
        log_bytes: (function.log_bytes() - logs_before) as f64 / n,
        threads: function.threads(),
    };
    function.stop();
    measured
}

/// Aborts the bench on any wrong answer: a fast wrong answer measures nothing.
fn check(scenario: &Scenario, request_id: &str, answer: Answer) {
    let fail = |why: String| -> ! {
        panic!(
            "{} ({}, {}): {why}",
            scenario.function, scenario.event, scenario.alg
        )
    };
    let body = match answer {
        Answer::Response {
            request_id: id,
            body,
        } if id == request_id => body,
        Answer::Response { request_id: id, .. } => {
            fail(format!("the response to {id}, expected to {request_id}"))
        }
        Answer::Error {
            request_id: id,
            body,
        } => fail(format!(
            "invocation {id} failed: {}",
            String::from_utf8_lossy(&body)
        )),
        Answer::InitError { body } => {
            fail(format!("init failed: {}", String::from_utf8_lossy(&body)))
        }
    };
    let json: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
        fail(format!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        ))
    });
    let ok = match scenario.expect {
        Expect::Http(member) => {
            json["statusCode"] == 200
                && json["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .is_some_and(|b| !b[member].is_null())
        }
        Expect::Authorized => json["isAuthorized"] == true,
        Expect::PolicyAllows => json["policyDocument"]["Statement"][0]["Effect"] == "Allow",
        Expect::InitOnly => false,
    };
    if !ok {
        fail(format!("unexpected answer: {json}"));
    }
}

/// The mean of a criterion benchmark's last run, if `cargo bench -p token-service` has run.
fn criterion_mean_ns(target: &Path, id: &str) -> Option<f64> {
    // criterion writes a group "a/b" to the directory "a_b".
    let (group, rest) = id.split_once('/')?;
    let candidates = [
        target.join("criterion").join(id),
        target.join("criterion").join(format!("{group}_{rest}")),
    ];
    candidates.iter().find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("new/estimates.json")).ok()?;
        let json: Value = serde_json::from_str(&text).ok()?;
        json["mean"]["point_estimate"].as_f64()
    })
}

/// `TARGET_DIR` (the Makefile passes it), else the target directory this bench was built in.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // <target>/release/deps/invocation-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .expect("the bench's own path")
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let avx512 = if cpuinfo.contains(" avx512f") {
        ", AVX-512"
    } else {
        ""
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?");
    format!(
        "Invocation cost through the Lambda Runtime API: {cores} vCPUs of {model}{avx512} \
         (load average {load} at the start); release binaries; CPU is the child's scheduler \
         time per invocation after {WARM_UP} warm-up invocations."
    )
}

/// The goals of issue 9, against the rows that measure them.
fn print_goals(rows: &[(&Scenario, Measured)]) {
    let cpu = |function: &str, event: &str, alg: SigningAlgorithm| {
        rows.iter()
            .find(|(s, _)| s.function == function && s.event.starts_with(event) && s.alg == alg)
            .map(|(_, m)| m.cpu_ns / 1e3)
    };
    let client = "HTTP API 2.0 POST /v1/token, secret in body";
    let goals = [
        (
            "client-token ES256 ≤ 50 µs",
            cpu("client-token", client, SigningAlgorithm::ES256),
            50.0,
        ),
        (
            "client-token EdDSA ≤ 45 µs",
            cpu("client-token", client, SigningAlgorithm::EdDSA),
            45.0,
        ),
        (
            "client-token RS256 ≤ 270 µs",
            cpu("client-token", client, SigningAlgorithm::RS256),
            270.0,
        ),
        (
            "authorizer RS256 HTTP API 2.0 ≤ 75 µs",
            cpu("authorizer", "HTTP API 2.0", SigningAlgorithm::RS256),
            75.0,
        ),
        (
            "discovery (worst row) ≤ 30 µs",
            rows.iter()
                .filter(|(s, _)| s.function == "discovery")
                .map(|(_, m)| m.cpu_ns / 1e3)
                .reduce(f64::max),
            30.0,
        ),
        (
            "peak RSS (worst row) ≤ 32 MB",
            rows.iter()
                .map(|(_, m)| m.peak_rss_kib as f64 / 1024.0)
                .reduce(f64::max),
            32.0,
        ),
        (
            "cold start (worst row) ≤ 20 ms",
            rows.iter()
                .map(|(_, m)| m.cold_start.as_secs_f64() * 1e3)
                .reduce(f64::max),
            20.0,
        ),
    ];
    println!("\n| goal | measured | met |\n|---|---|---|");
    for (goal, measured, limit) in goals {
        match measured {
            Some(v) => println!(
                "| {goal} | {v:.1} | {} |",
                if v <= limit { "yes" } else { "no" }
            ),
            None => println!("| {goal} | – (not run) | |"),
        }
    }
}
