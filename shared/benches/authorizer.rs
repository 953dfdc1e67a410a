//! `make bench`: the authorizer's warm path, which runs on every request of every protected API.
//! - `authorizer/jsonwebtoken_rs256`: a bare `jsonwebtoken` RS256 decode with claim checks, the
//!   floor any verification sits on;
//! - `authorizer/verify/<alg>`: our verification (size, typ, kid, alg from our key, signature,
//!   iss/aud/exp/nbf) against a key set in hand;
//! - `authorizer/authorize/<alg>`: credentials → principal → access policy → decision, with the
//!   key set from the warm per-container cache (no I/O);
//! - `authorizer/handler/<shape>`: the whole invocation as the runtime drives it: the event's
//!   JSON bytes (from `shared/tests/fixtures/`) parsed, decided, the response serialized.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use token_service::authz::{AccessRequest, Decision};
use token_service::config::HttpApiResponse;
use token_service::domain::client::Client;
use token_service::domain::time::now_unix;
use token_service::keys::source::InMemoryKeySource;
use token_service::keys::{KeyCache, KeySet, SigningAlgorithm, initial_document};
use token_service::testing::authorizer::{
    AUDIENCE, ISSUER, handler, request_authorizer_for, token_settings,
};
use token_service::testing::client;
use token_service::tokens::{AccessTokenClaims, AccessTokenVerifier, mint_access_token};

const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
];

const FIXTURES: [(&str, &str); 4] = [
    (
        "http_api_v2",
        include_str!("../tests/fixtures/authorizer-http-api-v2.json"),
    ),
    (
        "http_api_v1",
        include_str!("../tests/fixtures/authorizer-http-api-v1.json"),
    ),
    (
        "rest_token",
        include_str!("../tests/fixtures/authorizer-rest-token.json"),
    ),
    (
        "rest_request",
        include_str!("../tests/fixtures/authorizer-rest-request.json"),
    ),
];

fn bench_client() -> Client {
    client("bench-labelpartner-client")
        .scopes(&["accounts:read"])
        .build()
}

struct Setup {
    keys: KeySet,
    cache: Arc<KeyCache>,
    token: String,
}

fn setup(rt: &tokio::runtime::Runtime, alg: SigningAlgorithm) -> Setup {
    let document = initial_document(alg, now_unix()).expect("keys");
    let keys = KeySet::from_document(&document).expect("key set");
    let cache = Arc::new(KeyCache::new(
        Arc::new(InMemoryKeySource(document)),
        Duration::from_secs(3600),
    ));
    rt.block_on(cache.current()).expect("warm cache");
    let token = mint_access_token(
        &token_settings(),
        &keys,
        &bench_client(),
        &["accounts:read".to_string()],
        now_unix(),
    )
    .expect("mint")
    .token;
    Setup { keys, cache, token }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn bench_verification(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("authorizer");

    let rs = setup(&rt, SigningAlgorithm::RS256);
    let header = jsonwebtoken::decode_header(&rs.token).expect("header");
    let kid = header.kid.expect("kid");
    let key = rs.keys.verification_key(&kid).expect("key").key.clone();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    group.bench_function("jsonwebtoken_rs256", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<AccessTokenClaims>(black_box(&rs.token), &key, &validation)
                .expect("valid")
        })
    });

    for alg in ALGORITHMS {
        let s = setup(&rt, alg);
        let verifier = AccessTokenVerifier::new(ISSUER, AUDIENCE, 30);
        group.bench_with_input(BenchmarkId::new("verify", alg), &s, |b, s| {
            b.iter(|| {
                verifier
                    .verify(&s.keys, black_box(&s.token))
                    .expect("valid")
            })
        });
        let authorizer = rt.block_on(request_authorizer_for(s.cache.clone(), &[bench_client()]));
        let authorization = format!("Bearer {}", s.token);
        group.bench_with_input(
            BenchmarkId::new("authorize", alg),
            &authorization,
            |b, authorization| {
                b.to_async(&rt).iter(|| async {
                    let request = AccessRequest {
                        method: "GET",
                        path: "/v1/labelpartners/lp-1/accounts",
                        authorization: Some(authorization),
                        api_key: None,
                    };
                    let decision = authorizer.authorize(black_box(&request), 0).await;
                    assert!(matches!(decision, Ok(Decision::Allow(_))));
                })
            },
        );
    }
    group.finish();
}

fn bench_handler(c: &mut Criterion) {
    let rt = runtime();
    let s = setup(&rt, SigningAlgorithm::RS256);
    let authorizer = rt.block_on(request_authorizer_for(s.cache.clone(), &[bench_client()]));
    let handler = handler(authorizer, HttpApiResponse::Simple);
    let mut group = c.benchmark_group("authorizer/handler");
    for (shape, fixture) in FIXTURES {
        let bytes = fixture.replace("{{TOKEN}}", &s.token).into_bytes();
        group.bench_with_input(BenchmarkId::new("rs256", shape), &bytes, |b, bytes| {
            b.to_async(&rt).iter(|| async {
                let response = handler
                    .handle_json(black_box(bytes))
                    .await
                    .expect("allowed");
                black_box(serde_json::to_vec(&response).expect("serialize"))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_verification, bench_handler
}
criterion_main!(benches);
