//! The embedded store: one SQLite file, for local runs and the CLI. One connection serves every
//! port (clients, legacy API keys, users and their sessions), so the functions and `authctl`
//! share one file.

use rusqlite::Connection;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::store::StoreError;

mod api_keys;
mod clients;
mod sessions;
mod users;

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file. WAL and a busy timeout let the running
    /// functions and the CLI share the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
        }
        let conn = Connection::open(path).map_err(StoreError::backend)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(StoreError::backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(StoreError::backend)?;
        Self::with_connection(conn)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::with_connection(Connection::open_in_memory().map_err(StoreError::backend)?)
    }

    fn with_connection(conn: Connection) -> Result<Self, StoreError> {
        // A refresh token's row must not outlive its session's (the bundled SQLite enables
        // foreign keys by default; a system one may not).
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(StoreError::backend)?;
        clients::migrate(&conn)?;
        api_keys::migrate(&conn)?;
        users::migrate(&conn)?;
        sessions::migrate(&conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// SQLite integers are i64; epochs and generations are u64 that no real count comes near
/// i64::MAX of, and the schema's CHECKs keep them non-negative.
fn integer(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("{value} is out of range")))
}

fn get_u64(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    u64::try_from(value).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Integer, e.into())
    })
}
