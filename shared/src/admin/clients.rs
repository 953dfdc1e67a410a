//! Operator actions on clients: registration with generated credentials, secret rotation, and
//! the read-modify-write that stores a change without undoing a concurrent one. The CLI prints
//! what these return; the plaintext secret exists only in that output.

use crate::domain::client::{
    AccessLevel, Client, ClientError, DEFAULT_ACCESS_TOKEN_TTL, GrantType, StoredSecret,
};
use crate::domain::secret::{
    CredentialError, generate_client_id, generate_client_secret, hash_secret,
};
use crate::store::{ClientStore, StoreError};

/// How many times [`change_client`] re-reads and re-applies a change that lost a race with
/// another write before it gives up. Operator actions are rare: losing three times in a row
/// means something keeps writing the client, which an operator should look at.
pub const MAX_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no client {0:?}")]
    NotFound(String),
    #[error("client {0:?} kept changing concurrently; nothing was written, try again")]
    Contended(String),
    #[error(transparent)]
    Invalid(#[from] ClientError),
    #[error(transparent)]
    Store(StoreError),
}

/// Reads the client, applies `change` to it and writes the result if it differs, conditional
/// on the version read; when another write came between, reads again and re-applies (at most
/// [`MAX_ATTEMPTS`] times). Returns the client as stored and what `change` returned with it.
/// `change` may run more than once and must derive its result from the client it is given.
pub async fn change_client<T>(
    store: &dyn ClientStore,
    client_id: &str,
    mut change: impl FnMut(Client) -> Result<(Client, T), ClientError>,
) -> Result<(Client, T), ChangeError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = store
            .get(client_id)
            .await
            .map_err(ChangeError::Store)?
            .ok_or_else(|| ChangeError::NotFound(client_id.to_string()))?;
        let (changed, outcome) = change(current.clone())?;
        if changed == current {
            return Ok((current, outcome));
        }
        match store.update(&changed).await {
            Ok(()) => {
                let stored = Client {
                    version: changed.version + 1,
                    ..changed
                };
                return Ok((stored, outcome));
            }
            Err(StoreError::Conflict) => continue,
            Err(StoreError::NotFound) => return Err(ChangeError::NotFound(client_id.to_string())),
            Err(e) => return Err(ChangeError::Store(e)),
        }
    }
    Err(ChangeError::Contended(client_id.to_string()))
}

/// Enables the client again (a no-op when it is enabled).
pub async fn enable(store: &dyn ClientStore, client_id: &str) -> Result<Client, ChangeError> {
    let (client, ()) = change_client(store, client_id, |client| {
        Ok((
            Client {
                enabled: true,
                ..client
            },
            (),
        ))
    })
    .await?;
    Ok(client)
}

/// Makes every access token of the client issued before `now` invalid (the authorizer refuses
/// a token whose `iat` is earlier than the cut-off); tokens issued from `now` on pass. Never
/// moves an existing cut-off back. Returns the client as stored.
pub async fn revoke_tokens(
    store: &dyn ClientStore,
    client_id: &str,
    now: i64,
) -> Result<Client, ChangeError> {
    let (client, ()) = change_client(store, client_id, |client| {
        let cut_off = client
            .tokens_not_before
            .map_or(now, |earlier| earlier.max(now));
        Ok((
            Client {
                tokens_not_before: Some(cut_off),
                ..client
            },
            (),
        ))
    })
    .await?;
    Ok(client)
}

/// Rotates the stored client's secret (see [`rotate_secret`]) without undoing a concurrent
/// change such as a `disable`.
pub async fn rotate_stored_secret(
    store: &dyn ClientStore,
    client_id: &str,
    now: i64,
    overlap_seconds: i64,
) -> Result<IssuedCredentials, ChangeError> {
    let (client, client_secret) = change_client(store, client_id, |client| {
        let issued = rotate_secret(&client, now, overlap_seconds)?;
        Ok((issued.client, issued.client_secret))
    })
    .await?;
    Ok(IssuedCredentials {
        client,
        client_secret,
    })
}

#[derive(Debug, Clone)]
pub struct NewClient {
    /// An operator-chosen id, or `None` for a generated 24-character one.
    pub client_id: Option<String>,
    pub access_level: AccessLevel,
    pub labelpartner: Option<String>,
    pub allowed_scopes: Vec<String>,
    pub allowed_grant_types: Vec<GrantType>,
    pub access_token_ttl: Option<u32>,
}

