//! The [`ApiKeyStore`] suite: importing, finding, listing, revoking and removing legacy API keys,
//! and the client's `has_legacy_api_keys` flag that importing and removing keep. Each test needs
//! empty stores of its own: listings are asserted whole.

use super::clients::labelpartner_client;
use super::{StoresUnderTest, legacy_key};
use crate::domain::LegacyApiKey;
use crate::domain::client::Client;
use crate::domain::secret::hash_secret;
use crate::store::{ApiKeyStore, StoreError};
use crate::testing::client;

/// Expands into a module `api_key_store_conformance` with one test per behaviour of the
/// [`ApiKeyStore`] port; see [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! api_key_store_conformance {
    ($make:expr) => {
        $crate::__conformance_suite!(api_key_store_conformance, api_keys, $make;
            import_stores_only_the_hash_and_sets_the_clients_flag,
            import_changes_nothing_on_the_client_but_the_flag,
            import_for_an_unknown_client_is_not_found_and_stores_nothing,
            importing_a_stored_key_again_is_already_exists_and_flags_no_one_else,
            list_orders_by_client_then_hash_and_filters_by_client,
            list_of_a_client_without_keys_or_of_an_unknown_client_is_empty,
            revoke_deletes_one_key_and_a_second_revoke_is_not_found,
            remove_for_client_deletes_only_its_keys_and_clears_its_flag,
            remove_for_a_client_without_keys_removes_nothing,
            remove_for_a_flagged_client_without_keys_returns_zero_and_clears_the_flag,
            an_update_read_before_an_import_is_a_conflict_and_the_flag_stays,
        );
    };
}

/// Expands into a module `api_key_store_race_conformance` with one test on a multi-threaded
/// runtime: removals of a client's keys racing imports of new ones; see
/// [the suites](crate::testing::conformance).
#[macro_export]
macro_rules! api_key_store_race_conformance {
    ($make:expr) => {
        mod api_key_store_race_conformance {
            #[allow(unused_imports)]
            use super::*;

            use $crate::testing::conformance::{StoresUnderTest, api_keys};

            #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
            async fn a_removal_racing_an_import_never_clears_the_flag_of_a_stored_key() {
                let under_test: StoresUnderTest = $make.await;
                api_keys::a_removal_racing_an_import_never_clears_the_flag_of_a_stored_key(
                    &under_test,
                )
                .await;
            }
        }
    };
}

/// Stores a client of the builder's defaults with this id.
async fn create_client(stores: &StoresUnderTest, client_id: &str) {
    stores
        .clients()
        .create(&client(client_id).build())
        .await
        .unwrap_or_else(|e| panic!("create({client_id}) failed: {e}"));
}

/// The stored client with this id, if any.
async fn stored_client(stores: &StoresUnderTest, client_id: &str) -> Option<Client> {
    stores
        .clients()
        .get(client_id)
        .await
        .unwrap_or_else(|e| panic!("get({client_id}) failed: {e}"))
}

/// Imports each key (in clear) for its client.
async fn import(keys: &dyn ApiKeyStore, keys_and_owners: &[(&str, &str)]) {
    for (key, owner) in keys_and_owners {
        keys.import_key(&legacy_key(key, owner))
            .await
            .unwrap_or_else(|e| panic!("import of a key for {owner} failed: {e}"));
    }
}

pub async fn import_stores_only_the_hash_and_sets_the_clients_flag(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    create_client(stores, "lp-client").await;
    assert!(!stores.has_legacy_api_keys("lp-client").await);
    let key = legacy_key("legacy-key-0000000000000001", "lp-client");
    keys.import_key(&key).await.expect("import");
    assert!(stores.has_legacy_api_keys("lp-client").await);
    assert_eq!(
        keys.find(&hash_secret("legacy-key-0000000000000001"))
            .await
            .expect("find"),
        Some(key)
    );
    assert_eq!(
        keys.find(&hash_secret("legacy-key-0000000000000002"))
            .await
            .expect("find"),
        None
    );
}

