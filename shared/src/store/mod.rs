//! Storage ports and their adapters.
//!
//! Ports are sized to their callers: the token function reads clients ([`ClientReader`]) and
//! removes legacy API keys ([`ApiKeyRemover`]); the authorizer looks keys up
//! ([`ApiKeyReader`]); the CLI manages both ([`ClientStore`], [`ApiKeyStore`]). The user-token
//! function signs users in ([`UserAccounts`]) and keeps their sessions ([`SessionStore`]); the
//! CLI manages users ([`UserStore`]). Each backend
//! folder implements every port it serves: `sqlite` (the embedded default, one file; feature
//! `sqlite`), [`dynamodb`] (AWS) and [`memory`] (tests of the logic above the ports).

use async_trait::async_trait;

use crate::domain::{
    Client, LegacyApiKey, LoginFailures, PasswordHash, RefreshTokenRecord, SecretHash, Session,
    User,
};

pub mod dynamodb;
pub mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a record with that id already exists")]
    AlreadyExists,
    #[error("no record with that id")]
    NotFound,
    #[error("the record is invalid: {0}")]
    Invalid(String),
    /// A conditional write found the record changed since it was read.
    #[error("the record changed concurrently")]
    Conflict,
    #[error("storage backend failed: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(error: impl std::fmt::Display) -> Self {
        StoreError::Backend(error.to_string())
    }
}

#[async_trait]
pub trait ClientReader: Send + Sync {
    async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
}

#[async_trait]
pub trait ClientStore: ClientReader {
    /// Creates a client; never overwrites an existing client_id ([`StoreError::AlreadyExists`]).
    async fn create(&self, client: &Client) -> Result<(), StoreError>;
    async fn list(&self) -> Result<Vec<Client>, StoreError>;
    /// Replaces an existing client, stored as `client.version + 1`, only if the stored version is
    /// still `client.version` (the version read): [`StoreError::Conflict`] when another write
    /// came between, [`StoreError::NotFound`] if there is no such client. Callers re-read and
    /// re-apply their change (see [`crate::admin::clients::change_client`]).
    async fn update(&self, client: &Client) -> Result<(), StoreError>;
    /// Disables the client in one atomic write that also increments its version, so that an
    /// update based on an earlier read cannot enable it again.
    async fn disable(&self, client_id: &str) -> Result<(), StoreError>;
}

/// What the authorizer needs of the legacy API keys: one lookup by hash.
#[async_trait]
pub trait ApiKeyReader: Send + Sync {
    async fn find(&self, key_sha256: &SecretHash) -> Result<Option<LegacyApiKey>, StoreError>;
}

/// What the token function needs: removing a client's keys once it uses OAuth.
#[async_trait]
pub trait ApiKeyRemover: Send + Sync {
    /// Deletes every key of a client, then clears the client's `has_legacy_api_keys`; returns how
    /// many keys were deleted. The flag is cleared only once the keys are gone, and only if no
    /// key was imported meanwhile, so a failure or a racing import leaves it set and the next
    /// call retries. Clearing the flag increments the client's version.
    async fn remove_for_client(&self, client_id: &str) -> Result<usize, StoreError>;
}

/// What the CLI needs: the whole life of the keys.
#[async_trait]
pub trait ApiKeyStore: ApiKeyReader + ApiKeyRemover {
    /// Stores the key and marks its client as holding legacy keys (incrementing its version),
    /// both or neither.
    /// [`StoreError::NotFound`] when the client does not exist, [`StoreError::AlreadyExists`]
    /// when the same key is already stored (for any client).
    async fn import_key(&self, key: &LegacyApiKey) -> Result<(), StoreError>;

    /// Every key, or the keys of one client, ordered by client then hash.
    async fn list_keys(&self, client_id: Option<&str>) -> Result<Vec<LegacyApiKey>, StoreError>;

    /// Deletes one key ([`StoreError::NotFound`] when it is not stored).
    async fn revoke_key(&self, key_sha256: &SecretHash) -> Result<(), StoreError>;
}

/// What signing a user in needs: the lookups, the failed-login counter and the re-hash of an
/// imported or outdated password hash.
#[async_trait]
pub trait UserAccounts: Send + Sync {
    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError>;

    /// The user with this e-mail in this labelpartner; `normalized_email` is
    /// [`crate::domain::user::normalize_email`] of the address. Never a user of another
    /// labelpartner.
    async fn find_by_email(
        &self,
        labelpartner: &str,
        normalized_email: &str,
    ) -> Result<Option<User>, StoreError>;

