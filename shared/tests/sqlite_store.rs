//! What only the SQLite adapter promises, beyond the conformance suites (`stores.rs`): the
//! functions and the CLI share one file, across processes and restarts.

use std::path::PathBuf;
use token_service::store::sqlite::SqliteStore;
use token_service::store::{
    ApiKeyReader, ApiKeyRemover, ApiKeyStore, ClientReader, ClientStore, StoreError,
};
use token_service::testing::conformance::clients::{admin_client, labelpartner_client};
use token_service::testing::conformance::legacy_key;
use token_service::testing::unique_name;

/// A database path in a fresh temporary directory, which the caller keeps until it is done.
fn database_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("x.sqlite");
    (dir, path)
}

/// `make run` has the functions and the CLI open the same file: each must see the other's writes.
#[tokio::test]
async fn a_second_store_on_the_same_file_sees_the_first_ones_writes() {
    let (_dir, path) = database_file();
    let writer = SqliteStore::open(&path).expect("open the first store");
    let reader = SqliteStore::open(&path).expect("open the second store on the same file");

    let prefix = unique_name("shared-file");
    let created = labelpartner_client(&format!("{prefix}-a")).build();
    let id = created.client_id.as_str();
    writer.create(&created).await.expect("create");
    assert_eq!(reader.get(id).await.expect("get"), Some(created.clone()));

    writer
        .disable(id)
        .await
        .expect("disable through the first store");
    let seen = reader
        .get(id)
        .await
        .expect("get")
        .expect("the client is still there");
    assert!(!seen.enabled, "the second store missed the disable");

    // And the other way round.
    let second = admin_client(&format!("{prefix}-b")).build();
    reader
        .create(&second)
        .await
        .expect("create through the second store");
    assert_eq!(
        writer.list().await.expect("list"),
        vec![
            labelpartner_client(id).disabled().version(1).build(),
            second
        ]
    );
}

/// The CLI imports a key, the authorizer finds it, the token function removes it: three
/// processes, one file.
#[tokio::test]
async fn a_key_imported_through_one_store_is_found_and_removed_through_a_second() {
    let (_dir, path) = database_file();
    let writer = SqliteStore::open(&path).expect("open the first store");
    let reader = SqliteStore::open(&path).expect("open the second store on the same file");

    let created = labelpartner_client(&unique_name("shared-file-key")).build();
    let id = created.client_id.as_str();
    writer.create(&created).await.expect("create");
    let imported = legacy_key("legacy-key-5000000000000001", id);
    writer
        .import_key(&imported)
        .await
        .expect("import through the first store");
    assert_eq!(
        reader.find(&imported.key_sha256).await.expect("find"),
        Some(imported.clone())
    );
    assert_eq!(
        reader.list_keys(Some(id)).await.expect("list"),
        vec![imported.clone()]
    );
    let seen = reader.get(id).await.expect("get").expect("the client");
    assert!(seen.has_legacy_api_keys, "the second store missed the flag");

    assert_eq!(
        reader
            .remove_for_client(id)
            .await
            .expect("remove through the second store"),
        1
    );
    assert_eq!(writer.find(&imported.key_sha256).await.expect("find"), None);
    assert_eq!(writer.list_keys(None).await.expect("list"), vec![]);
    // Setting and clearing the flag were two writes.
    assert_eq!(
        writer.get(id).await.expect("get"),
        Some(labelpartner_client(id).version(2).build())
    );
}

/// A store reopened on an existing file finds the clients written before.
#[tokio::test]
async fn a_reopened_store_keeps_its_clients() {
    let (_dir, path) = database_file();
    let client = labelpartner_client(&unique_name("reopen")).build();
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create(&client).await.expect("create");
    }
    let reopened = SqliteStore::open(&path).expect("reopen");
    assert_eq!(
        reopened.get(&client.client_id).await.expect("get"),
        Some(client)
    );
}

/// A store reopened on an existing file finds the keys written before, and the client's flag;
/// the token function's removal still works on them.
#[tokio::test]
async fn a_reopened_store_keeps_its_keys() {
    let (_dir, path) = database_file();
    let created = labelpartner_client(&unique_name("reopen-keys")).build();
    let id = created.client_id.as_str();
    let imported = [
        legacy_key("legacy-key-6000000000000001", id),
        legacy_key("legacy-key-6000000000000002", id),
    ];
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create(&created).await.expect("create");
        for key in &imported {
            store.import_key(key).await.expect("import");
        }
    }
    let reopened = SqliteStore::open(&path).expect("reopen");
    let mut expected = imported.to_vec();
    expected.sort_by_key(|k| k.key_sha256.to_hex());
    assert_eq!(reopened.list_keys(None).await.expect("list"), expected);
    for key in &imported {
        assert_eq!(
            reopened.find(&key.key_sha256).await.expect("find"),
            Some(key.clone())
        );
    }
    let flagged = reopened.get(id).await.expect("get").expect("the client");
    assert!(flagged.has_legacy_api_keys, "the flag did not survive");

    assert_eq!(reopened.remove_for_client(id).await.expect("remove"), 2);
    // Two imports and the clearing: three writes.
    assert_eq!(
        reopened.get(id).await.expect("get"),
        Some(labelpartner_client(id).version(3).build())
    );
}

