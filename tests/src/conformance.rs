//! One conformance suite for [`ClientStore`], written once and run against every adapter.
//!
//! A test binary invokes [`client_store_conformance!`](crate::client_store_conformance) with an
//! expression that evaluates to a future of a [`StoreUnderTest`]; the macro expands into a module
//! `client_store_conformance` holding one `#[tokio::test]` per behaviour, so each behaviour passes
//! or fails under its own name:
//!
//! ```text
//! async fn fresh_store() -> StoreUnderTest { /* … */ }
//! integration_tests::client_store_conformance!(fresh_store());
//! ```
//!
//! Every behaviour uses client ids from [`unique_name`], so the tests may run in parallel against
//! one shared server or table, and asserts the stored state through the port itself.

use token_service::domain::client::{AccessLevel, Client, GrantType, StoredSecret};
use token_service::domain::secret::hash_secret;
use token_service::store::{ClientStore, StoreError};

use crate::unique_name;

/// A store and whatever must outlive it (a temporary directory, say).
pub struct StoreUnderTest {
    // Fields drop in declaration order: the store goes before the resources it uses.
    store: Box<dyn ClientStore>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl StoreUnderTest {
    pub fn new(store: impl ClientStore + 'static) -> Self {
        StoreUnderTest {
            store: Box::new(store),
            _keep: Box::new(()),
        }
    }

    /// Keeps `resource` alive until the store has been dropped.
    pub fn keeping(self, resource: impl Send + Sync + 'static) -> Self {
        StoreUnderTest {
            store: self.store,
            _keep: Box::new(resource),
        }
    }

    pub fn store(&self) -> &dyn ClientStore {
        self.store.as_ref()
    }
}

/// Expands into a module `client_store_conformance` with one test per behaviour of the
/// [`ClientStore`] port. `$make` is evaluated (and awaited) once per test and must yield a
/// [`StoreUnderTest`]; it is resolved in the invoking module's scope.
#[macro_export]
macro_rules! client_store_conformance {
    ($make:expr) => {
        $crate::client_store_conformance!(@tests $make;
            create_then_get_returns_an_equal_client,
            create_then_get_round_trips_an_admin_client_without_labelpartner,
            get_of_an_unknown_id_is_none,
            create_with_an_existing_id_is_already_exists_and_keeps_the_original,
            create_of_an_invalid_client_is_invalid_and_stores_nothing,
            list_returns_all_created_clients_sorted_by_client_id,
            update_replaces_the_record,
            update_of_a_missing_id_is_not_found_and_creates_nothing,
            update_of_an_invalid_client_is_invalid_and_keeps_the_record,
            disable_sets_enabled_false_and_keeps_the_rest,
            disable_of_a_missing_id_is_not_found,
        );
    };
    (@tests $make:expr; $($behaviour:ident),+ $(,)?) => {
        mod client_store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let under_test: $crate::conformance::StoreUnderTest = $make.await;
                    $crate::conformance::$behaviour(under_test.store()).await;
                }
            )+
        }
    };
}

/// A labelpartner client mid-rotation: two secrets, the old one with an expiry.
pub fn labelpartner_client(client_id: &str) -> Client {
    Client {
        client_id: client_id.to_string(),
        secrets: vec![
            StoredSecret {
                hash: hash_secret(&format!("{client_id}-new-secret")),
                expires_at: None,
            },
            StoredSecret {
                hash: hash_secret(&format!("{client_id}-old-secret")),
                expires_at: Some(1_763_990_000),
            },
        ],
        access_level: AccessLevel::Labelpartner,
        labelpartner: Some("lp-4711".into()),
        allowed_grant_types: vec![GrantType::ClientCredentials, GrantType::RefreshToken],
        allowed_scopes: vec!["accounts:read".into(), "orders:write".into()],
        access_token_ttl: 900,
        enabled: true,
        created_at: 1_763_900_000,
        has_legacy_api_keys: false,
    }
}

/// An admin client: one secret without expiry, no labelpartner, no scopes.
pub fn admin_client(client_id: &str) -> Client {
    Client {
        client_id: client_id.to_string(),
        secrets: vec![StoredSecret {
            hash: hash_secret(&format!("{client_id}-secret")),
            expires_at: None,
        }],
        access_level: AccessLevel::Admin,
        labelpartner: None,
        allowed_grant_types: vec![GrantType::Password],
        allowed_scopes: Vec::new(),
        access_token_ttl: 86_400,
        enabled: false,
        created_at: 1_700_000_000,
        has_legacy_api_keys: false,
    }
}

async fn stored(store: &dyn ClientStore, client_id: &str) -> Option<Client> {
    store
        .get(client_id)
        .await
        .unwrap_or_else(|e| panic!("get({client_id}) failed: {e}"))
}

async fn create(store: &dyn ClientStore, client: &Client) {
    store
        .create(client)
        .await
        .unwrap_or_else(|e| panic!("create({}) failed: {e}", client.client_id));
}

pub async fn create_then_get_returns_an_equal_client(store: &dyn ClientStore) {
    let client = labelpartner_client(&unique_name("create-get"));
    create(store, &client).await;
    assert_eq!(stored(store, &client.client_id).await, Some(client));
}

