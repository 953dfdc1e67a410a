//! `make bench`: end-user sign-in.
//! - the refresh_token grant whole, in process (form in, rotated token out, session written),
//!   against its floor: the two bare signatures it needs (access token and id_token);
//!   with the in-memory store and with SQLite on a file (the durable write's cost is the
//!   difference);
//! - the password grant whole at the OWASP argon2id parameters: its cost is the hash.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::cell::RefCell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use token_service::domain::Argon2Params;
use token_service::domain::time::now_unix;
use token_service::keys::{KeySet, SigningAlgorithm};
use token_service::oauth::TokenRequest;
use token_service::store::sqlite::SqliteStore;
use token_service::testing::sign_in::{SignInWorld, token_settings};
use token_service::testing::{DEFAULT_PASSWORD, FORM_URLENCODED, cheap_argon2, key_document};
use token_service::tokens::{UserSubject, mint_user_tokens};

const ALGORITHMS: [SigningAlgorithm; 3] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::ES256,
    SigningAlgorithm::EdDSA,
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn refresh_token_in(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).expect("JSON");
    value["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string()
}

/// The floor: signing the access token's and the id_token's signing inputs, nothing else.
fn bare_signatures(c: &mut Criterion) {
    let rt = runtime();
    let world = rt.block_on(SignInWorld::new());
    let mut group = c.benchmark_group("refresh_grant_floor");
    for alg in ALGORITHMS {
        let keys = KeySet::from_document(&key_document(alg)).expect("key set");
        let subject = UserSubject {
            user_id: &world.ann.user_id,
            email: &world.ann.email,
            labelpartner: &world.ann.labelpartner,
            auth_time: now_unix(),
        };
        let scopes = vec!["profile".to_string(), "devices:read".to_string()];
        let issued = mint_user_tokens(
            &token_settings(),
            &keys,
            &world.app.client,
            subject,
            &scopes,
            now_unix(),
        )
        .expect("mint");
        let inputs = [&issued.access_token, &issued.id_token]
            .map(|token| token[..token.rfind('.').expect("jws")].to_string());
        group.bench_function(BenchmarkId::new("two_bare_signatures", alg), |b| {
            b.iter(|| {
                for input in &inputs {
                    black_box(
                        keys.signer()
                            .sign(black_box(input.as_bytes()))
                            .expect("sign"),
                    );
                }
            })
        });
    }
    group.finish();
}

/// One refresh per iteration, each with the token the previous one returned.
fn bench_refresh(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    alg: SigningAlgorithm,
    world: SignInWorld,
) {
    rt.block_on(world.keys.current()).expect("keys load");
    let first = rt.block_on(world.sign_in());
    let token = RefCell::new(refresh_token_in(&first.to_string()));
    // The form as the client sends it, built once; the token (base64url) needs no escaping.
    let form_prefix = world.app_form().grant_type("refresh_token").encode();
    group.bench_function(BenchmarkId::new(name, alg), |b| {
        b.to_async(rt).iter(|| async {
            let body = format!("{form_prefix}&refresh_token={}", token.borrow());
            let response = world
                .endpoint
                .token(TokenRequest {
                    content_type: Some(FORM_URLENCODED),
                    authorization: None,
                    body: body.as_bytes(),
                })
                .await;
            assert_eq!(response.status, 200, "{}", response.body);
            *token.borrow_mut() = refresh_token_in(&response.body);
        })
    });
}

fn refresh_grant(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("refresh_grant");
    for alg in ALGORITHMS {
        let world = rt.block_on(SignInWorld::in_memory(alg, cheap_argon2()));
        bench_refresh(&mut group, &rt, "memory", alg, world);
        let store = Arc::new(
            SqliteStore::open(dir.path().join(format!("bench-{alg}.sqlite"))).expect("sqlite"),
        );
        let world = rt.block_on(SignInWorld::sqlite(store, alg));
        bench_refresh(&mut group, &rt, "sqlite", alg, world);
    }
    group.finish();
}

fn password_grant(c: &mut Criterion) {
    let rt = runtime();
    let world = rt.block_on(SignInWorld::in_memory(
        SigningAlgorithm::ES256,
        Argon2Params::default(),
    ));
    let form = world
        .app_form()
        .password_grant(&world.ann.email, DEFAULT_PASSWORD);
    let mut group = c.benchmark_group("password_grant");
    group.sample_size(20);
    group.bench_function("owasp_argon2id_es256_memory", |b| {
        b.to_async(&rt).iter(|| async {
            let response = world.post_token(&form).await;
            assert_eq!(response.status, 200, "{}", response.body);
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bare_signatures, refresh_grant, password_grant
}
criterion_main!(benches);
