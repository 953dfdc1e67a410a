//! The one translation layer between the Lambda runtime ([`runtime`]) and the logic: API
//! Gateway proxy events ([`proxy`]), authorizer events ([`authorizer`]) and Secrets Manager's
//! rotation events ([`key_rotation`]) in, their responses out. Each other module serves one
//! function.

pub mod authorizer;
pub mod discovery;
pub mod headers;
pub mod key_rotation;
pub mod logging;
pub mod proxy;
pub mod runtime;
pub mod token;
pub mod user_token;
pub mod whoami;