/// The import sets the flag and leaves every other field alone but the version (it is a write):
/// compared whole, on a client whose fields are all away from the builder's defaults.
pub async fn import_changes_nothing_on_the_client_but_the_flag(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    let before = labelpartner_client("lp-client").build();
    stores
        .clients()
        .create(&before)
        .await
        .expect("create lp-client");
    assert!(!before.has_legacy_api_keys);
    let flagged = Client {
        has_legacy_api_keys: true,
        version: before.version + 1,
        ..before.clone()
    };
    import(
        keys.as_ref(),
        &[("legacy-key-0000000000000007", "lp-client")],
    )
    .await;
    assert_eq!(
        stored_client(stores, "lp-client").await,
        Some(flagged.clone())
    );

    // A second key leaves the flag set, and the rest as it was.
    import(
        keys.as_ref(),
        &[("legacy-key-0000000000000008", "lp-client")],
    )
    .await;
    let flagged_again = Client {
        version: flagged.version + 1,
        ..flagged
    };
    assert_eq!(
        stored_client(stores, "lp-client").await,
        Some(flagged_again)
    );
    assert_eq!(
        keys.list_keys(Some("lp-client")).await.expect("list").len(),
        2
    );
}

pub async fn import_for_an_unknown_client_is_not_found_and_stores_nothing(
    stores: &StoresUnderTest,
) {
    let keys = stores.api_keys();
    let key = legacy_key("legacy-key-0000000000000003", "nobody");
    let result = keys.import_key(&key).await;
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
    assert!(keys.list_keys(None).await.expect("list").is_empty());
    assert_eq!(keys.find(&key.key_sha256).await.expect("find"), None);
    assert_eq!(stores.clients().get("nobody").await.expect("get"), None);
}

/// The key and the flag are written together or not at all: the refused import leaves the second
/// client unflagged, and the key with its first client.
pub async fn importing_a_stored_key_again_is_already_exists_and_flags_no_one_else(
    stores: &StoresUnderTest,
) {
    let keys = stores.api_keys();
    create_client(stores, "first").await;
    create_client(stores, "second").await;
    let key = legacy_key("legacy-key-0000000000000004", "first");
    keys.import_key(&key).await.expect("import");
    let result = keys
        .import_key(&legacy_key("legacy-key-0000000000000004", "second"))
        .await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
    assert!(!stores.has_legacy_api_keys("second").await);
    assert_eq!(keys.list_keys(Some("second")).await.expect("list"), vec![]);
    assert_eq!(keys.find(&key.key_sha256).await.expect("find"), Some(key));

    // The same key for the same client again: refused as well, and the stored record is kept
    // (not overwritten by the second one's `created_at`).
    let stored = legacy_key("legacy-key-0000000000000004", "first");
    let again = LegacyApiKey {
        created_at: stored.created_at + 1,
        ..stored.clone()
    };
    let result = keys.import_key(&again).await;
    assert!(
        matches!(result, Err(StoreError::AlreadyExists)),
        "expected AlreadyExists, got {result:?}"
    );
    assert!(stores.has_legacy_api_keys("first").await);
    assert_eq!(
        keys.list_keys(Some("first")).await.expect("list"),
        vec![stored.clone()]
    );
    assert_eq!(
        keys.find(&stored.key_sha256).await.expect("find"),
        Some(stored)
    );
}

pub async fn list_orders_by_client_then_hash_and_filters_by_client(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    create_client(stores, "a-client").await;
    create_client(stores, "b-client").await;
    // Imported out of order, so that a store listing in insertion order fails.
    import(
        keys.as_ref(),
        &[
            ("legacy-key-b000000000000001", "b-client"),
            ("legacy-key-a000000000000002", "a-client"),
            ("legacy-key-a000000000000001", "a-client"),
        ],
    )
    .await;
    let mut expected_a = vec![
        legacy_key("legacy-key-a000000000000001", "a-client"),
        legacy_key("legacy-key-a000000000000002", "a-client"),
    ];
    expected_a.sort_by_key(|k| k.key_sha256.to_hex());
    assert_eq!(
        keys.list_keys(Some("a-client")).await.expect("list"),
        expected_a
    );
    let mut expected_all = expected_a;
    expected_all.push(legacy_key("legacy-key-b000000000000001", "b-client"));
    assert_eq!(keys.list_keys(None).await.expect("list"), expected_all);
}

