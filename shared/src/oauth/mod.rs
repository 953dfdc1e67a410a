//! The token endpoint as plain Rust: no HTTP framework, no Lambda, no AWS types.
//!
//! A request goes [`form`] → [`grant`] (which grant, pure) → [`client_auth`] (who is asking) →
//! [`scope`] → a token from [`crate::tokens`]; every refusal is an [`OAuthError`] and leaves
//! through [`error`], the one place that writes the RFC 6749 §5.2 JSON.
//!
//! End users sign in at [`user_endpoint`] (`POST /v2/token`, `POST /v2/revoke`): the same form
//! and client authentication, then [`password_grant`] or [`refresh_grant`].

pub mod client_auth;
pub mod endpoint;
pub mod error;
pub mod form;
pub mod grant;
pub mod legacy_key_removal;
pub mod metadata;
pub mod password_grant;
pub mod refresh_grant;
pub mod scope;
pub mod user_endpoint;

pub use endpoint::{AfterIssue, TokenEndpoint, TokenRequest};
pub use error::{ErrorCode, OAuthError};
pub use grant::TokenEndpointKind;
pub use legacy_key_removal::RemoveLegacyKeysOnIssue;
pub use user_endpoint::UserTokenEndpoint;
