//! The one translation layer between API Gateway events (through `lambda_http`) and the logic.

pub mod authorizer;
pub mod lambda;
pub mod whoami;
