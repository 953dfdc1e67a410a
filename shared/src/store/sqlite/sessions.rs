//! Sessions and every refresh token they ever issued, in `sessions` and `refresh_tokens`.
//!
//! Rotation is one IMMEDIATE transaction: a conditional UPDATE of the session that matches only
//! while the presented token is current and the session unrevoked, then the INSERT of the next
//! token. A rotation that lost a race matches no row and writes nothing; the write lock taken at
//! BEGIN also serialises rotations from other processes on the same file.
//!
//! SQLite has no TTL: creating a session deletes a few sessions long expired (their tokens go
//! with them, by the foreign key), so the file stays bounded by the live sessions.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{SqliteStore, get_u64, integer};
use crate::domain::{RefreshTokenRecord, SecretHash, Session};
use crate::store::{SessionStore, StoreError};

/// Hashes are stored as 64 lowercase hex characters ([`SecretHash::to_hex`]).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY NOT NULL CHECK (session_id <> ''),
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    labelpartner TEXT NOT NULL,
    scopes TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    user_epoch INTEGER NOT NULL CHECK (user_epoch >= 0),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    current_token TEXT NOT NULL CHECK (length(current_token) = 64),
    current_token_expires_at INTEGER NOT NULL,
    generation INTEGER NOT NULL CHECK (generation >= 0),
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL CHECK (length(token_hash) = 64),
    session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_session ON refresh_tokens (session_id);
";

/// How long after its end a session is kept before a sign-in may delete it. Until then a token
/// of it is still recognised (and refused as expired) rather than unknown, as with DynamoDB,
/// whose TTL deletes within days of the expiry.
const EXPIRED_SESSION_GRACE: i64 = 86_400;

/// At most this many expired sessions are deleted per sign-in, so the clean-up never makes one
/// sign-in slow; each sign-in adds one session, so deleting up to this many keeps up.
const EXPIRED_SESSIONS_PER_SIGN_IN: i64 = 16;

macro_rules! session_columns {
    () => {
        "s.session_id, s.user_id, s.client_id, s.labelpartner, s.scopes, s.auth_time, \
         s.user_epoch, s.created_at, s.expires_at, s.current_token, s.current_token_expires_at, \
         s.generation, s.revoked_at"
    };
}

/// A token and its session in one read, so the pair is consistent.
const FIND_TOKEN: &str = concat!(
    "SELECT t.token_hash, t.session_id, t.issued_at, t.expires_at, ",
    session_columns!(),
    " FROM refresh_tokens t JOIN sessions s ON s.session_id = t.session_id WHERE t.token_hash = ?1"
);

const INSERT_TOKEN: &str = "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, \
     expires_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING";

pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA).map_err(StoreError::backend)
}

