//! Legacy API keys in the SQLite file, beside the clients. Importing a key and setting its
//! client's flag happen in one transaction, and so do deleting a client's keys and clearing it.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use crate::domain::{LegacyApiKey, SecretHash};
use crate::store::{ApiKeyReader, ApiKeyRemover, ApiKeyStore, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS api_keys (
    key_sha256 TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_by_client ON api_keys (client_id);
";

/// Brings a file written before legacy API keys existed up to date: the clients table gains
/// `has_legacy_api_keys` (0 for every existing client) and the api_keys table is created.
/// Safe to run on every open, by several processes at once.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    if !has_flag_column(conn)? {
        let altered = conn.execute_batch(
            "ALTER TABLE clients ADD COLUMN has_legacy_api_keys INTEGER NOT NULL DEFAULT 0",
        );
        // Another process may have added it between our check and our ALTER.
        if let Err(error) = altered
            && !has_flag_column(conn)?
        {
            return Err(StoreError::backend(error));
        }
    }
    conn.execute_batch(SCHEMA).map_err(StoreError::backend)
}

fn has_flag_column(conn: &Connection) -> Result<bool, StoreError> {
    conn.prepare("SELECT 1 FROM pragma_table_info('clients') WHERE name = 'has_legacy_api_keys'")
        .and_then(|mut stmt| stmt.exists([]))
        .map_err(StoreError::backend)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<LegacyApiKey, StoreError>> {
    let hex: String = row.get(0)?;
    let client_id: String = row.get(1)?;
    let created_at: i64 = row.get(2)?;
    Ok(match SecretHash::from_hex(&hex) {
        Some(key_sha256) => Ok(LegacyApiKey {
            key_sha256,
            client_id,
            created_at,
        }),
        None => Err(StoreError::Backend(format!(
            "api key of client {client_id}: corrupt hash"
        ))),
    })
}

#[async_trait]
impl ApiKeyReader for SqliteStore {
    async fn find(&self, key_sha256: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT key_sha256, client_id, created_at FROM api_keys WHERE key_sha256 = ?1",
            )
            .map_err(StoreError::backend)?;
        stmt.query_row(params![key_sha256.to_hex()], from_row)
            .optional()
            .map_err(StoreError::backend)?
            .transpose()
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let flagged = tx
            .execute(
                "UPDATE clients SET has_legacy_api_keys = 1, version = version + 1 \
                 WHERE client_id = ?1",
                params![key.client_id],
            )
            .map_err(StoreError::backend)?;
        if flagged == 0 {
            return Err(StoreError::NotFound);
        }
        let inserted = tx
            .execute(
                "INSERT INTO api_keys (key_sha256, client_id, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key_sha256) DO NOTHING",
                params![key.key_sha256.to_hex(), key.client_id, key.created_at],
            )
            .map_err(StoreError::backend)?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        tx.commit().map_err(StoreError::backend)
    }

    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT key_sha256, client_id, created_at FROM api_keys \
                 WHERE ?1 IS NULL OR client_id = ?1 ORDER BY client_id, key_sha256",
            )
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(params![client_id], from_row)
            .map_err(StoreError::backend)?;
        let mut keys = Vec::new();
        for row in rows {
            keys.push(row.map_err(StoreError::backend)??);
        }
        Ok(keys)
    }

    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError> {
        let deleted = self
            .conn()
            .execute(
                "DELETE FROM api_keys WHERE key_sha256 = ?1",
                params![key_sha256.to_hex()],
            )
            .map_err(StoreError::backend)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl ApiKeyRemover for SqliteStore {
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(StoreError::backend)?;
        let deleted = tx
            .execute(
                "DELETE FROM api_keys WHERE client_id = ?1",
                params![client_id],
            )
            .map_err(StoreError::backend)?;
        tx.execute(
            "UPDATE clients SET has_legacy_api_keys = 0, version = version + 1 \
             WHERE client_id = ?1 AND has_legacy_api_keys = 1",
            params![client_id],
        )
        .map_err(StoreError::backend)?;
        tx.commit().map_err(StoreError::backend)?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    //! What the API-key port promises is the conformance suite's (`shared/tests/stores.rs`);
    //! here, what only this file format needs: upgrading a file written before the keys.
    use super::*;
    use crate::store::ClientReader;
    use crate::testing::client;

    #[tokio::test]
    async fn a_file_from_before_api_keys_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE clients (
                    client_id TEXT PRIMARY KEY NOT NULL, secrets TEXT NOT NULL,
                    access_level TEXT NOT NULL, labelpartner TEXT,
                    allowed_grant_types TEXT NOT NULL, allowed_scopes TEXT NOT NULL,
                    access_token_ttl INTEGER NOT NULL, enabled INTEGER NOT NULL,
                    created_at INTEGER NOT NULL);",
            )
            .unwrap();
            let secrets = serde_json::to_string(&client("old-client").build().secrets).unwrap();
            conn.execute(
                "INSERT INTO clients VALUES ('old-client', ?1, 'labelpartner', 'lp-1', \
                 'client_credentials', '', 3600, 1, 0)",
                params![secrets],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let old = store.get("old-client").await.unwrap().unwrap();
        assert!(!old.has_legacy_api_keys);
        let key = LegacyApiKey::from_key("legacy-key-aaaaaaaaaaaa", "old-client", 1).unwrap();
        store.import_key(&key).await.unwrap();
        assert!(
            store
                .get("old-client")
                .await
                .unwrap()
                .unwrap()
                .has_legacy_api_keys
        );
        drop(store);
        // Opening again (as every function and the CLI do) is a no-op.
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(again.list_keys(None).await.unwrap(), vec![key]);
    }
}
