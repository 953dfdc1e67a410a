//! The client store conformance suite against the SQLite adapter, one fresh database file per
//! test.

use integration_tests::conformance::{StoreUnderTest, admin_client, labelpartner_client};
use integration_tests::unique_name;
use token_service::store::sqlite::SqliteStore;
use token_service::store::{ClientReader, ClientStore};

async fn fresh_sqlite_store() -> StoreUnderTest {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("x.sqlite")).expect("open SQLite store");
    StoreUnderTest::new(store).keeping(dir)
}

integration_tests::client_store_conformance!(fresh_sqlite_store());

/// `make run` has the functions and the CLI open the same file: each must see the other's writes.
#[tokio::test]
async fn a_second_store_on_the_same_file_sees_the_first_ones_writes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("x.sqlite");
    let writer = SqliteStore::open(&path).expect("open the first store");
    let reader = SqliteStore::open(&path).expect("open the second store on the same file");

    let prefix = unique_name("shared-file");
    let created = labelpartner_client(&format!("{prefix}-a"));
    writer.create(&created).await.expect("create");
    assert_eq!(
        reader.get(&created.client_id).await.expect("get"),
        Some(created.clone())
    );

    writer
        .disable(&created.client_id)
        .await
        .expect("disable through the first store");
    let seen = reader
        .get(&created.client_id)
        .await
        .expect("get")
        .expect("the client is still there");
    assert!(!seen.enabled, "the second store missed the disable");

    // And the other way round.
    let second = admin_client(&format!("{prefix}-b"));
    reader
        .create(&second)
        .await
        .expect("create through the second store");
    assert_eq!(
        writer.list().await.expect("list"),
        vec![
            token_service::domain::client::Client {
                enabled: false,
                ..created
            },
            second
        ]
    );
}

/// A store reopened on an existing file finds the clients written before.
#[tokio::test]
async fn a_reopened_store_keeps_its_clients() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("x.sqlite");
    let client = labelpartner_client(&unique_name("reopen"));
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
