//! `cargo bench -p token-service --bench password`: what one password check costs, to size the
//! sign-in Lambda's memory and CPU.
//! - argon2id hash and verify at the OWASP defaults (m=19456 KiB, t=2, p=1): every sign-in,
//!   and every unknown e-mail (checked against the dummy hash);
//! - verify of the imported hashes users bring until their first sign-in re-hashes them:
//!   bcrypt at cost 10 and PBKDF2-SHA256 at 600 000 rounds.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use token_service::domain::password::{Argon2Params, PasswordHash, PasswordHasher};
use token_service::testing::password_hashes::{BCRYPT_COST_10, IMPORTED_PASSWORD, PBKDF2_PHC_600K};

fn argon2id_at_owasp_defaults(c: &mut Criterion) {
    let hasher = PasswordHasher::new(Argon2Params::default()).expect("OWASP parameters");
    let hash = hasher.hash(IMPORTED_PASSWORD).expect("hash");
    let mut group = c.benchmark_group("argon2id_owasp");
    group.bench_function("hash", |b| {
        b.iter(|| hasher.hash(black_box(IMPORTED_PASSWORD)))
    });
    group.bench_function("verify", |b| {
        b.iter(|| assert!(hash.verify(black_box(IMPORTED_PASSWORD))))
    });
    group.bench_function("verify_unknown_user", |b| {
        b.iter(|| assert!(!hasher.dummy_hash().verify(black_box(IMPORTED_PASSWORD))))
    });
    group.finish();
}

fn imported_hashes(c: &mut Criterion) {
    let mut group = c.benchmark_group("imported_verify");
    for (name, encoded) in [
        ("bcrypt_cost_10", BCRYPT_COST_10),
        ("pbkdf2_sha256_600k", PBKDF2_PHC_600K),
    ] {
        let hash = PasswordHash::parse(encoded).expect("a valid import");
        group.bench_function(name, |b| {
            b.iter(|| assert!(hash.verify(black_box(IMPORTED_PASSWORD))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Each iteration takes tens of milliseconds: fewer samples, same statistics.
    config = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = argon2id_at_owasp_defaults, imported_hashes
}
criterion_main!(benches);
