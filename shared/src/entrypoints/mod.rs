//! The one translation layer between the official Lambda runtime crates and the logic:
//! `lambda_http` requests in and responses out for the HTTP functions ([`http_function`]),
//! authorizer events ([`authorizer`]) and Secrets Manager's rotation events
//! ([`key_rotation`]) on `lambda_runtime`; what every invocation shares (mode, runtime flavour,
//! deadline) in [`invocation`]. Each other module serves one function.

pub mod authorizer;
pub mod discovery;
pub mod headers;
pub mod http_function;
pub mod invocation;
pub mod key_rotation;
pub mod logging;
pub mod token;
pub mod user_token;
pub mod whoami;
