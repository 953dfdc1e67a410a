//! What only the SQLite adapter promises, beyond the conformance suites (`stores.rs`): the
//! functions and the CLI share one file, across processes and restarts.

use std::path::PathBuf;
use token_service::store::sqlite::SqliteStore;
use token_service::store::{ClientReader, ClientStore};
use token_service::testing::conformance::clients::{admin_client, labelpartner_client};
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
        vec![labelpartner_client(id).disabled().build(), second]
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
