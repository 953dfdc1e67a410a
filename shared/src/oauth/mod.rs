//! The token endpoint as plain Rust: no HTTP framework, no Lambda, no AWS types.

pub mod client_auth;
pub mod client_credentials;
pub mod endpoint;
pub mod error;
pub mod form;
pub mod response;
pub mod scope;

pub use endpoint::{TokenEndpoint, TokenEndpointKind, TokenRequest};
pub use error::{ErrorCode, OAuthError};
pub use response::HttpResponse;