    /// Adds one failure to the user's consecutive failures and stamps it `now`, atomically (no
    /// read-modify-write: concurrent failures all count); returns the new state.
    /// [`StoreError::NotFound`] when there is no such user.
    async fn record_login_failure(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<LoginFailures, StoreError>;

    /// Resets the consecutive failures after a successful sign-in.
    async fn reset_login_failures(&self, user_id: &str) -> Result<(), StoreError>;

    /// Replaces the password hash with an equivalent one (a re-hash on sign-in) only if it is
    /// still `current`: a password set meanwhile wins. Ok(false) when it was not replaced.
    async fn upgrade_password_hash(
        &self,
        user_id: &str,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, StoreError>;
}

/// What the CLI needs: the whole life of a user.
#[async_trait]
pub trait UserStore: UserAccounts {
    /// Creates a user. [`StoreError::AlreadyExists`] when the labelpartner already has a user
    /// with that e-mail (compared normalized) or the user_id is taken; then nothing is written.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;

    /// The users of a labelpartner, ordered by normalized e-mail.
    async fn list_users(&self, labelpartner: &str) -> Result<Vec<User>, StoreError>;

    /// Sets a new password hash and `password_changed_at`, resets the failures and ends every
    /// session (bumps the session epoch), in one write. [`StoreError::NotFound`] when absent.
    async fn set_password(
        &self,
        user_id: &str,
        hash: &PasswordHash,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Enables or disables the user; disabling also ends every session (bumps the epoch).
    async fn set_enabled(&self, user_id: &str, enabled: bool) -> Result<(), StoreError>;

    /// Ends every session of the user (bumps the epoch) and clears a lockout; the account
    /// stays usable with its password.
    async fn revoke_sessions(&self, user_id: &str) -> Result<(), StoreError>;

    /// Clears the consecutive failures, lifting a lockout.
    async fn unlock(&self, user_id: &str) -> Result<(), StoreError>;

    /// Makes the user's access tokens issued before `now` invalid: sets the cut-off to `now`,
    /// or keeps a later one, in one atomic write. Returns the cut-off in force.
    /// [`StoreError::NotFound`] when absent.
    async fn revoke_tokens(&self, user_id: &str, now: i64) -> Result<i64, StoreError>;
}

/// Sessions and their refresh tokens.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session with its first token, both or neither.
    async fn create_session(
        &self,
        session: &Session,
        first: &RefreshTokenRecord,
    ) -> Result<(), StoreError>;

    /// The token with this hash and its session (read consistently: a rotation that has
    /// returned is visible). `None` when no such token is stored.
    async fn find_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Session)>, StoreError>;

    /// Rotation: if, at the moment of the write, `presented` is still the session's current
    /// token and the session is not revoked, stores `next`, makes it current with
    /// `next_expires_at`, and increments the generation, all or nothing. Otherwise writes
    /// nothing and answers [`StoreError::Conflict`]: of concurrent rotations of one token,
    /// exactly one succeeds.
    async fn rotate(
        &self,
        session_id: &str,
        presented: &SecretHash,
        next: &RefreshTokenRecord,
        next_expires_at: i64,
    ) -> Result<(), StoreError>;

    /// Revokes the session, and so every token of its family, in one write. Idempotent;
    /// revoking an unknown session is Ok.
    async fn revoke_session(&self, session_id: &str, now: i64) -> Result<(), StoreError>;
}

/// Every adapter checks a client before writing it, so no half-valid record is ever stored.
fn validated(client: &Client) -> Result<(), StoreError> {
    client
        .validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// How many times a store's own read-modify-write (clearing the legacy-key flag) re-reads after
/// a concurrent write before it leaves the work to the next call.
pub(crate) const MAX_FLAG_ATTEMPTS: usize = 3;

/// Every adapter checks a client it read as it checks one it writes: a record that breaks an
/// invariant (a lifetime out of bounds, a secret without a readable expiry) was corrupted or
/// edited by hand, and using it would fail open. Reading it is an error (the request gets a
/// 500) and is logged with the client id and the broken rule, never a secret or hash.
fn checked_on_read(client: Client) -> Result<Client, StoreError> {
    match client.validate() {
        Ok(()) => Ok(client),
        Err(e) => Err(corrupt_client(&client.client_id, &e.to_string())),
    }
}

/// The error for a stored client that cannot be used, logged once here for every adapter.
/// `what` names the attribute or the broken rule, never a stored value of a secret.
fn corrupt_client(client_id: &str, what: &str) -> StoreError {
    let shown: String = client_id.chars().take(64).collect();
    tracing::error!(client_id = ?shown, problem = what, "stored client is corrupt; refusing it");
    StoreError::Backend(format!("client {shown:?}: corrupt record: {what}"))
}

/// Keys in the order every adapter lists them: by client, then by hash.
fn sort_keys(keys: &mut [LegacyApiKey]) {
    keys.sort_by(|a, b| (&a.client_id, a.key_sha256.0).cmp(&(&b.client_id, b.key_sha256.0)));
}

/// Every adapter checks a user before writing it.
fn validated_user(user: &User) -> Result<(), StoreError> {
    user.validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}
