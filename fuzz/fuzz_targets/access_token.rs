//! Arbitrary strings as bearer tokens: verification refuses them, never panics, never accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use token_service::keys::{KeySet, SigningAlgorithm};
use token_service::testing::key_document;
use token_service::tokens::AccessTokenVerifier;

fuzz_target!(|data: &[u8]| {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        KeySet::from_document(&key_document(SigningAlgorithm::ES256)).expect("a key set")
    });
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let verifier = AccessTokenVerifier::new("https://issuer.test", "am-api", 60);
    assert!(
        verifier.verify(keys, token).is_err(),
        "an unsigned input verified"
    );
});
