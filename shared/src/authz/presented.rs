//! What a request presents as credentials: a bearer token (RFC 6750 §2.1) or a legacy API key.

/// The credentials a request carries, in the order they count: a bearer token decides on its own
/// (an invalid token is not rescued by an API key); an API key counts only without one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Presented<'a> {
    Bearer(&'a str),
    ApiKey(&'a str),
    Nothing,
}

impl std::fmt::Debug for Presented<'_> {
    /// Never prints the credential itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Presented::Bearer(_) => "Bearer(…)",
            Presented::ApiKey(_) => "ApiKey(…)",
            Presented::Nothing => "Nothing",
        })
    }
}

impl<'a> Presented<'a> {
    pub fn from_headers(authorization: Option<&'a str>, api_key: Option<&'a str>) -> Self {
        if let Some(token) = authorization.and_then(bearer_token) {
            return Presented::Bearer(token);
        }
        match api_key.map(str::trim) {
            Some(key) if !key.is_empty() => Presented::ApiKey(key),
            _ => Presented::Nothing,
        }
    }
}

/// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 7235 §2.1). Any other
/// scheme, and a bearer header without a token, is no token at all.
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, rest) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = rest.trim_start_matches(' ');
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("  Bearer   abc"), Some("abc"));
    }

    #[test]
    fn anything_else_is_no_token() {
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer    "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
        assert_eq!(bearer_token("abc.def.ghi"), None);
        assert_eq!(bearer_token(""), None);
    }

    #[test]
    fn a_bearer_token_wins_over_an_api_key() {
        assert_eq!(
            Presented::from_headers(Some("Bearer t"), Some("k")),
            Presented::Bearer("t")
        );
        assert_eq!(
            Presented::from_headers(Some("Basic x"), Some("k")),
            Presented::ApiKey("k")
        );
        assert_eq!(
            Presented::from_headers(None, Some("  ")),
            Presented::Nothing
        );
        assert_eq!(Presented::from_headers(None, None), Presented::Nothing);
    }

    #[test]
    fn debug_output_hides_the_credential() {
        let shown = format!("{:?}", Presented::from_headers(Some("Bearer secret"), None));
        assert!(!shown.contains("secret"));
    }
}
