//! Builders and doubles shared by every test crate (feature `test-support`, a dev-dependency
//! only; never in a function binary): clients, registered clients with their secret, users and
//! sessions, key
//! sources, token-request forms, environment lookups, and the conformance suites every store
//! adapter joins.

pub mod authorizer;
mod captured_log;
mod clients;
pub mod conformance;
pub mod events;
mod form;
pub mod http_events;
mod http_invocation;
mod key_entries;
mod keys;
pub mod password_hashes;
pub mod sign_in;
mod users;

pub use captured_log::CapturedLog;
pub use clients::{ClientBuilder, DEFAULT_SECRET, client, registered};
pub use form::{FORM_URLENCODED, TokenForm, basic, post_v1_token};
pub use http_invocation::{
    HttpInvoker, lambda_context, response_body, response_header, response_json,
};
pub use key_entries::sole_key;
pub use keys::{CountingKeySource, FailingKeySource, key_cache, key_document};
pub use users::{DEFAULT_PASSWORD, UserBuilder, cheap_argon2, cheap_hasher, started_session, user};

use std::collections::HashMap;

/// A settings lookup over fixed variables, as `Settings::from_lookup` and
/// `AuthorizerSettings::from_lookup` take one.
pub fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A name no other test uses, so tests can share one store or server and run in parallel.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}