pub async fn create_then_get_round_trips_an_admin_client_without_labelpartner(
    store: &dyn ClientStore,
) {
    let client = admin_client(&unique_name("create-get-admin"));
    create(store, &client).await;
    assert_eq!(stored(store, &client.client_id).await, Some(client));
}

pub async fn get_of_an_unknown_id_is_none(store: &dyn ClientStore) {
    assert_eq!(stored(store, &unique_name("unknown")).await, None);
}

pub async fn create_with_an_existing_id_is_already_exists_and_keeps_the_original(
    store: &dyn ClientStore,
) {
    let original = labelpartner_client(&unique_name("duplicate"));
    create(store, &original).await;
    let intruder = Client {
        secrets: vec![StoredSecret {
            hash: hash_secret("an attacker's secret"),
            expires_at: None,
        }],
        access_level: AccessLevel::Admin,
        labelpartner: None,
        ..original.clone()
    };
    let result = store.create(&intruder).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
    assert_eq!(stored(store, &original.client_id).await, Some(original));
}

pub async fn create_of_an_invalid_client_is_invalid_and_stores_nothing(store: &dyn ClientStore) {
    let invalid = Client {
        labelpartner: None,
        ..labelpartner_client(&unique_name("invalid"))
    };
    let result = store.create(&invalid).await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected Invalid, got {result:?}"
    );
    assert_eq!(stored(store, &invalid.client_id).await, None);
    let listed = store.list().await.expect("list");
    assert!(
        listed.iter().all(|c| c.client_id != invalid.client_id),
        "an invalid client was listed"
    );
}

pub async fn list_returns_all_created_clients_sorted_by_client_id(store: &dyn ClientStore) {
    let prefix = unique_name("list");
    // Created out of order, so that a store returning insertion order fails.
    let c = labelpartner_client(&format!("{prefix}-c"));
    let a = admin_client(&format!("{prefix}-a"));
    let b = labelpartner_client(&format!("{prefix}-b"));
    for client in [&c, &a, &b] {
        create(store, client).await;
    }
    let listed = store.list().await.expect("list");
    let ids: Vec<&str> = listed.iter().map(|c| c.client_id.as_str()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "list is not sorted by client_id: {ids:?}"
    );
    // Other tests may share the store; ours are exactly the three created here.
    let ours: Vec<Client> = listed
        .into_iter()
        .filter(|client| client.client_id.starts_with(&format!("{prefix}-")))
        .collect();
    assert_eq!(ours, vec![a, b, c]);
}

pub async fn update_replaces_the_record(store: &dyn ClientStore) {
    let original = labelpartner_client(&unique_name("update"));
    create(store, &original).await;
    let replacement = Client {
        secrets: vec![StoredSecret {
            hash: hash_secret("a rotated secret"),
            expires_at: None,
        }],
        access_level: AccessLevel::Admin,
        labelpartner: None,
        allowed_grant_types: vec![GrantType::Password],
        allowed_scopes: vec!["admin:all".into()],
        access_token_ttl: 60,
        enabled: false,
        created_at: original.created_at + 1,
        ..original.clone()
    };
    store
        .update(&replacement)
        .await
        .expect("update of an existing client");
    assert_eq!(
        stored(store, &original.client_id).await,
        Some(replacement.clone())
    );

    // And back: an optional attribute that reappears is stored again.
    store
        .update(&original)
        .await
        .expect("second update of an existing client");
    assert_eq!(stored(store, &original.client_id).await, Some(original));
}

pub async fn update_of_a_missing_id_is_not_found_and_creates_nothing(store: &dyn ClientStore) {
    let missing = labelpartner_client(&unique_name("update-missing"));
    let result = store.update(&missing).await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
    assert_eq!(stored(store, &missing.client_id).await, None);
}

pub async fn update_of_an_invalid_client_is_invalid_and_keeps_the_record(store: &dyn ClientStore) {
    let original = labelpartner_client(&unique_name("update-invalid"));
    create(store, &original).await;
    let invalid = Client {
        secrets: Vec::new(),
        ..original.clone()
    };
    let result = store.update(&invalid).await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected Invalid, got {result:?}"
    );
    assert_eq!(stored(store, &original.client_id).await, Some(original));
}

pub async fn disable_sets_enabled_false_and_keeps_the_rest(store: &dyn ClientStore) {
    let client = labelpartner_client(&unique_name("disable"));
    assert!(client.enabled);
    create(store, &client).await;
    store
        .disable(&client.client_id)
        .await
        .expect("disable of an existing client");
    assert_eq!(
        stored(store, &client.client_id).await,
        Some(Client {
            enabled: false,
            ..client.clone()
        })
    );

    // Disabling twice is not an error and changes nothing more.
    store
        .disable(&client.client_id)
        .await
        .expect("disable of a disabled client");
    assert_eq!(
        stored(store, &client.client_id).await,
        Some(Client {
            enabled: false,
            ..client
        })
    );
}

pub async fn disable_of_a_missing_id_is_not_found(store: &dyn ClientStore) {
    let id = unique_name("disable-missing");
    let result = store.disable(&id).await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
    assert_eq!(stored(store, &id).await, None);
}
