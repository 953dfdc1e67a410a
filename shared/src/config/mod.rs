//! Settings, read once per container from the environment: the service's
//! ([`Settings`], every function), end-user sign-in's ([`SignInSettings`]) and the
//! authorizer's own ([`AuthorizerSettings`]).
//! Constructors take a variable lookup, never read files or the network, and refuse bad values
//! rather than fall back to defaults. Every variable is listed in docs/configuration.md
//! and docs/authorizer.md.

pub mod authorizer;
pub mod service;
pub mod sign_in;

pub use authorizer::{AuthorizerSettings, HttpApiResponse, PolicySource};
pub use service::{KeySourceConfig, Settings, StoreConfig};
pub use sign_in::SignInSettings;

/// A setting that is missing, malformed or contradicts another.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// The process environment as a lookup; an empty variable counts as unset.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
