//! RFC 6749 §3.3 scope parsing and the "requested ⊆ allowed" rule.

use super::error::{ErrorCode, OAuthError};
use crate::domain::client::is_scope_token;

/// The scopes to grant: all requested ones if each is allowed, else `invalid_scope`. When the
/// request names none, the client's allowed scopes are the pre-defined default (RFC 6749 §3.3).
pub fn resolve_scopes(
    requested: Option<&str>,
    allowed: &[String],
) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(allowed.to_vec());
    };
    let mut granted: Vec<String> = Vec::new();
    for token in requested.split(' ') {
        if token.is_empty() {
            continue;
        }
        if !is_scope_token(token) {
            return Err(OAuthError::new(ErrorCode::InvalidScope, "malformed scope"));
        }
        if !allowed.iter().any(|a| a == token) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "a requested scope is not allowed for this client",
            ));
        }
        if !granted.iter().any(|g| g == token) {
            granted.push(token.to_string());
        }
    }
    Ok(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn no_scope_requested_grants_the_default() {
        assert_eq!(resolve_scopes(None, &allowed()).unwrap(), allowed());
    }

    #[test]
    fn a_subset_is_granted_once_each() {
        assert_eq!(resolve_scopes(Some("b b"), &allowed()).unwrap(), vec!["b"]);
    }

    #[test]
    fn a_scope_outside_the_allowed_set_is_invalid_scope() {
        let e = resolve_scopes(Some("a c"), &allowed()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn malformed_scope_is_invalid_scope() {
        let e = resolve_scopes(Some("a\"q"), &allowed()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }
}