/// A listing filtered by a client is empty when that client has no keys or does not exist, even
/// while other clients hold keys.
pub async fn list_of_a_client_without_keys_or_of_an_unknown_client_is_empty(
    stores: &StoresUnderTest,
) {
    let keys = stores.api_keys();
    create_client(stores, "keyless").await;
    create_client(stores, "keyed").await;
    import(keys.as_ref(), &[("legacy-key-3000000000000001", "keyed")]).await;
    assert_eq!(keys.list_keys(Some("keyless")).await.expect("list"), vec![]);
    assert_eq!(keys.list_keys(Some("nobody")).await.expect("list"), vec![]);
    assert_eq!(
        keys.list_keys(None).await.expect("list"),
        vec![legacy_key("legacy-key-3000000000000001", "keyed")]
    );
}

pub async fn revoke_deletes_one_key_and_a_second_revoke_is_not_found(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    create_client(stores, "a-client").await;
    import(
        keys.as_ref(),
        &[
            ("legacy-key-a000000000000001", "a-client"),
            ("legacy-key-a000000000000002", "a-client"),
        ],
    )
    .await;
    let revoked = legacy_key("legacy-key-a000000000000001", "a-client");
    keys.revoke_key(&revoked.key_sha256).await.expect("revoke");
    assert_eq!(
        keys.list_keys(Some("a-client")).await.expect("list"),
        vec![legacy_key("legacy-key-a000000000000002", "a-client")]
    );
    let again = keys.revoke_key(&revoked.key_sha256).await;
    assert!(
        matches!(again, Err(StoreError::NotFound)),
        "expected NotFound, got {again:?}"
    );
}

pub async fn remove_for_client_deletes_only_its_keys_and_clears_its_flag(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    create_client(stores, "legacy-client").await;
    create_client(stores, "other-client").await;
    import(
        keys.as_ref(),
        &[
            ("legacy-key-1000000000000001", "legacy-client"),
            ("legacy-key-1000000000000002", "legacy-client"),
            ("legacy-key-2000000000000001", "other-client"),
        ],
    )
    .await;
    let removed = keys
        .remove_for_client("legacy-client")
        .await
        .expect("remove");
    assert_eq!(removed, 2);
    assert!(
        keys.list_keys(Some("legacy-client"))
            .await
            .expect("list")
            .is_empty()
    );
    assert!(!stores.has_legacy_api_keys("legacy-client").await);
    assert_eq!(
        keys.list_keys(None).await.expect("list"),
        vec![legacy_key("legacy-key-2000000000000001", "other-client")]
    );
    assert!(stores.has_legacy_api_keys("other-client").await);
    // The client is as it was before its first key, two imports and one clearing later.
    let unflagged = client("legacy-client").version(3).build();
    assert_eq!(
        stored_client(stores, "legacy-client").await,
        Some(unflagged.clone())
    );

    // A second removal (the next token issue) finds nothing more to do and changes nothing.
    assert_eq!(
        keys.remove_for_client("legacy-client")
            .await
            .expect("second remove"),
        0
    );
    assert_eq!(
        stored_client(stores, "legacy-client").await,
        Some(unflagged)
    );
    assert_eq!(
        keys.list_keys(None).await.expect("list"),
        vec![legacy_key("legacy-key-2000000000000001", "other-client")]
    );
    assert!(stores.has_legacy_api_keys("other-client").await);
}

/// The token endpoint may call it for a client whose keys are already gone, or that is gone
/// itself: neither is an error.
pub async fn remove_for_a_client_without_keys_removes_nothing(stores: &StoresUnderTest) {
    let keys = stores.api_keys();
    create_client(stores, "oauth-client").await;
    assert_eq!(
        keys.remove_for_client("oauth-client")
            .await
            .expect("remove"),
        0
    );
    assert!(!stores.has_legacy_api_keys("oauth-client").await);
    assert_eq!(
        keys.remove_for_client("nobody")
            .await
            .expect("remove for an unknown client"),
        0
    );
    assert_eq!(stores.clients().get("nobody").await.expect("get"), None);
}