impl NewClient {
    /// A labelpartner client of `labelpartner` with a generated id, the client_credentials
    /// grant, no scopes and the default token lifetime.
    pub fn labelpartner(labelpartner: &str) -> Self {
        NewClient {
            client_id: None,
            access_level: AccessLevel::Labelpartner,
            labelpartner: Some(labelpartner.to_string()),
            allowed_scopes: Vec::new(),
            allowed_grant_types: Vec::new(),
            access_token_ttl: None,
        }
    }

    /// An admin client with a generated id, the client_credentials grant, no scopes and the
    /// default token lifetime.
    pub fn admin() -> Self {
        NewClient {
            access_level: AccessLevel::Admin,
            labelpartner: None,
            ..Self::labelpartner("")
        }
    }

    pub fn with_client_id(mut self, client_id: &str) -> Self {
        self.client_id = Some(client_id.to_string());
        self
    }

    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.allowed_scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_grants(mut self, grants: &[GrantType]) -> Self {
        self.allowed_grant_types = grants.to_vec();
        self
    }

    pub fn with_ttl(mut self, seconds: u32) -> Self {
        self.access_token_ttl = Some(seconds);
        self
    }
}

/// A client and the one copy of its new secret.
pub struct IssuedCredentials {
    pub client: Client,
    pub client_secret: String,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn rng_failed(e: CredentialError) -> ClientError {
    ClientError::Invalid(e.to_string())
}

pub fn register(new: NewClient, now: i64) -> Result<IssuedCredentials, ClientError> {
    let client_id = match new.client_id {
        Some(id) => id,
        None => generate_client_id().map_err(rng_failed)?,
    };
    let client_secret = generate_client_secret().map_err(rng_failed)?;
    let grant_types = if new.allowed_grant_types.is_empty() {
        vec![GrantType::ClientCredentials]
    } else {
        new.allowed_grant_types
    };
    let client = Client {
        client_id,
        secrets: vec![StoredSecret {
            hash: hash_secret(&client_secret),
            expires_at: None,
        }],
        access_level: new.access_level,
        labelpartner: new.labelpartner,
        allowed_grant_types: grant_types,
        allowed_scopes: new.allowed_scopes,
        access_token_ttl: new.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL),
        enabled: true,
        created_at: now,
        has_legacy_api_keys: false,
        version: 0,
        tokens_not_before: None,
    };
    client.validate()?;
    Ok(IssuedCredentials {
        client,
        client_secret,
    })
}