/// Writes `sql` (with the client id as `?1`) straight into the file, as a hand edit or a
/// corrupted disk would, bypassing the store's validation.
fn corrupt_directly(path: &std::path::Path, sql: &str, client_id: &str) {
    let conn = rusqlite::Connection::open(path).expect("open the file directly");
    let changed = conn.execute(sql, [client_id]).expect("the direct write");
    assert_eq!(changed, 1, "the direct write matched no row");
}

/// A stored lifetime outside 60..=86400 s would mint tokens no operator could have configured:
/// reading the client fails (the token request gets a 500) rather than using it.
#[tokio::test]
async fn a_stored_lifetime_out_of_bounds_is_refused_on_read() {
    let (_dir, path) = database_file();
    let store = SqliteStore::open(&path).expect("open");
    for ttl in [0_i64, 59, 86_401, 4_000_000_000, -1] {
        let created = labelpartner_client(&unique_name("corrupt-ttl")).build();
        store.create(&created).await.expect("create");
        corrupt_directly(
            &path,
            &format!("UPDATE clients SET access_token_ttl = {ttl} WHERE client_id = ?1"),
            &created.client_id,
        );
        let read = store.get(&created.client_id).await;
        assert!(
            matches!(read, Err(StoreError::Backend(_))),
            "ttl {ttl}: expected a store error, got {read:?}"
        );
        assert!(
            store.list().await.is_err(),
            "ttl {ttl}: list used the client"
        );
    }
}

/// An old secret's expiry that cannot be read must not become "never expires".
#[tokio::test]
async fn a_secret_expiry_that_is_not_a_number_is_refused_on_read() {
    let (_dir, path) = database_file();
    let store = SqliteStore::open(&path).expect("open");
    let created = labelpartner_client(&unique_name("corrupt-expiry")).build();
    store.create(&created).await.expect("create");
    let hash = created.secrets[1].hash.to_hex();
    for expiry in ["\"soon\"", "1.5", "true"] {
        corrupt_directly(
            &path,
            &format!(
                "UPDATE clients SET secrets = '[{{\"hash\":\"{hash}\",\"expires_at\":{expiry}}}]' \
                 WHERE client_id = ?1"
            ),
            &created.client_id,
        );
        let read = store.get(&created.client_id).await;
        assert!(
            matches!(read, Err(StoreError::Backend(_))),
            "expiry {expiry}: expected a store error, got {read:?}"
        );
    }
}

/// A file from before client versions: its clients read at version 0, and an update from that
/// read works (and one from a stale read does not).
#[tokio::test]
async fn a_file_from_before_versions_is_migrated_and_updates_at_version_zero() {
    let (_dir, path) = database_file();
    let created = labelpartner_client(&unique_name("before-versions")).build();
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create(&created).await.expect("create");
    }
    {
        let conn = rusqlite::Connection::open(&path).expect("open the file directly");
        conn.execute_batch("ALTER TABLE clients DROP COLUMN version")
            .expect("drop the version column");
    }
    let store = SqliteStore::open(&path).expect("reopen, migrating");
    let read = store
        .get(&created.client_id)
        .await
        .expect("get")
        .expect("the client");
    assert_eq!(read, created);
    let disabled = token_service::domain::Client {
        enabled: false,
        ..read.clone()
    };
    store.update(&disabled).await.expect("update at version 0");
    assert!(matches!(
        store.update(&read).await,
        Err(StoreError::Conflict)
    ));
}

/// A file from before token cut-offs: its clients read with none, and a revocation stores one.
#[tokio::test]
async fn a_file_from_before_token_cut_offs_is_migrated() {
    let (_dir, path) = database_file();
    let created = labelpartner_client(&unique_name("before-cut-offs")).build();
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create(&created).await.expect("create");
    }
    {
        let conn = rusqlite::Connection::open(&path).expect("open the file directly");
        conn.execute_batch("ALTER TABLE clients DROP COLUMN tokens_not_before")
            .expect("drop the cut-off column");
    }
    let store = SqliteStore::open(&path).expect("reopen, migrating");
    let read = store.get(&created.client_id).await.expect("get");
    assert_eq!(read, Some(created.clone()));
    let revoked = token_service::admin::clients::revoke_tokens(&store, &created.client_id, 7)
        .await
        .expect("revoke-tokens on a migrated file");
    assert_eq!(revoked.tokens_not_before, Some(7));
}
