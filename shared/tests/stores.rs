//! The store adapters that need no server join every conformance suite: memory, and SQLite on a
//! fresh file per test (and, for the store suites, in memory). DynamoDB joins them in the
//! integration tests, on moto.

use std::sync::Arc;
use token_service::testing::conformance::{SignInStoresUnderTest, StoresUnderTest};

mod memory {
    use super::*;
    use token_service::store::memory::{
        MemoryApiKeyStore, MemoryClientStore, MemorySessionStore, MemoryUserStore,
    };

    async fn fresh_stores() -> StoresUnderTest {
        let clients = Arc::new(MemoryClientStore::default());
        StoresUnderTest::new(clients.clone(), Arc::new(MemoryApiKeyStore::new(clients)))
    }

    async fn sign_in_stores() -> SignInStoresUnderTest {
        SignInStoresUnderTest::new(
            Arc::new(MemoryUserStore::default()),
            Arc::new(MemorySessionStore::default()),
        )
    }

    token_service::client_store_conformance!(fresh_stores());
    token_service::api_key_store_conformance!(fresh_stores());
    token_service::api_key_store_race_conformance!(fresh_stores());
    token_service::legacy_key_transition_conformance!(fresh_stores());
    token_service::user_store_conformance!(sign_in_stores());
    token_service::session_store_conformance!(sign_in_stores());
    token_service::session_store_race_conformance!(sign_in_stores());
}

mod sqlite {
    use super::*;
    use token_service::store::sqlite::SqliteStore;

    async fn fresh_stores() -> StoresUnderTest {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(dir.path().join("x.sqlite")).expect("open SQLite store");
        StoresUnderTest::serving_both(store).keeping(dir)
    }

    async fn sign_in_stores() -> SignInStoresUnderTest {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = SqliteStore::open(dir.path().join("x.sqlite")).expect("open SQLite store");
        SignInStoresUnderTest::serving_both(store).keeping(dir)
    }

    token_service::client_store_conformance!(fresh_stores());
    token_service::api_key_store_conformance!(fresh_stores());
    token_service::api_key_store_race_conformance!(fresh_stores());
    token_service::legacy_key_transition_conformance!(fresh_stores());
    token_service::user_store_conformance!(sign_in_stores());
    token_service::session_store_conformance!(sign_in_stores());
    token_service::session_store_race_conformance!(sign_in_stores());
}

/// The in-memory database `SqliteStore::in_memory` opens: the same schema and statements
/// without a file.
mod sqlite_in_memory {
    use super::*;
    use token_service::store::sqlite::SqliteStore;

    async fn fresh_stores() -> StoresUnderTest {
        StoresUnderTest::serving_both(SqliteStore::in_memory().expect("open SQLite in memory"))
    }

    async fn sign_in_stores() -> SignInStoresUnderTest {
        SignInStoresUnderTest::serving_both(
            SqliteStore::in_memory().expect("open SQLite in memory"),
        )
    }

    token_service::client_store_conformance!(fresh_stores());
    token_service::api_key_store_conformance!(fresh_stores());
    token_service::api_key_store_race_conformance!(fresh_stores());
    token_service::user_store_conformance!(sign_in_stores());
    token_service::session_store_conformance!(sign_in_stores());
    token_service::session_store_race_conformance!(sign_in_stores());
}