/// Adds a new secret; the secret in use keeps verifying for `overlap_seconds` so that callers
/// can switch without an outage. Secrets already on their way out are dropped, so a client never
/// holds more than two.
pub fn rotate_secret(
    client: &Client,
    now: i64,
    overlap_seconds: i64,
) -> Result<IssuedCredentials, ClientError> {
    let client_secret = generate_client_secret().map_err(rng_failed)?;
    let mut secrets: Vec<StoredSecret> = client
        .secrets
        .iter()
        .filter(|s| s.expires_at.is_none())
        .take(1)
        .filter(|_| overlap_seconds > 0)
        .map(|s| StoredSecret {
            hash: s.hash,
            expires_at: Some(now + overlap_seconds),
        })
        .collect();
    secrets.push(StoredSecret {
        hash: hash_secret(&client_secret),
        expires_at: None,
    });
    let rotated = Client {
        secrets,
        ..client.clone()
    };
    rotated.validate()?;
    Ok(IssuedCredentials {
        client: rotated,
        client_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client_auth::secret_matches;
    use crate::store::ClientReader;
    use crate::store::memory::MemoryClientStore;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A client store where an operator disables the client between the first `racing_writes`
    /// reads and their writes: the interleaving `change_client` must survive.
    struct DisabledInBetween {
        inner: MemoryClientStore,
        racing_writes: AtomicUsize,
    }

    impl DisabledInBetween {
        async fn with(client: &Client, racing_writes: usize) -> Self {
            let inner = MemoryClientStore::default();
            inner.create(client).await.unwrap();
            DisabledInBetween {
                inner,
                racing_writes: AtomicUsize::new(racing_writes),
            }
        }
    }

    #[async_trait]
    impl ClientReader for DisabledInBetween {
        async fn get(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
            self.inner.get(client_id).await
        }
    }

    #[async_trait]
    impl ClientStore for DisabledInBetween {
        async fn create(&self, client: &Client) -> Result<(), StoreError> {
            self.inner.create(client).await
        }
        async fn list(&self) -> Result<Vec<Client>, StoreError> {
            self.inner.list().await
        }
        async fn update(&self, client: &Client) -> Result<(), StoreError> {
            let racing = self
                .racing_writes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if racing {
                self.inner.disable(&client.client_id).await?;
            }
            self.inner.update(client).await
        }
        async fn disable(&self, client_id: &str) -> Result<(), StoreError> {
            self.inner.disable(client_id).await
        }
    }

    #[tokio::test]
    async fn a_rotation_racing_a_disable_is_reapplied_and_the_client_stays_disabled() {
        let issued = register(labelpartner().with_client_id("raced"), 0).unwrap();
        let store = DisabledInBetween::with(&issued.client, 1).await;
        let rotated = rotate_stored_secret(&store, "raced", 10, 0).await.unwrap();
        let stored = store.get("raced").await.unwrap().unwrap();
        assert_eq!(stored, rotated.client);
        assert!(!stored.enabled, "the rotation undid the disable");
        assert!(secret_matches(&stored, &rotated.client_secret, 10));
        assert!(!secret_matches(&stored, &issued.client_secret, 10));
    }

    #[tokio::test]
    async fn a_change_that_keeps_losing_gives_up_and_says_so() {
        let issued = register(labelpartner().with_client_id("contended"), 0).unwrap();
        let store = DisabledInBetween::with(&issued.client, MAX_ATTEMPTS).await;
        let result = rotate_stored_secret(&store, "contended", 10, 0).await;
        assert!(
            matches!(result, Err(ChangeError::Contended(ref id)) if id == "contended"),
            "expected Contended, got {result:?}"
        );
        let stored = store.get("contended").await.unwrap().unwrap();
        assert_eq!(stored.secrets, issued.client.secrets, "nothing was written");
    }

    #[tokio::test]
    async fn enabling_an_unknown_client_is_not_found_and_an_enabled_one_is_not_rewritten() {
        let store = MemoryClientStore::default();
        assert!(matches!(
            enable(&store, "nobody").await,
            Err(ChangeError::NotFound(_))
        ));
        let issued = register(labelpartner().with_client_id("enabled-one"), 0).unwrap();
        store.create(&issued.client).await.unwrap();
        assert_eq!(enable(&store, "enabled-one").await.unwrap(), issued.client);
        assert_eq!(store.get("enabled-one").await.unwrap().unwrap().version, 0);
    }

    fn labelpartner() -> NewClient {
        NewClient::labelpartner("lp-7")
    }

    #[test]
    fn registration_generates_reference_format_credentials() {
        let issued = register(labelpartner(), 10).unwrap();
        assert_eq!(issued.client.client_id.len(), 24);
        assert_eq!(issued.client_secret.len(), 50);
        assert_eq!(issued.client.access_token_ttl, 3600);
        assert_eq!(
            issued.client.allowed_grant_types,
            vec![GrantType::ClientCredentials]
        );
        assert!(secret_matches(&issued.client, &issued.client_secret, 10));
    }

    #[test]
    fn registration_validates_the_client() {
        let bad = NewClient {
            labelpartner: None,
            ..labelpartner()
        };
        assert!(register(bad, 0).is_err());
        let bad_id = labelpartner().with_client_id("no:colons");
        assert!(register(bad_id, 0).is_err());
    }

    #[test]
    fn both_secrets_verify_during_the_overlap_and_only_the_new_one_after() {
        let issued = register(labelpartner(), 0).unwrap();
        let rotated = rotate_secret(&issued.client, 100, 50).unwrap();
        assert!(secret_matches(&rotated.client, &issued.client_secret, 149));
        assert!(secret_matches(&rotated.client, &rotated.client_secret, 149));
        assert!(!secret_matches(&rotated.client, &issued.client_secret, 150));
        assert!(secret_matches(&rotated.client, &rotated.client_secret, 150));
    }

    #[test]
    fn a_second_rotation_drops_the_oldest_secret() {
        let issued = register(labelpartner(), 0).unwrap();
        let first = rotate_secret(&issued.client, 10, 1000).unwrap();
        let second = rotate_secret(&first.client, 20, 1000).unwrap();
        assert_eq!(second.client.secrets.len(), 2);
        assert!(!secret_matches(&second.client, &issued.client_secret, 21));
        assert!(secret_matches(&second.client, &first.client_secret, 21));
    }

    #[test]
    fn rotation_without_overlap_revokes_the_old_secret_at_once() {
        let issued = register(labelpartner(), 0).unwrap();
        let rotated = rotate_secret(&issued.client, 10, 0).unwrap();
        assert_eq!(rotated.client.secrets.len(), 1);
        assert!(!secret_matches(&rotated.client, &issued.client_secret, 10));
    }
}
