//! Conformance suites: the behaviour of each storage port written once and run against every
//! adapter, so that the adapters cannot drift apart.
//!
//! An adapter joins a suite in one line, with an expression that evaluates to a future of a
//! [`StoresUnderTest`] (for the sign-in suites, a [`SignInStoresUnderTest`]); the macro expands
//! into a module named after the suite, holding one `#[tokio::test]` per behaviour, so each
//! behaviour passes or fails under its own name:
//!
//! ```text
//! async fn fresh_stores() -> StoresUnderTest { /* … */ }
//! token_service::client_store_conformance!(fresh_stores());
//! token_service::api_key_store_conformance!(fresh_stores());
//! token_service::api_key_store_race_conformance!(fresh_stores());
//! token_service::legacy_key_transition_conformance!(fresh_stores());
//!
//! async fn sign_in_stores() -> SignInStoresUnderTest { /* … */ }
//! token_service::user_store_conformance!(sign_in_stores());
//! token_service::session_store_conformance!(sign_in_stores());
//! token_service::session_store_race_conformance!(sign_in_stores());
//! ```
//!
//! - [`clients`]: the [`ClientStore`] port. Its behaviours use client ids from
//!   [`unique_name`](crate::testing::unique_name), so they may share one store or table.
//! - [`api_keys`]: the [`ApiKeyStore`] port and the client flag it keeps. It lists every stored
//!   key, so each test needs stores of its own, empty. Its race suite (removals of a client's
//!   keys racing imports, on a multi-threaded runtime) is for every adapter: DynamoDB's removal
//!   spans several requests, so its guard against a racing import is its own code too.
//! - [`legacy_key_transition`]: the authorizer and the token endpoint over the stores, from the
//!   first accepted key to its removal on the first OAuth token. Empty stores, as above.
//! - [`users`]: the [`UserStore`] port (and so [`UserAccounts`](crate::store::UserAccounts)).
//!   Each behaviour works in a labelpartner of its own, so they may share one store or table.
//! - [`sessions`]: the [`SessionStore`] port; its tokens and session ids are random, so its
//!   behaviours may share one store or table too. Its race suite (many rotations of one token at
//!   once, on a multi-threaded runtime) is for the adapters whose atomicity is their own code:
//!   memory and SQLite.
//!
//! - [`versioned_secrets`]: the [`VersionedSecret`](crate::keys::rotation::VersionedSecret)
//!   port the key rotation works on, with Secrets Manager's label rules; a
//!   [`SecretUnderTest`] per behaviour, as a rotation finds the secret.
//!
//! The macros need `tokio` (with its test macro) in the crate that invokes them.

pub mod api_keys;
pub mod clients;
pub mod legacy_key_transition;
pub mod sessions;
pub mod users;
pub mod versioned_secrets;

use std::any::Any;
use std::sync::Arc;

use crate::domain::LegacyApiKey;
use crate::store::{ApiKeyStore, ClientStore, SessionStore, UserStore};

pub use versioned_secrets::SecretUnderTest;

/// Both stores of one backend, and whatever must outlive them (a temporary directory, say).
pub struct StoresUnderTest {
    // Fields drop in declaration order: the stores go before the resources they use.
    clients: Arc<dyn ClientStore>,
    api_keys: Arc<dyn ApiKeyStore>,
    _keep: Box<dyn Any + Send + Sync>,
}

impl StoresUnderTest {
    pub fn new(clients: Arc<dyn ClientStore>, api_keys: Arc<dyn ApiKeyStore>) -> Self {
        StoresUnderTest {
            clients,
            api_keys,
            _keep: Box::new(()),
        }
    }

    /// One store serving both ports (SQLite).
    pub fn serving_both(store: impl ClientStore + ApiKeyStore + 'static) -> Self {
        let store = Arc::new(store);
        Self::new(store.clone(), store)
    }

    /// Keeps `resource` alive until the stores have been dropped.
    pub fn keeping(self, resource: impl Send + Sync + 'static) -> Self {
        StoresUnderTest {
            _keep: Box::new(resource),
            ..self
        }
    }

    pub fn clients(&self) -> &Arc<dyn ClientStore> {
        &self.clients
    }

    pub fn api_keys(&self) -> &Arc<dyn ApiKeyStore> {
        &self.api_keys
    }

    /// The stored client's `has_legacy_api_keys`; the client must exist.
    pub async fn has_legacy_api_keys(&self, client_id: &str) -> bool {
        self.clients
            .get(client_id)
            .await
            .unwrap_or_else(|e| panic!("get({client_id}) failed: {e}"))
            .unwrap_or_else(|| panic!("client {client_id} is not stored"))
            .has_legacy_api_keys
    }
}

/// The user and session stores of one backend, and whatever must outlive them.
pub struct SignInStoresUnderTest {
    // Fields drop in declaration order: the stores go before the resources they use.
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    _keep: Box<dyn Any + Send + Sync>,
}

impl SignInStoresUnderTest {
    pub fn new(users: Arc<dyn UserStore>, sessions: Arc<dyn SessionStore>) -> Self {
        SignInStoresUnderTest {
            users,
            sessions,
            _keep: Box::new(()),
        }
    }

    /// One store serving both ports (SQLite).
    pub fn serving_both(store: impl UserStore + SessionStore + 'static) -> Self {
        let store = Arc::new(store);
        Self::new(store.clone(), store)
    }

    /// Keeps `resource` alive until the stores have been dropped.
    pub fn keeping(self, resource: impl Send + Sync + 'static) -> Self {
        SignInStoresUnderTest {
            _keep: Box::new(resource),
            ..self
        }
    }

    pub fn users(&self) -> &Arc<dyn UserStore> {
        &self.users
    }

    pub fn sessions(&self) -> &Arc<dyn SessionStore> {
        &self.sessions
    }
}

/// The record of the legacy API key `key` (given in clear) for `client_id`.
pub fn legacy_key(key: &str, client_id: &str) -> LegacyApiKey {
    LegacyApiKey::from_key(key, client_id, 1_700_000_000)
        .unwrap_or_else(|e| panic!("{key:?} is no valid API key: {e}"))
}

/// Expands into `mod $module` with one `#[tokio::test]` per behaviour: each evaluates `$make`
/// (in the invoking module's scope), awaits the stores under test (a [`StoresUnderTest`] unless
/// another type is named after the suite) and runs `conformance::$suite::$behaviour` on them.
/// The suites' macros share it.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_suite {
    ($module:ident, $suite:ident, $make:expr; $($behaviour:ident),+ $(,)?) => {
        $crate::__conformance_suite!($module, $suite: StoresUnderTest, $make; $($behaviour),+);
    };
    (
        $module:ident, $suite:ident: $under_test:ident, $make:expr;
        $($behaviour:ident),+ $(,)?
    ) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let under_test: $crate::testing::conformance::$under_test = $make.await;
                    $crate::testing::conformance::$suite::$behaviour(&under_test).await;
                }
            )+
        }
    };
}
