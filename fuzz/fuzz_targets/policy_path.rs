//! Arbitrary methods and paths against the default access policy: a labelpartner caller of
//! `lp-1` is never allowed into another labelpartner's subtree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use token_service::authz::policy::{AccessPolicy, PolicyDecision};
use token_service::authz::{CredentialKind, Principal};
use token_service::domain::AccessLevel;

fuzz_target!(|data: &[u8]| {
    static POLICY: OnceLock<AccessPolicy> = OnceLock::new();
    let policy = POLICY.get_or_init(|| AccessPolicy::default_policy().expect("the default policy"));
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, path) = text.split_once(' ').unwrap_or(("GET", text));
    let caller = Principal {
        sub: "client-1".into(),
        client_id: "client-1".into(),
        access_level: AccessLevel::Labelpartner,
        labelpartner: Some("lp-1".into()),
        scope: String::new(),
        jti: None,
        auth_method: CredentialKind::OAuth2,
    };
    if let PolicyDecision::Allow { .. } = policy.evaluate(method, path, &caller) {
        let lower = path.to_ascii_lowercase();
        assert!(
            !lower.starts_with("/v1/labelpartners/")
                || lower.starts_with("/v1/labelpartners/lp-1/"),
            "allowed into another labelpartner: {path}"
        );
    }
});
