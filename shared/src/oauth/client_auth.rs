//! Client authentication (RFC 6749 §2.3): `client_secret_basic` or `client_secret_post`, never
//! both, with one uniform failure.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::borrow::Cow;

use super::error::OAuthError;
use super::form::Form;
use crate::domain::{Client, SecretHash, hash_secret};
use crate::log_safe::untrusted;
use crate::store::ClientReader;

/// Longer than any id or secret we issue or accept; longer input is refused before any lookup.
const MAX_CLIENT_ID_LEN: usize = 128;
const MAX_SECRET_LEN: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

/// What the client presented. `Debug` leaves the secret out so it cannot reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCredentials {
    pub client_id: String,
    pub secret: String,
    pub method: ClientAuthMethod,
}

impl std::fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedCredentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// Reads the credentials from the `Authorization` header or the form, refusing a request that
/// uses both methods (RFC 6749 §2.3: "MUST NOT use more than one authentication method").
pub fn presented_credentials(
    authorization: Option<&str>,
    form: &Form,
) -> Result<PresentedCredentials, OAuthError> {
    let form_id = form.get("client_id");
    let form_secret = form.get("client_secret");
    match authorization {
        Some(header) => {
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method: HTTP Basic or client_secret in the body, not both",
                ));
            }
            let (client_id, secret) = parse_basic(header)
                .ok_or_else(|| OAuthError::client_authentication_failed(true))?;
            if form_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            Ok(PresentedCredentials {
                client_id,
                secret,
                method: ClientAuthMethod::ClientSecretBasic,
            })
        }
        None => match (form_id, form_secret) {
            (Some(id), Some(secret)) => Ok(PresentedCredentials {
                client_id: id.to_string(),
                secret: secret.to_string(),
                method: ClientAuthMethod::ClientSecretPost,
            }),
            // No public clients: a request without a secret fails client authentication.
            _ => Err(OAuthError::client_authentication_failed(false)),
        },
    }
}

/// Standard base64 with or without its `=` padding: RFC 7617 asks for padding, but some clients
/// leave it out, and the decoded bytes are the same either way.
const BASIC_CREDENTIALS: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1 / RFC 7617. The scheme
/// name is case-insensitive.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASIC_CREDENTIALS.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let id = form_url_decode(id)?;
    let secret = form_url_decode(secret)?;
    if id.is_empty() || secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

/// The `application/x-www-form-urlencoded` decoding RFC 6749 §2.3.1 asks for (`+` is a space).
fn form_url_decode(s: &str) -> Option<String> {
    let plus_as_space: Cow<str> = if s.contains('+') {
        Cow::Owned(s.replace('+', " "))
    } else {
        Cow::Borrowed(s)
    };
    let bytes = percent_decode(plus_as_space.as_bytes())?;
    String::from_utf8(bytes).ok()
}

fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' {
            let hex = input.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Why a looked-up client's authentication failed (for logs; the caller sees one
/// `invalid_client` whatever the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthFailure {
    WrongSecret,
    Disabled,
}

impl ClientAuthFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthFailure::WrongSecret => "wrong secret",
            ClientAuthFailure::Disabled => "disabled",
        }
    }
}

/// The rule of client authentication for a client that exists: one of its live secrets matches
/// and it is enabled. The secret is compared before the status, so a disabled client costs the
/// same work as an enabled one.
pub fn verify_client(client: &Client, secret: &str, now: i64) -> Result<(), ClientAuthFailure> {
    if !secret_matches(client, secret, now) {
        return Err(ClientAuthFailure::WrongSecret);
    }
    if !client.enabled {
        return Err(ClientAuthFailure::Disabled);
    }
    Ok(())
}

/// Looks the client up and verifies it. Unknown client, wrong secret and disabled client all end
/// in the same `invalid_client`, after the same amount of hashing work.
pub async fn authenticate(
    clients: &dyn ClientReader,
    presented: &PresentedCredentials,
    now: i64,
) -> Result<Client, OAuthError> {
    let used_basic = presented.method == ClientAuthMethod::ClientSecretBasic;
    let failed = || OAuthError::client_authentication_failed(used_basic);
    if presented.client_id.len() > MAX_CLIENT_ID_LEN || presented.secret.len() > MAX_SECRET_LEN {
        return Err(failed());
    }
    let client = clients.get(&presented.client_id).await.map_err(|error| {
        tracing::error!(%error, client_id = %untrusted(&presented.client_id), "client lookup failed");
        OAuthError::server_error()
    })?;
    let Some(client) = client else {
        // Spend the same hashing work as a real comparison before refusing.
        let _ = DUMMY_HASH.matches(&presented.secret);
        tracing::info!(client_id = %untrusted(&presented.client_id), "unknown client");
        return Err(failed());
    };
    match verify_client(&client, &presented.secret, now) {
        Ok(()) => Ok(client),
        Err(reason) => {
            tracing::info!(
                client_id = %client.client_id,
                reason = reason.as_str(),
                "client authentication failed"
            );
            Err(failed())
        }
    }
}

