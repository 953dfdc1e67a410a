//! End users in the `users` table. Every mutation is one UPDATE, so concurrent writers (the
//! functions and `authctl` on one file) never lose each other's changes: the failed-login
//! counter in particular is incremented in SQL, never read, changed and written back.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{SqliteStore, get_u64, integer};
use crate::domain::{LoginFailures, PasswordHash, User};
use crate::store::{StoreError, UserAccounts, UserStore, validated_user};

/// `UNIQUE (labelpartner, email_normalized)` is the uniqueness rule of e-mails and the index of
/// both lookups by e-mail and listings.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY NOT NULL
        CHECK (length(user_id) = 32 AND user_id NOT GLOB '*[^0-9a-f]*'),
    labelpartner TEXT NOT NULL CHECK (labelpartner <> ''),
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL CHECK (email_normalized <> ''),
    password_hash TEXT NOT NULL,
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL,
    session_epoch INTEGER NOT NULL CHECK (session_epoch >= 0),
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins BETWEEN 0 AND 4294967295),
    last_failed_at INTEGER NOT NULL DEFAULT 0,
    tokens_not_before INTEGER,
    UNIQUE (labelpartner, email_normalized)
);
";

macro_rules! columns {
    () => {
        "user_id, labelpartner, email, email_normalized, password_hash, enabled, created_at, \
         password_changed_at, session_epoch, failed_logins, last_failed_at, tokens_not_before"
    };
}

/// The failure counter is a `u32`; it stops there rather than overflow the domain type.
const COUNT_ONE_FAILURE: &str = "UPDATE users \
     SET failed_logins = min(failed_logins + 1, 4294967295), last_failed_at = ?2 \
     WHERE user_id = ?1 RETURNING failed_logins, last_failed_at";

macro_rules! no_failures {
    () => {
        "failed_logins = 0, last_failed_at = 0"
    };
}

/// Creates the table, and adds the token cut-off to a file from before it existed (no cut-off).
/// Safe to run on every open, by several processes at once.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA).map_err(StoreError::backend)?;
    if has_cut_off_column(conn)? {
        return Ok(());
    }
    let altered = conn.execute_batch("ALTER TABLE users ADD COLUMN tokens_not_before INTEGER");
    // Another process may have added it between our check and our ALTER.
    if let Err(error) = altered
        && !has_cut_off_column(conn)?
    {
        return Err(StoreError::backend(error));
    }
    Ok(())
}

fn has_cut_off_column(conn: &Connection) -> Result<bool, StoreError> {
    conn.prepare("SELECT 1 FROM pragma_table_info('users') WHERE name = 'tokens_not_before'")
        .and_then(|mut stmt| stmt.exists([]))
        .map_err(StoreError::backend)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<User, StoreError>> {
    let user_id: String = row.get(0)?;
    let encoded_hash: String = row.get(4)?;
    // Re-parsed so that a row no adapter could have written (edited by hand, say) is a store
    // failure rather than a user whose password never verifies. The message names the user,
    // never the hash.
    let Ok(password_hash) = PasswordHash::parse(&encoded_hash) else {
        return Ok(Err(StoreError::Backend(format!(
            "user {user_id}: corrupt password_hash"
        ))));
    };
    Ok(Ok(User {
        user_id,
        labelpartner: row.get(1)?,
        email: row.get(2)?,
        password_hash,
        enabled: row.get(5)?,
        created_at: row.get(6)?,
        password_changed_at: row.get(7)?,
        session_epoch: get_u64(row, 8)?,
        login_failures: LoginFailures {
            count: row.get(9)?,
            last_failed_at: row.get(10)?,
        },
        tokens_not_before: row.get(11)?,
    }))
}

impl SqliteStore {
    fn query_user(
        &self,
        sql: &'static str,
        params: impl rusqlite::Params,
    ) -> Result<Option<User>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql).map_err(StoreError::backend)?;
        stmt.query_row(params, from_row)
            .optional()
            .map_err(StoreError::backend)?
            .transpose()
    }

    /// Runs an UPDATE of one user; [`StoreError::NotFound`] when it matched no row.
    fn update_user(
        &self,
        sql: &'static str,
        params: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        let updated = self
            .conn()
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params))
            .map_err(StoreError::backend)?;
        match updated {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    fn user_exists(&self, user_id: &str) -> Result<bool, StoreError> {
        self.conn()
            .prepare_cached("SELECT 1 FROM users WHERE user_id = ?1")
            .and_then(|mut stmt| stmt.exists(params![user_id]))
            .map_err(StoreError::backend)
    }
}

