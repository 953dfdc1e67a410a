//! The [`ClientStore`] suite. Every behaviour uses client ids from [`unique_name`], so the tests
//! may run in parallel against one shared store or table, and asserts the stored state through
//! the port itself.

use super::StoresUnderTest;
use crate::admin::clients::revoke_tokens;
use crate::domain::client::{Client, GrantType};
use crate::store::{ClientStore, StoreError};
use crate::testing::{ClientBuilder, client, unique_name};

/// Expands into a module `client_store_conformance` with one test per behaviour of the
/// [`ClientStore`] port; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! client_store_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(client_store_conformance, clients, $make;
            create_then_get_returns_an_equal_client,
            create_then_get_round_trips_an_admin_client_without_labelpartner,
            get_of_an_unknown_id_is_none,
            create_with_an_existing_id_is_already_exists_and_keeps_the_original,
            create_of_an_invalid_client_is_invalid_and_stores_nothing,
            list_returns_all_created_clients_sorted_by_client_id,
            update_replaces_the_record,
            update_of_a_missing_id_is_not_found_and_creates_nothing,
            update_of_an_invalid_client_is_invalid_and_keeps_the_record,
            an_update_from_a_stale_read_is_a_conflict_and_keeps_the_newer_record,
            an_update_read_before_a_disable_is_a_conflict_and_the_client_stays_disabled,
            disable_sets_enabled_false_and_keeps_the_rest,
            disable_of_a_missing_id_is_not_found,
            a_token_cut_off_is_stored_kept_by_a_disable_and_never_moved_back,
        );
    };
}

/// A labelpartner client mid-rotation: two secrets, the old one with an expiry, every field
/// away from the builder's defaults.
pub fn labelpartner_client(client_id: &str) -> ClientBuilder {
    client(client_id)
        .labelpartner("lp-4711")
        .secret(&format!("{client_id}-new-secret"))
        .expiring_secret(&format!("{client_id}-old-secret"), 1_763_990_000)
        .grants(&[GrantType::ClientCredentials, GrantType::RefreshToken])
        .scopes(&["accounts:read", "orders:write"])
        .ttl(900)
        .created_at(1_763_900_000)
}

/// A disabled admin client: one secret without expiry, no labelpartner, no scopes.
pub fn admin_client(client_id: &str) -> ClientBuilder {
    client(client_id)
        .admin()
        .secret(&format!("{client_id}-secret"))
        .grants(&[GrantType::Password])
        .ttl(86_400)
        .disabled()
        .created_at(1_700_000_000)
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

pub async fn create_then_get_returns_an_equal_client(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let client = labelpartner_client(&unique_name("create-get")).build();
    create(store, &client).await;
    assert_eq!(stored(store, &client.client_id).await, Some(client));
}

pub async fn create_then_get_round_trips_an_admin_client_without_labelpartner(
    stores: &StoresUnderTest,
) {
    let store = stores.clients().as_ref();
    let client = admin_client(&unique_name("create-get-admin")).build();
    create(store, &client).await;
    assert_eq!(stored(store, &client.client_id).await, Some(client));
}

pub async fn get_of_an_unknown_id_is_none(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    assert_eq!(stored(store, &unique_name("unknown")).await, None);
}

pub async fn create_with_an_existing_id_is_already_exists_and_keeps_the_original(
    stores: &StoresUnderTest,
) {
    let store = stores.clients().as_ref();
    let id = unique_name("duplicate");
    let original = labelpartner_client(&id).build();
    create(store, &original).await;
    let intruder = labelpartner_client(&id)
        .admin()
        .secret("an attacker's secret")
        .build();
    let result = store.create(&intruder).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
    assert_eq!(stored(store, &original.client_id).await, Some(original));
}

pub async fn create_of_an_invalid_client_is_invalid_and_stores_nothing(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let invalid = labelpartner_client(&unique_name("invalid"))
        .labelpartner_field(None)
        .build();
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

pub async fn list_returns_all_created_clients_sorted_by_client_id(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let prefix = unique_name("list");
    // Created out of order, so that a store returning insertion order fails.
    let c = labelpartner_client(&format!("{prefix}-c")).build();
    let a = admin_client(&format!("{prefix}-a")).build();
    let b = labelpartner_client(&format!("{prefix}-b")).build();
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

pub async fn update_replaces_the_record(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let id = unique_name("update");
    let original = labelpartner_client(&id).build();
    create(store, &original).await;
    let replacement = labelpartner_client(&id)
        .admin()
        .secret("a rotated secret")
        .grants(&[GrantType::Password])
        .scopes(&["admin:all"])
        .ttl(60)
        .disabled()
        .created_at(original.created_at + 1)
        .with_legacy_api_keys()
        .build();
    assert!(!original.has_legacy_api_keys);
    store
        .update(&replacement)
        .await
        .expect("update of an existing client");
    // Stored one version on from the one read.
    let stored_replacement = stored(store, &id).await.expect("the client");
    assert_eq!(
        stored_replacement,
        Client {
            version: 1,
            ..replacement
        }
    );

    // And back: an optional attribute that reappears is stored again, and the flag is cleared.
    store
        .update(&Client {
            version: stored_replacement.version,
            ..original.clone()
        })
        .await
        .expect("second update of an existing client");
    assert_eq!(
        stored(store, &id).await,
        Some(Client {
            version: 2,
            ..original
        })
    );
}

/// Two operators read the same client; the second to write must not undo the first's change.
pub async fn an_update_from_a_stale_read_is_a_conflict_and_keeps_the_newer_record(
    stores: &StoresUnderTest,
) {
    let store = stores.clients().as_ref();
    let id = unique_name("update-stale");
    create(store, &labelpartner_client(&id).build()).await;
    let read_by_first = stored(store, &id).await.expect("the client");
    let read_by_second = read_by_first.clone();
    let first = Client {
        allowed_scopes: vec!["first:change".into()],
        ..read_by_first
    };
    store.update(&first).await.expect("the first update");
    let second = Client {
        access_token_ttl: 60,
        ..read_by_second
    };
    let result = store.update(&second).await;
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "expected Conflict, got {result:?}"
    );
    assert_eq!(
        stored(store, &id).await,
        Some(Client {
            version: 1,
            ..first
        })
    );
}

/// `rotate-secret` reads the client, an operator disables it, then the rotation writes: the
/// write is refused and the client stays disabled.
pub async fn an_update_read_before_a_disable_is_a_conflict_and_the_client_stays_disabled(
    stores: &StoresUnderTest,
) {
    let store = stores.clients().as_ref();
    let id = unique_name("update-after-disable");
    create(store, &labelpartner_client(&id).build()).await;
    let read = stored(store, &id).await.expect("the client");
    store.disable(&id).await.expect("disable");
    let rotated = Client {
        secrets: labelpartner_client(&id).secret("rotated").build().secrets,
        ..read
    };
    let result = store.update(&rotated).await;
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "expected Conflict, got {result:?}"
    );
    assert_eq!(
        stored(store, &id).await,
        Some(labelpartner_client(&id).disabled().version(1).build())
    );
}

pub async fn update_of_a_missing_id_is_not_found_and_creates_nothing(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let missing = labelpartner_client(&unique_name("update-missing")).build();
    let result = store.update(&missing).await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
    assert_eq!(stored(store, &missing.client_id).await, None);
}

pub async fn update_of_an_invalid_client_is_invalid_and_keeps_the_record(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let original = labelpartner_client(&unique_name("update-invalid")).build();
    create(store, &original).await;
    let mut without_secrets = original.clone();
    without_secrets.secrets.clear();
    let result = store.update(&without_secrets).await;
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected Invalid, got {result:?}"
    );
    assert_eq!(stored(store, &original.client_id).await, Some(original));
}

