//! Sessions and refresh tokens in memory; one lock makes each operation atomic.

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::domain::{RefreshTokenRecord, SecretHash, Session};
use crate::store::{SessionStore, StoreError};

#[derive(Default)]
struct Sessions {
    sessions: HashMap<String, Session>,
    tokens: HashMap<[u8; 32], RefreshTokenRecord>,
}

#[derive(Default)]
pub struct MemorySessionStore {
    inner: Mutex<Sessions>,
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshTokenRecord,
    ) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.sessions.contains_key(&session.session_id)
            || inner.tokens.contains_key(&first.token_hash.0)
        {
            return Err(StoreError::AlreadyExists);
        }
        inner
            .sessions
            .insert(session.session_id.clone(), session.clone());
        inner.tokens.insert(first.token_hash.0, first.clone());
        Ok(())
    }

    async fn find_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Session)>, StoreError> {
        let inner = lock(&self.inner);
        Ok(inner.tokens.get(&token_hash.0).and_then(|record| {
            inner
                .sessions
                .get(&record.session_id)
                .map(|session| (record.clone(), session.clone()))
        }))
    }

    async fn rotate(
        &self,
        session_id: &str,
        presented: &SecretHash,
        next: &RefreshTokenRecord,
        next_expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.tokens.contains_key(&next.token_hash.0) {
            return Err(StoreError::AlreadyExists);
        }
        let session = inner
            .sessions
            .get_mut(session_id)
            .ok_or(StoreError::Conflict)?;
        if session.revoked_at.is_some() || !session.is_current(presented) {
            return Err(StoreError::Conflict);
        }
        session.current_token = next.token_hash;
        session.current_token_expires_at = next_expires_at;
        session.generation += 1;
        inner.tokens.insert(next.token_hash.0, next.clone());
        Ok(())
    }

    async fn revoke_session(&self, session_id: &str, now: i64) -> Result<(), StoreError> {
        if let Some(session) = lock(&self.inner).sessions.get_mut(session_id) {
            session.revoked_at.get_or_insert(now);
        }
        Ok(())
    }
}
