//! The service's domain: OAuth clients and their secrets, end users and their passwords,
//! sign-in sessions with their refresh tokens, legacy API keys, and time as plain Unix seconds. No I/O here; stores persist these types and the endpoints act on them.

pub mod client;
pub mod legacy_api_key;
pub mod password;
pub mod secret;
pub mod session;
pub mod time;
pub mod user;

pub use client::{AccessLevel, Client, ClientError, GrantType, StoredSecret};
pub use legacy_api_key::LegacyApiKey;
pub use password::{Argon2Params, PasswordHash, PasswordHasher};
pub use secret::{SecretHash, hash_secret};
pub use session::{RefreshToken, RefreshTokenRecord, Session, SessionPolicy};
pub use user::{LockoutPolicy, LoginFailures, User};
