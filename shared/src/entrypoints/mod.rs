//! The one translation layer between API Gateway events (through `lambda_http`) and the logic.

pub mod lambda;