const DUMMY_HASH: SecretHash = SecretHash([0u8; 32]);

/// True when the secret matches any of the client's live secrets. Every live secret is compared,
/// so the time taken does not tell which one matched.
pub fn secret_matches(client: &Client, presented: &str, now: i64) -> bool {
    let presented_hash = hash_secret(presented);
    client
        .secrets
        .iter()
        .filter(|s| s.is_live(now))
        .fold(false, |matched, s| matched | s.hash.ct_eq(&presented_hash))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;
    use crate::testing::basic;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn credentials_from_the_body_are_client_secret_post() {
        let form = Form::parse(FORM, b"client_id=abc&client_secret=s3cret").unwrap();
        let p = presented_credentials(None, &form).unwrap();
        assert_eq!(p.method, ClientAuthMethod::ClientSecretPost);
        assert_eq!((p.client_id.as_str(), p.secret.as_str()), ("abc", "s3cret"));
    }

    #[test]
    fn credentials_from_basic_are_form_url_decoded() {
        let form = Form::default();
        let p = presented_credentials(Some(&basic("a%3Ab", "x+y%25")), &form).unwrap();
        assert_eq!(p.method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!((p.client_id.as_str(), p.secret.as_str()), ("a:b", "x y%"));
    }

    #[test]
    fn basic_credentials_may_leave_out_the_base64_padding() {
        // Five, six and seven bytes: one `=` of padding, none, and two.
        for (id, secret) in [("abc", "s"), ("abcd", "s"), ("abcde", "s")] {
            let padded = basic(id, secret);
            let unpadded = padded.trim_end_matches('=');
            for header in [padded.as_str(), unpadded] {
                let p = presented_credentials(Some(header), &Form::default()).unwrap();
                assert_eq!(
                    (p.client_id.as_str(), p.secret.as_str()),
                    (id, secret),
                    "{header}"
                );
            }
        }
    }

    #[test]
    fn basic_credentials_with_padding_beyond_the_data_are_refused() {
        let padded = basic("abc", "s");
        for header in [format!("{padded}="), format!("{padded}==")] {
            let e = presented_credentials(Some(&header), &Form::default()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient, "{header}");
        }
    }

    #[test]
    fn basic_scheme_is_case_insensitive() {
        let header = basic("abc", "s").replacen("Basic", "bAsIc", 1);
        assert!(presented_credentials(Some(&header), &Form::default()).is_ok());
    }

    #[test]
    fn both_methods_at_once_are_invalid_request() {
        let form = Form::parse(FORM, b"client_id=abc&client_secret=s").unwrap();
        let e = presented_credentials(Some(&basic("abc", "s")), &form).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn a_body_client_id_that_differs_from_basic_is_invalid_request() {
        let form = Form::parse(FORM, b"client_id=other").unwrap();
        let e = presented_credentials(Some(&basic("abc", "s")), &form).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let form = Form::parse(FORM, b"client_id=abc").unwrap();
        assert!(presented_credentials(Some(&basic("abc", "s")), &form).is_ok());
    }

    #[test]
    fn malformed_basic_is_invalid_client_with_a_challenge() {
        for header in [
            "Basic !!!",
            "Basic ",
            "Bearer abc",
            &format!("Basic {}", BASIC_CREDENTIALS.encode("nocolon")),
        ] {
            let e = presented_credentials(Some(header), &Form::default()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient, "{header}");
            assert!(e.basic_challenge);
        }
    }

    #[test]
    fn missing_secret_is_invalid_client() {
        let form = Form::parse(FORM, b"client_id=abc").unwrap();
        let e = presented_credentials(None, &form).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert!(!e.basic_challenge);
        let e = presented_credentials(None, &Form::default()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }
}

#[cfg(test)]
mod verify_tests {
    use super::*;
    use crate::testing::client;

    #[test]
    fn a_live_secret_of_an_enabled_client_verifies() {
        let c = client("c1").secret("right").build();
        assert_eq!(verify_client(&c, "right", 0), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_refused_before_the_status_is_looked_at() {
        let c = client("c1").secret("right").disabled().build();
        assert_eq!(
            verify_client(&c, "wrong", 0),
            Err(ClientAuthFailure::WrongSecret)
        );
        assert_eq!(
            verify_client(&c, "right", 0),
            Err(ClientAuthFailure::Disabled)
        );
    }

    #[test]
    fn an_expired_secret_no_longer_verifies() {
        let c = client("c1")
            .secret("new")
            .expiring_secret("old", 100)
            .build();
        assert_eq!(verify_client(&c, "old", 99), Ok(()));
        assert_eq!(
            verify_client(&c, "old", 100),
            Err(ClientAuthFailure::WrongSecret)
        );
        assert_eq!(verify_client(&c, "new", 100), Ok(()));
    }
}