/// The flag set and no key left: what a removal leaves that failed after deleting the keys, or
/// a revoke of the last key. The next removal must still clear the flag; an adapter that returns
/// early when it finds no keys would leave it set for good.
pub async fn remove_for_a_flagged_client_without_keys_returns_zero_and_clears_the_flag(
    stores: &StoresUnderTest,
) {
    let keys = stores.api_keys();
    stores
        .clients()
        .create(&client("flag-only").with_legacy_api_keys().build())
        .await
        .expect("create flag-only");
    create_client(stores, "other-client").await;
    import(
        keys.as_ref(),
        &[("legacy-key-2000000000000002", "other-client")],
    )
    .await;
    assert!(stores.has_legacy_api_keys("flag-only").await);
    assert_eq!(
        keys.list_keys(Some("flag-only")).await.expect("list"),
        vec![]
    );

    assert_eq!(
        keys.remove_for_client("flag-only").await.expect("remove"),
        0
    );
    assert!(!stores.has_legacy_api_keys("flag-only").await);
    assert_eq!(
        stored_client(stores, "flag-only").await,
        Some(client("flag-only").version(1).build())
    );
    // The other client keeps its key and its flag.
    assert_eq!(
        keys.list_keys(None).await.expect("list"),
        vec![legacy_key("legacy-key-2000000000000002", "other-client")]
    );
    assert!(stores.has_legacy_api_keys("other-client").await);
}

/// `rotate-secret` reads the client, `apikey import` flags it, then the rotation writes: the
/// write is refused, so the flag (and with it the removal of the key) is not lost.
pub async fn an_update_read_before_an_import_is_a_conflict_and_the_flag_stays(
    stores: &StoresUnderTest,
) {
    create_client(stores, "lp-client").await;
    let read = stored_client(stores, "lp-client")
        .await
        .expect("the client");
    import(
        stores.api_keys().as_ref(),
        &[("legacy-key-0000000000000009", "lp-client")],
    )
    .await;
    let rotated = Client {
        secrets: client("lp-client").secret("rotated").build().secrets,
        ..read
    };
    let result = stores.clients().update(&rotated).await;
    assert!(
        matches!(result, Err(StoreError::Conflict)),
        "expected Conflict, got {result:?}"
    );
    assert_eq!(
        stored_client(stores, "lp-client").await,
        Some(
            client("lp-client")
                .with_legacy_api_keys()
                .version(1)
                .build()
        )
    );
}

/// How many removal-and-import pairs [`a_removal_racing_an_import_never_clears_the_flag_of_a_stored_key`]
/// starts at once: enough that, against a store clearing the flag unconditionally, some
/// import lands between a removal's listing and its clearing.
const RACE_ROUNDS: usize = 120;

/// The token function removes a client's keys while `apikey import` adds one: whatever the
/// order, a key that is stored afterwards has its client's flag set (so the next token removes
/// it), and removal never fails.
pub async fn a_removal_racing_an_import_never_clears_the_flag_of_a_stored_key(
    stores: &StoresUnderTest,
) {
    create_client(stores, "racing-client").await;
    for round in 0..RACE_ROUNDS {
        let key = legacy_key(&format!("legacy-key-race-{round:012}"), "racing-client");
        let (remover, importer) = (stores.api_keys().clone(), stores.api_keys().clone());
        let removal = tokio::spawn(async move { remover.remove_for_client("racing-client").await });
        let import = tokio::spawn(async move { importer.import_key(&key).await });
        removal
            .await
            .expect("the removal task")
            .unwrap_or_else(|e| panic!("removal failed in round {round}: {e}"));
        import
            .await
            .expect("the import task")
            .unwrap_or_else(|e| panic!("import failed in round {round}: {e}"));
        let left = stores
            .api_keys()
            .list_keys(Some("racing-client"))
            .await
            .expect("list");
        if !left.is_empty() {
            assert!(
                stores.has_legacy_api_keys("racing-client").await,
                "round {round}: {} key(s) stored but the flag was cleared",
                left.len()
            );
        }
    }
}
