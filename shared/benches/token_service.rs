//! `make bench`: the client_credentials hot path, piece by piece and whole.
//! - client authentication (SHA-256 + constant-time compare, and with the SQLite lookup);
//! - the bare signature per algorithm (the floor) and token minting per algorithm;
//! - the whole in-process request as `lambda_http` drives the function, from the API Gateway
//!   event's JSON to the response's, with the SQLite store.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use token_service::admin::clients::{NewClient, register};
use token_service::domain::client::Client;
use token_service::domain::time::now_unix;
use token_service::keys::{KeySet, SigningAlgorithm};
use token_service::oauth::TokenEndpoint;
use token_service::oauth::client_auth::{
    ClientAuthMethod, PresentedCredentials, authenticate, secret_matches,
};
use token_service::store::ClientStore;
use token_service::store::sqlite::SqliteStore;
use token_service::testing::http_events::form_post_event;
use token_service::testing::{HttpInvoker, TokenForm, key_cache, key_document};
use token_service::tokens::{TokenSettings, mint_access_token};

const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
];

fn settings() -> TokenSettings {
    TokenSettings {
        issuer: "https://auth.example.com".into(),
        audience: "am-api".into(),
    }
}

/// A registered labelpartner client and its generated secret, as the operator path makes them.
fn labelpartner_client() -> (Client, String) {
    let new = NewClient::labelpartner("lp-bench").with_scopes(&["accounts:read"]);
    let issued = register(new, now_unix()).expect("client");
    (issued.client, issued.client_secret)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn key_set(alg: SigningAlgorithm) -> KeySet {
    KeySet::from_document(&key_document(alg)).expect("key set")
}

fn client_authentication(c: &mut Criterion) {
    let rt = runtime();
    let (client, secret) = labelpartner_client();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("bench.sqlite")).expect("sqlite");
    rt.block_on(store.create(&client)).expect("create");
    let presented = PresentedCredentials {
        client_id: client.client_id.clone(),
        secret: secret.clone(),
        method: ClientAuthMethod::ClientSecretPost,
    };
    let now = now_unix();
    let mut group = c.benchmark_group("client_authentication");
    group.bench_function("secret_check", |b| {
        b.iter(|| secret_matches(black_box(&client), black_box(&secret), now))
    });
    group.bench_function("sqlite_lookup_and_secret_check", |b| {
        b.to_async(&rt).iter(|| async {
            authenticate(&store, black_box(&presented), now)
                .await
                .expect("auth")
        })
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    let (client, _) = labelpartner_client();
    let scopes = vec!["accounts:read".to_string()];
    let mut bare = c.benchmark_group("bare_signature");
    for alg in ALGORITHMS {
        let keys = key_set(alg);
        let token = mint_access_token(&settings(), &keys, &client, &scopes, now_unix())
            .expect("mint")
            .token;
        let signing_input = &token[..token.rfind('.').expect("jws")];
        bare.bench_function(BenchmarkId::from_parameter(alg), |b| {
            b.iter(|| {
                keys.signer()
                    .sign(black_box(signing_input.as_bytes()))
                    .expect("sign")
            })
        });
    }
    bare.finish();
    let mut mint = c.benchmark_group("mint_access_token");
    for alg in ALGORITHMS {
        let keys = key_set(alg);
        mint.bench_function(BenchmarkId::from_parameter(alg), |b| {
            b.iter(|| {
                mint_access_token(&settings(), &keys, black_box(&client), &scopes, now_unix())
                    .expect("mint")
            })
        });
    }
    mint.finish();
}

fn whole_request(c: &mut Criterion) {
    let rt = runtime();
    let (client, secret) = labelpartner_client();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(dir.path().join("bench.sqlite")).expect("sqlite"));
    rt.block_on(store.create(&client)).expect("create");
    let body = TokenForm::credentials(&client.client_id, &secret)
        .grant_type("client_credentials")
        .encode();
    let event = form_post_event("/v1/token", &body, false);
    let mut group = c.benchmark_group("client_credentials_request");
    for alg in ALGORITHMS {
        let keys = key_cache(alg);
        rt.block_on(keys.current()).expect("keys load");
        let function = HttpInvoker::new(TokenEndpoint::new(store.clone(), keys, settings()));
        group.bench_function(BenchmarkId::from_parameter(alg), |b| {
            b.to_async(&rt).iter(|| async {
                let answer = function.answer(&event).await;
                assert_eq!(answer["statusCode"], 200);
                serde_json::to_vec(&answer).expect("a response")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = client_authentication, signing, whole_request
}
criterion_main!(benches);