pub async fn disable_sets_enabled_false_and_keeps_the_rest(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let id = unique_name("disable");
    let client = labelpartner_client(&id).build();
    assert!(client.enabled);
    create(store, &client).await;
    let disabled = labelpartner_client(&id).disabled();
    store
        .disable(&id)
        .await
        .expect("disable of an existing client");
    assert_eq!(
        stored(store, &id).await,
        Some(disabled.clone().version(1).build())
    );

    // Disabling twice is not an error and changes nothing more (but counts as a write).
    store
        .disable(&id)
        .await
        .expect("disable of a disabled client");
    assert_eq!(stored(store, &id).await, Some(disabled.version(2).build()));
}

pub async fn disable_of_a_missing_id_is_not_found(stores: &StoresUnderTest) {
    let store = stores.clients().as_ref();
    let id = unique_name("disable-missing");
    let result = store.disable(&id).await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
    assert_eq!(stored(store, &id).await, None);
}

/// `authctl client revoke-tokens` through the store: the cut-off round-trips, survives a
/// disable, and a later revocation at an earlier clock does not move it back.
pub async fn a_token_cut_off_is_stored_kept_by_a_disable_and_never_moved_back(
    stores: &StoresUnderTest,
) {
    let store = stores.clients().as_ref();
    let id = unique_name("cut-off");
    create(store, &labelpartner_client(&id).build()).await;
    assert_eq!(stored(store, &id).await.unwrap().tokens_not_before, None);
    let revoked = revoke_tokens(store, &id, 1_000).await.expect("revoking");
    assert_eq!(revoked.tokens_not_before, Some(1_000));
    assert_eq!(stored(store, &id).await, Some(revoked));
    store.disable(&id).await.expect("disabling");
    let disabled = stored(store, &id).await.unwrap();
    assert_eq!(disabled.tokens_not_before, Some(1_000));
    revoke_tokens(store, &id, 999)
        .await
        .expect("revoking again");
    assert_eq!(
        stored(store, &id).await.unwrap().tokens_not_before,
        Some(1_000)
    );
    let later = revoke_tokens(store, &id, 2_000)
        .await
        .expect("revoking later");
    assert_eq!(later.tokens_not_before, Some(2_000));
    assert!(!later.enabled, "a revocation does not enable the client");
    assert_eq!(stored(store, &id).await, Some(later));
}
