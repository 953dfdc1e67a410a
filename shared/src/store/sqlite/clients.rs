//! Clients in the `clients` table, one column per field (secrets as JSON, lists space-separated).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, get_u64, integer};
use crate::domain::{Client, GrantType, StoredSecret};
use crate::store::{
    ClientReader, ClientStore, StoreError, checked_on_read, corrupt_client, validated,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    secrets TEXT NOT NULL,
    access_level TEXT NOT NULL CHECK (access_level IN ('admin', 'labelpartner')),
    labelpartner TEXT,
    allowed_grant_types TEXT NOT NULL,
    allowed_scopes TEXT NOT NULL,
    access_token_ttl INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    has_legacy_api_keys INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0),
    tokens_not_before INTEGER
);
";

macro_rules! columns {
    () => {
        "client_id, secrets, access_level, labelpartner, allowed_grant_types, allowed_scopes, \
         access_token_ttl, enabled, created_at, has_legacy_api_keys, version, tokens_not_before"
    };
}
const COLUMNS: &str = columns!();
/// The token path's one query, built at compile time: no allocation per request.
const SELECT_ONE: &str = concat!("SELECT ", columns!(), " FROM clients WHERE client_id = ?1");

/// Creates the table, and brings a file written before client versions or token cut-offs existed
/// up to date (every existing client at version 0, no cut-off). Safe to run on every open, by
/// several processes at once.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA).map_err(StoreError::backend)?;
    add_column(
        conn,
        "version",
        "version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0)",
    )?;
    add_column(conn, "tokens_not_before", "tokens_not_before INTEGER")
}

/// Adds the column `name` (defined by `definition`) unless the table has it.
fn add_column(conn: &Connection, name: &str, definition: &str) -> Result<(), StoreError> {
    if has_column(conn, name)? {
        return Ok(());
    }
    let altered = conn.execute_batch(&format!("ALTER TABLE clients ADD COLUMN {definition}"));
    // Another process may have added it between our check and our ALTER.
    if let Err(error) = altered
        && !has_column(conn, name)?
    {
        return Err(StoreError::backend(error));
    }
    Ok(())
}

fn has_column(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    conn.prepare("SELECT 1 FROM pragma_table_info('clients') WHERE name = ?1")
        .and_then(|mut stmt| stmt.exists(params![name]))
        .map_err(StoreError::backend)
}

impl SqliteStore {
    /// Runs an INSERT or UPDATE whose twelve parameters are the client's columns in [`COLUMNS`]
    /// order, after validating the client; returns the number of rows written.
    fn write_client(&self, sql: &str, client: &Client) -> Result<usize, StoreError> {
        validated(client)?;
        let c = to_columns(client)?;
        self.conn()
            .execute(
                sql,
                params![
                    client.client_id,
                    c.secrets,
                    client.access_level.as_str(),
                    client.labelpartner,
                    c.grant_types,
                    c.scopes,
                    client.access_token_ttl,
                    client.enabled,
                    client.created_at,
                    client.has_legacy_api_keys,
                    integer(client.version)?,
                    client.tokens_not_before
                ],
            )
            .map_err(StoreError::backend)
    }
}

impl SqliteStore {
    fn client_exists(&self, client_id: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT 1 FROM clients WHERE client_id = ?1")
            .and_then(|mut stmt| stmt.exists(params![client_id]))
            .map_err(StoreError::backend)
    }
}

/// A client as the columns hold it.
struct Columns {
    secrets: String,
    grant_types: String,
    scopes: String,
}

fn to_columns(client: &Client) -> Result<Columns, StoreError> {
    Ok(Columns {
        secrets: serde_json::to_string(&client.secrets).map_err(StoreError::backend)?,
        grant_types: client
            .allowed_grant_types
            .iter()
            .map(|g| g.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        scopes: client.allowed_scopes.join(" "),
    })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<Client, StoreError>> {
    let secrets: String = row.get(1)?;
    let access_level: String = row.get(2)?;
    let grant_types: String = row.get(4)?;
    let scopes: String = row.get(5)?;
    let client_id: String = row.get(0)?;
    let labelpartner: Option<String> = row.get(3)?;
    let access_token_ttl: i64 = row.get(6)?;
    let enabled: bool = row.get(7)?;
    let created_at: i64 = row.get(8)?;
    let has_legacy_api_keys: bool = row.get(9)?;
    let version = get_u64(row, 10)?;
    let tokens_not_before: Option<i64> = row.get(11)?;
    Ok((|| {
        let corrupt = |what: &str| corrupt_client(&client_id, what);
        checked_on_read(Client {
            secrets: serde_json::from_str::<Vec<StoredSecret>>(&secrets)
                .map_err(|_| corrupt("secrets"))?,
            access_level: access_level.parse().map_err(|_| corrupt("access_level"))?,
            allowed_grant_types: grant_types
                .split_whitespace()
                .map(str::parse::<GrantType>)
                .collect::<Result<_, _>>()
                .map_err(|_| corrupt("allowed_grant_types"))?,
            allowed_scopes: scopes.split_whitespace().map(String::from).collect(),
            client_id: client_id.clone(),
            labelpartner,
            access_token_ttl: u32::try_from(access_token_ttl)
                .map_err(|_| corrupt("access_token_ttl"))?,
            enabled,
            created_at,
            has_legacy_api_keys,
            version,
            tokens_not_before,
        })
    })())
}

#[async_trait]
impl ClientReader for SqliteStore {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(SELECT_ONE)
            .map_err(StoreError::backend)?;
        stmt.query_row(params![client_id], from_row)
            .optional()
            .map_err(StoreError::backend)?
            .transpose()
    }
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create(&self, client: &Client) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO clients (",
            columns!(),
            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (client_id) DO NOTHING"
        );
        match self.write_client(sql, client)? {
            0 => Err(StoreError::AlreadyExists),
            _ => Ok(()),
        }
    }

    async fn list(&self) -> Result<Vec<Client>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {COLUMNS} FROM clients ORDER BY client_id"))
            .map_err(StoreError::backend)?;
        let rows = stmt.query_map([], from_row).map_err(StoreError::backend)?;
        let mut clients = Vec::new();
        for row in rows {
            clients.push(row.map_err(StoreError::backend)??);
        }
        Ok(clients)
    }

    async fn update(&self, client: &Client) -> Result<(), StoreError> {
        let sql = "UPDATE clients SET secrets = ?2, access_level = ?3, labelpartner = ?4, \
                   allowed_grant_types = ?5, allowed_scopes = ?6, access_token_ttl = ?7, \
                   enabled = ?8, created_at = ?9, has_legacy_api_keys = ?10, version = ?11 + 1, \
                   tokens_not_before = ?12 WHERE client_id = ?1 AND version = ?11";
        match self.write_client(sql, client)? {
            0 if self.client_exists(&client.client_id)? => Err(StoreError::Conflict),
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
        let updated = self
            .conn()
            .execute(
                "UPDATE clients SET enabled = 0, version = version + 1 WHERE client_id = ?1",
                params![client_id],
            )
            .map_err(StoreError::backend)?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