#[async_trait]
impl UserAccounts for SqliteStore {
    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        self.query_user(
            concat!("SELECT ", columns!(), " FROM users WHERE user_id = ?1"),
            params![user_id],
        )
    }

    async fn find_by_email(
        &self,
        labelpartner: &str,
        normalized_email: &str,
    ) -> Result<Option<User>, StoreError> {
        self.query_user(
            concat!(
                "SELECT ",
                columns!(),
                " FROM users WHERE labelpartner = ?1 AND email_normalized = ?2"
            ),
            params![labelpartner, normalized_email],
        )
    }

    async fn record_login_failure(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<LoginFailures, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(COUNT_ONE_FAILURE)
            .map_err(StoreError::backend)?;
        stmt.query_row(params![user_id, now], |row| {
            Ok(LoginFailures {
                count: row.get(0)?,
                last_failed_at: row.get(1)?,
            })
        })
        .optional()
        .map_err(StoreError::backend)?
        .ok_or(StoreError::NotFound)
    }

    async fn reset_login_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.update_user(
            concat!("UPDATE users SET ", no_failures!(), " WHERE user_id = ?1"),
            params![user_id],
        )
    }

    async fn upgrade_password_hash(
        &self,
        user_id: &str,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, StoreError> {
        let replaced = self
            .conn()
            .execute(
                "UPDATE users SET password_hash = ?3 WHERE user_id = ?1 AND password_hash = ?2",
                params![user_id, current.as_str(), upgraded.as_str()],
            )
            .map_err(StoreError::backend)?;
        // Users are never deleted, so a miss is either a changed hash or no such user.
        match replaced {
            0 if self.user_exists(user_id)? => Ok(false),
            0 => Err(StoreError::NotFound),
            _ => Ok(true),
        }
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        validated_user(user)?;
        let session_epoch = integer(user.session_epoch)?;
        // DO NOTHING covers both uniqueness rules: the user_id and the e-mail per labelpartner.
        let inserted = self
            .conn()
            .execute(
                concat!(
                    "INSERT INTO users (",
                    columns!(),
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING"
                ),
                params![
                    user.user_id,
                    user.labelpartner,
                    user.email,
                    user.normalized_email(),
                    user.password_hash.as_str(),
                    user.enabled,
                    user.created_at,
                    user.password_changed_at,
                    session_epoch,
                    user.login_failures.count,
                    user.login_failures.last_failed_at,
                    user.tokens_not_before,
                ],
            )
            .map_err(StoreError::backend)?;
        match inserted {
            0 => Err(StoreError::AlreadyExists),
            _ => Ok(()),
        }
    }

    async fn list_users(&self, labelpartner: &str) -> Result<Vec<User>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(concat!(
                "SELECT ",
                columns!(),
                " FROM users WHERE labelpartner = ?1 ORDER BY email_normalized"
            ))
            .map_err(StoreError::backend)?;
        let rows = stmt
            .query_map(params![labelpartner], from_row)
            .map_err(StoreError::backend)?;
        let mut users = Vec::new();
        for row in rows {
            users.push(row.map_err(StoreError::backend)??);
        }
        Ok(users)
    }

    async fn set_password(
        &self,
        user_id: &str,
        hash: &PasswordHash,
        now: i64,
    ) -> Result<(), StoreError> {
        self.update_user(
            concat!(
                "UPDATE users SET password_hash = ?2, password_changed_at = ?3, ",
                no_failures!(),
                ", session_epoch = session_epoch + 1 WHERE user_id = ?1"
            ),
            params![user_id, hash.as_str(), now],
        )
    }

    async fn set_enabled(&self, user_id: &str, enabled: bool) -> Result<(), StoreError> {
        self.update_user(
            "UPDATE users SET enabled = ?2, \
             session_epoch = session_epoch + (CASE WHEN ?2 THEN 0 ELSE 1 END) WHERE user_id = ?1",
            params![user_id, enabled],
        )
    }

    async fn revoke_sessions(&self, user_id: &str) -> Result<(), StoreError> {
        self.update_user(
            concat!(
                "UPDATE users SET session_epoch = session_epoch + 1, ",
                no_failures!(),
                " WHERE user_id = ?1"
            ),
            params![user_id],
        )
    }

    async fn unlock(&self, user_id: &str) -> Result<(), StoreError> {
        self.update_user(
            concat!("UPDATE users SET ", no_failures!(), " WHERE user_id = ?1"),
            params![user_id],
        )
    }

    async fn revoke_tokens(&self, user_id: &str, now: i64) -> Result<i64, StoreError> {
        self.conn()
            .prepare_cached(
                "UPDATE users SET tokens_not_before = max(coalesce(tokens_not_before, ?2), ?2) \
                 WHERE user_id = ?1 RETURNING tokens_not_before",
            )
            .and_then(|mut stmt| stmt.query_row(params![user_id, now], |row| row.get(0)))
            .optional()
            .map_err(StoreError::backend)?
            .ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    //! What the user ports promise is the conformance suite's (`shared/tests/stores.rs`); here,
    //! what only this file format needs: rows no adapter wrote.
    use super::*;
    use crate::testing::user;

    #[tokio::test]
    async fn a_corrupt_password_hash_is_a_store_error_not_a_user() {
        let store = SqliteStore::in_memory().unwrap();
        let ann = user("lp-1", "ann@example.org").build();
        store.create_user(&ann).await.unwrap();
        store
            .conn()
            .execute(
                "UPDATE users SET password_hash = 'plaintext!' WHERE user_id = ?1",
                params![ann.user_id],
            )
            .unwrap();
        let read = store.get_user(&ann.user_id).await;
        assert!(
            matches!(&read, Err(StoreError::Backend(m)) if !m.contains("plaintext")),
            "got {read:?}"
        );
        let listed = store.list_users("lp-1").await;
        assert!(matches!(listed, Err(StoreError::Backend(_))));
    }

    #[tokio::test]
    async fn the_schema_refuses_a_user_id_that_is_not_32_hex() {
        let store = SqliteStore::in_memory().unwrap();
        let ann = user("lp-1", "ann@example.org").build();
        store.create_user(&ann).await.unwrap();
        let bypass = store.conn().execute(
            "UPDATE users SET user_id = 'ABC' WHERE user_id = ?1",
            params![ann.user_id],
        );
        assert!(bypass.is_err());
    }

    #[tokio::test]
    async fn a_table_from_before_token_cut_offs_is_migrated_and_reads_none() {
        let store = SqliteStore::in_memory().unwrap();
        let ann = user("lp-1", "ann@example.org").build();
        store.create_user(&ann).await.unwrap();
        store
            .conn()
            .execute_batch("ALTER TABLE users DROP COLUMN tokens_not_before")
            .unwrap();
        migrate(&store.conn()).unwrap();
        migrate(&store.conn()).unwrap();
        assert_eq!(
            store.get_user(&ann.user_id).await.unwrap(),
            Some(ann.clone())
        );
        assert_eq!(store.revoke_tokens(&ann.user_id, 5).await.unwrap(), 5);
    }
}
