//! The service's domain: OAuth clients, their secrets, legacy API keys, and time as plain Unix
//! seconds. No I/O here; stores persist these types and the endpoints act on them.

pub mod client;
pub mod legacy_api_key;
pub mod secret;
pub mod time;

pub use client::{AccessLevel, Client, ClientError, GrantType, StoredSecret};
pub use legacy_api_key::LegacyApiKey;
pub use secret::{SecretHash, hash_secret};
