//! Clients as tests need them: a builder with the common defaults, and registration through the
//! operator path when a test needs the plaintext secret.

use crate::admin::clients::{IssuedCredentials, NewClient, register};
use crate::domain::client::DEFAULT_ACCESS_TOKEN_TTL;
use crate::domain::{AccessLevel, Client, GrantType, StoredSecret, hash_secret};
use crate::store::ClientStore;

/// The secret every built client has unless a test sets another.
pub const DEFAULT_SECRET: &str = "s";

/// A valid labelpartner client of `lp-1` with the secret [`DEFAULT_SECRET`], the
/// client_credentials grant, no scopes, a one-hour token lifetime, enabled, created at 0.
pub fn client(client_id: &str) -> ClientBuilder {
    ClientBuilder(Client {
        client_id: client_id.to_string(),
        secrets: vec![StoredSecret {
            hash: hash_secret(DEFAULT_SECRET),
            expires_at: None,
        }],
        access_level: AccessLevel::Labelpartner,
        labelpartner: Some("lp-1".into()),
        allowed_grant_types: vec![GrantType::ClientCredentials],
        allowed_scopes: Vec::new(),
        access_token_ttl: DEFAULT_ACCESS_TOKEN_TTL,
        enabled: true,
        created_at: 0,
        has_legacy_api_keys: false,
        version: 0,
        tokens_not_before: None,
    })
}

#[derive(Debug, Clone)]
pub struct ClientBuilder(Client);

impl ClientBuilder {
    /// An admin client: no labelpartner.
    pub fn admin(mut self) -> Self {
        self.0.access_level = AccessLevel::Admin;
        self.0.labelpartner = None;
        self
    }

    /// A labelpartner client of `labelpartner`.
    pub fn labelpartner(mut self, labelpartner: &str) -> Self {
        self.0.access_level = AccessLevel::Labelpartner;
        self.0.labelpartner = Some(labelpartner.to_string());
        self
    }

    /// Whatever the access level, this labelpartner field (`None` makes an invalid
    /// labelpartner client, or a valid admin one).
    pub fn labelpartner_field(mut self, labelpartner: Option<&str>) -> Self {
        self.0.labelpartner = labelpartner.map(String::from);
        self
    }

    pub fn level(mut self, level: AccessLevel) -> Self {
        match level {
            AccessLevel::Admin => self.admin(),
            AccessLevel::Labelpartner => self.labelpartner("lp-1"),
            AccessLevel::User => {
                self.0.access_level = AccessLevel::User;
                self
            }
        }
    }

    /// Replaces the secrets with this one, without expiry.
    pub fn secret(mut self, secret: &str) -> Self {
        self.0.secrets = vec![StoredSecret {
            hash: hash_secret(secret),
            expires_at: None,
        }];
        self
    }

    /// Adds a secret on its way out, verifying until `expires_at`.
    pub fn expiring_secret(mut self, secret: &str, expires_at: i64) -> Self {
        self.0.secrets.push(StoredSecret {
            hash: hash_secret(secret),
            expires_at: Some(expires_at),
        });
        self
    }

    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.0.allowed_scopes = scopes.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn grants(mut self, grants: &[GrantType]) -> Self {
        self.0.allowed_grant_types = grants.to_vec();
        self
    }

    pub fn ttl(mut self, seconds: u32) -> Self {
        self.0.access_token_ttl = seconds;
        self
    }

    pub fn disabled(mut self) -> Self {
        self.0.enabled = false;
        self
    }

    pub fn created_at(mut self, at: i64) -> Self {
        self.0.created_at = at;
        self
    }

    pub fn with_legacy_api_keys(mut self) -> Self {
        self.0.has_legacy_api_keys = true;
        self
    }

    /// The version a store holds after this many writes since the client was created.
    pub fn version(mut self, version: u64) -> Self {
        self.0.version = version;
        self
    }

    pub fn build(self) -> Client {
        self.0
    }
}

impl From<ClientBuilder> for Client {
    fn from(builder: ClientBuilder) -> Self {
        builder.0
    }
}

/// Registers a client through the operator path (generated id and secret) and stores it:
/// a labelpartner client of `lp-1`, or an admin client, with the given scopes.
pub async fn registered(
    store: &dyn ClientStore,
    level: AccessLevel,
    scopes: &[&str],
) -> IssuedCredentials {
    let new = match level {
        AccessLevel::Admin => NewClient::admin(),
        AccessLevel::Labelpartner | AccessLevel::User => NewClient::labelpartner("lp-1"),
    }
    .with_scopes(scopes);
    let issued = register(new, crate::domain::time::now_unix()).expect("a valid new client");
    store
        .create(&issued.client)
        .await
        .expect("storing a registered client");
    issued
}
