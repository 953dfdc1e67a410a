//! The token request body: `application/x-www-form-urlencoded`, each parameter at most once.

use std::collections::HashMap;

use super::error::OAuthError;

/// Token requests are a handful of short parameters; anything larger is not one.
pub const MAX_BODY_BYTES: usize = 4 * 1024;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Form {
    params: HashMap<String, String>,
}

impl Form {
    /// A parameter's value; RFC 6749 §3.1 treats an empty value as an omitted parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Parses a token request body after checking its media type and size.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Form, OAuthError> {
        if !is_form_urlencoded(content_type) {
            return Err(OAuthError::invalid_request(
                "the request body must be application/x-www-form-urlencoded",
            ));
        }
        if body.len() > MAX_BODY_BYTES {
            return Err(OAuthError::invalid_request("the request body is too large"));
        }
        if std::str::from_utf8(body).is_err() {
            return Err(OAuthError::invalid_request("the request body is not UTF-8"));
        }
        let mut params = HashMap::new();
        for (name, value) in form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            // RFC 6749 §3.2: request and response parameters MUST NOT be included more than once.
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {:?} is repeated",
                    truncate(&name)
                )));
            }
        }
        Ok(Form { params })
    }
}

fn truncate(name: &str) -> String {
    name.chars().take(40).collect()
}

/// `application/x-www-form-urlencoded`, case-insensitive, with optional parameters such as
/// `charset=UTF-8`.
fn is_form_urlencoded(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn parses_percent_and_plus_encoding() {
        let f = Form::parse(FORM, b"client_id=a%2Bb&client_secret=x+y").unwrap();
        assert_eq!(f.get("client_id"), Some("a+b"));
        assert_eq!(f.get("client_secret"), Some("x y"));
    }

    #[test]
    fn media_type_may_carry_a_charset_in_any_case() {
        assert!(
            Form::parse(
                Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
                b"a=b"
            )
            .is_ok()
        );
    }

    #[test]
    fn other_media_types_are_invalid_request() {
        for ct in [
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("multipart/form-data"),
        ] {
            let e = Form::parse(ct, b"a=b").unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{ct:?}");
        }
    }

    #[test]
    fn a_repeated_parameter_is_invalid_request() {
        let e =
            Form::parse(FORM, b"grant_type=client_credentials&grant_type=password").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn empty_values_count_as_omitted() {
        let f = Form::parse(FORM, b"scope=&scope=a").unwrap();
        assert_eq!(f.get("scope"), Some("a"));
        assert_eq!(Form::parse(FORM, b"scope=").unwrap().get("scope"), None);
    }

    #[test]
    fn an_oversized_body_is_refused() {
        let body = format!("a={}", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(
            Form::parse(FORM, body.as_bytes()).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn non_utf8_body_is_invalid_request() {
        assert_eq!(
            Form::parse(FORM, b"a=\xff").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }
}