fn stored_hash(hex: &str, session_id: &str, what: &str) -> Result<SecretHash, StoreError> {
    SecretHash::from_hex(hex)
        .ok_or_else(|| StoreError::Backend(format!("session {session_id}: corrupt {what}")))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<(RefreshTokenRecord, Session), StoreError>> {
    let session_id: String = row.get(4)?;
    let token_hash: String = row.get(0)?;
    let current_token: String = row.get(13)?;
    let scopes: String = row.get(8)?;
    let (token_hash, current_token) = match (
        stored_hash(&token_hash, &session_id, "refresh token hash"),
        stored_hash(&current_token, &session_id, "current token hash"),
    ) {
        (Ok(token), Ok(current)) => (token, current),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let record = RefreshTokenRecord {
        token_hash,
        session_id: row.get(1)?,
        issued_at: row.get(2)?,
        expires_at: row.get(3)?,
    };
    let session = Session {
        session_id,
        user_id: row.get(5)?,
        client_id: row.get(6)?,
        labelpartner: row.get(7)?,
        scopes: scopes.split_whitespace().map(String::from).collect(),
        auth_time: row.get(9)?,
        user_epoch: get_u64(row, 10)?,
        created_at: row.get(11)?,
        expires_at: row.get(12)?,
        current_token,
        current_token_expires_at: row.get(14)?,
        generation: get_u64(row, 15)?,
        revoked_at: row.get(16)?,
    };
    Ok(Ok((record, session)))
}

fn insert_token(
    tx: &rusqlite::Transaction<'_>,
    record: &RefreshTokenRecord,
) -> Result<(), StoreError> {
    let inserted = tx
        .prepare_cached(INSERT_TOKEN)
        .and_then(|mut stmt| {
            stmt.execute(params![
                record.token_hash.to_hex(),
                record.session_id,
                record.issued_at,
                record.expires_at
            ])
        })
        .map_err(StoreError::backend)?;
    match inserted {
        0 => Err(StoreError::AlreadyExists),
        _ => Ok(()),
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshTokenRecord,
    ) -> Result<(), StoreError> {
        let user_epoch = integer(session.user_epoch)?;
        let generation = integer(session.generation)?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend)?;
        // The session is being created now, so its created_at is this process's clock.
        tx.prepare_cached(
            "DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM sessions \
             WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                session.created_at.saturating_sub(EXPIRED_SESSION_GRACE),
                EXPIRED_SESSIONS_PER_SIGN_IN
            ])
        })
        .map_err(StoreError::backend)?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO sessions (session_id, user_id, client_id, labelpartner, scopes, \
                 auth_time, user_epoch, created_at, expires_at, current_token, \
                 current_token_expires_at, generation, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                 ON CONFLICT DO NOTHING",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    session.session_id,
                    session.user_id,
                    session.client_id,
                    session.labelpartner,
                    session.scopes.join(" "),
                    session.auth_time,
                    user_epoch,
                    session.created_at,
                    session.expires_at,
                    session.current_token.to_hex(),
                    session.current_token_expires_at,
                    generation,
                    session.revoked_at
                ])
            })
            .map_err(StoreError::backend)?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists);
        }
        // An error returns before the commit: dropping the transaction rolls the session back.
        insert_token(&tx, first)?;
        tx.commit().map_err(StoreError::backend)
    }

    async fn find_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Session)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(FIND_TOKEN)
            .map_err(StoreError::backend)?;
        stmt.query_row(params![token_hash.to_hex()], from_row)
            .optional()
            .map_err(StoreError::backend)?
            .transpose()
    }

    async fn rotate(
        &self,
        session_id: &str,
        presented: &SecretHash,
        next: &RefreshTokenRecord,
        next_expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::backend)?;
        let rotated = tx
            .prepare_cached(
                "UPDATE sessions SET current_token = ?3, current_token_expires_at = ?4, \
                 generation = generation + 1 \
                 WHERE session_id = ?1 AND current_token = ?2 AND revoked_at IS NULL",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    session_id,
                    presented.to_hex(),
                    next.token_hash.to_hex(),
                    next_expires_at
                ])
            })
            .map_err(StoreError::backend)?;
        if rotated == 0 {
            return Err(StoreError::Conflict);
        }
        insert_token(&tx, next)?;
        tx.commit().map_err(StoreError::backend)
    }

    async fn revoke_session(&self, session_id: &str, now: i64) -> Result<(), StoreError> {
        // The first revocation's time stands; later ones and unknown ids change nothing.
        self.conn()
            .prepare_cached(
                "UPDATE sessions SET revoked_at = ?2 WHERE session_id = ?1 AND revoked_at IS NULL",
            )
            .and_then(|mut stmt| stmt.execute(params![session_id, now]))
            .map_err(StoreError::backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! What the session port promises is the conformance suites' (`shared/tests/stores.rs`);
    //! here, what only this file format needs: the clean-up SQLite's missing TTL asks for, and
    //! rotations racing from two processes on one file.
    use super::*;
    use crate::domain::RefreshToken;
    use crate::testing::{started_session, user};
    use std::sync::Arc;

    const DAY: i64 = 86_400;

    /// A stored session of a fresh user started at `now`, and its first token.
    async fn stored_session(store: &SqliteStore, now: i64) -> (Session, RefreshToken) {
        let ann = user("lp-1", "ann@example.org").build();
        let (session, first, token) = started_session(&ann, "app", &["profile"], now);
        store.create_session(&session, &first).await.unwrap();
        (session, token)
    }

    fn count(store: &SqliteStore, table: &str) -> i64 {
        store
            .conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[tokio::test]
    async fn a_sign_in_deletes_sessions_a_day_past_their_end_with_their_tokens() {
        let store = SqliteStore::in_memory().unwrap();
        let (old, old_token) = stored_session(&store, 0).await;
        let next = old.record_for(&RefreshToken::generate().unwrap(), 10);
        store
            .rotate(&old.session_id, &old_token.hash(), &next, old.expires_at)
            .await
            .unwrap();
        let (just_ended, just_ended_token) = stored_session(&store, DAY).await;

        // The second session ended less than a day ago; the first, more.
        stored_session(&store, just_ended.expires_at + DAY - 1).await;

        assert_eq!(store.find_token(&old_token.hash()).await.unwrap(), None);
        assert_eq!(store.find_token(&next.token_hash).await.unwrap(), None);
        assert!(
            store
                .find_token(&just_ended_token.hash())
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(count(&store, "sessions"), 2);
        assert_eq!(count(&store, "refresh_tokens"), 2);
    }

    #[tokio::test]
    async fn one_sign_in_deletes_a_bounded_number_of_expired_sessions() {
        let store = SqliteStore::in_memory().unwrap();
        for _ in 0..EXPIRED_SESSIONS_PER_SIGN_IN + 3 {
            stored_session(&store, 0).await;
        }
        stored_session(&store, 1_000 * DAY).await;
        assert_eq!(count(&store, "sessions"), 4);
    }

    /// The functions and `authctl` are separate processes: two stores on one file stand for them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn rotations_racing_through_two_stores_on_one_file_let_exactly_one_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite");
        let stores = [
            Arc::new(SqliteStore::open(&path).unwrap()),
            Arc::new(SqliteStore::open(&path).unwrap()),
        ];
        let (session, token) = stored_session(&stores[0], 0).await;
        let mut racers = tokio::task::JoinSet::new();
        for i in 0..20 {
            let store = stores[i % 2].clone();
            let session = session.clone();
            let presented = token.hash();
            racers.spawn(async move {
                let next = session.record_for(&RefreshToken::generate().unwrap(), 1);
                store
                    .rotate(&session.session_id, &presented, &next, 100)
                    .await
            });
        }
        let results = racers.join_all().await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        let lost = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict)))
            .count();
        assert_eq!((won, lost), (1, 19), "{results:?}");
        assert_eq!(count(&stores[1], "refresh_tokens"), 2);
    }
}
