//! The authenticated caller, as the access policy sees it and as the authorizer passes it to
//! the routes behind it.

use crate::domain::client::{AccessLevel, Client, validate_labelpartner};
use crate::domain::user::is_user_id;
use crate::tokens::AccessTokenClaims;

/// Which kind of credential the caller authenticated with (the `auth_method` context value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    OAuth2,
    ApiKey,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::OAuth2 => "oauth2",
            CredentialKind::ApiKey => "api_key",
        }
    }
}

/// The authenticated caller, as the policy sees it and as the authorizer passes it downstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The client's id for a client; the user's id for an end user.
    pub sub: String,
    /// The client that holds the credential: for an end user, the app they signed in through.
    pub client_id: String,
    pub access_level: AccessLevel,
    /// The caller's own labelpartner: present exactly for labelpartner clients and end users.
    pub labelpartner: Option<String>,
    /// Space-separated scopes, empty when none were granted.
    pub scope: String,
    /// The token's id; API keys have none.
    pub jti: Option<String>,
    pub auth_method: CredentialKind,
}

impl Principal {
    /// The caller a verified access token names, or `None` for claims that contradict each
    /// other. We never issue such a token, so it is refused rather than guessed at: read
    /// generously, a user token relabelled `admin` or a client token carrying a user's `sub`
    /// would pass the policy as someone it is not.
    pub fn from_claims(claims: AccessTokenClaims) -> Option<Self> {
        consistent(&claims).then(|| Principal {
            sub: claims.sub,
            client_id: claims.client_id,
            access_level: claims.access_level,
            labelpartner: claims.labelpartner,
            scope: claims.scope.unwrap_or_default(),
            jti: Some(claims.jti),
            auth_method: CredentialKind::OAuth2,
        })
    }

    /// The caller a legacy API key stands for: its client, with every scope the client may be
    /// granted (the old keys knew no scopes).
    pub fn from_api_key_client(client: &Client) -> Self {
        Principal {
            sub: client.client_id.clone(),
            client_id: client.client_id.clone(),
            access_level: client.access_level,
            labelpartner: client.labelpartner.clone(),
            scope: client.allowed_scopes.join(" "),
            jti: None,
            auth_method: CredentialKind::ApiKey,
        }
    }

    /// The end user's id (their `sub`), or `None` for a client.
    pub fn user_id(&self) -> Option<&str> {
        (self.access_level == AccessLevel::User).then_some(self.sub.as_str())
    }

    /// Whether `scope` is one of the space-separated words of the scope claim.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }

    #[cfg(test)]
    pub(crate) fn for_test(level: AccessLevel, labelpartner: Option<&str>, scope: &str) -> Self {
        Principal {
            sub: "test-client".into(),
            client_id: "test-client".into(),
            access_level: level,
            labelpartner: labelpartner.map(String::from),
            scope: scope.into(),
            jti: Some("jti-1".into()),
            auth_method: CredentialKind::OAuth2,
        }
    }

    /// An end user of `labelpartner` signed in through `test-app`.
    #[cfg(test)]
    pub(crate) fn user_for_test(user_id: &str, labelpartner: &str, scope: &str) -> Self {
        Principal {
            sub: user_id.into(),
            client_id: "test-app".into(),
            access_level: AccessLevel::User,
            labelpartner: Some(labelpartner.into()),
            scope: scope.into(),
            jti: Some("jti-1".into()),
            auth_method: CredentialKind::OAuth2,
        }
    }
}

/// The shapes of the tokens we issue: a client's names the client as its `sub`, and carries a
/// labelpartner exactly when it is a labelpartner client; an end user's names a user id (never
/// the client's id, which could look like one) and the labelpartner the user belongs to.
fn consistent(claims: &AccessTokenClaims) -> bool {
    let valid_labelpartner = claims
        .labelpartner
        .as_deref()
        .is_some_and(|l| validate_labelpartner(l).is_ok());
    let client_subject = claims.sub == claims.client_id;
    match claims.access_level {
        AccessLevel::Admin => claims.labelpartner.is_none() && client_subject,
        AccessLevel::Labelpartner => valid_labelpartner && client_subject,
        AccessLevel::User => valid_labelpartner && is_user_id(&claims.sub) && !client_subject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER_ID: &str = "0123456789abcdef0123456789abcdef";

    /// The claims of a token we issue to `access_level`: an end user of `lp-1` signed in through
    /// `app`, a labelpartner client `lp-client` of `lp-1`, or an admin client `admin-client`.
    fn claims(access_level: AccessLevel) -> AccessTokenClaims {
        let (sub, client_id, labelpartner) = match access_level {
            AccessLevel::User => (USER_ID, "app", Some("lp-1")),
            AccessLevel::Labelpartner => ("lp-client", "lp-client", Some("lp-1")),
            AccessLevel::Admin => ("admin-client", "admin-client", None),
        };
        AccessTokenClaims {
            iss: "https://auth.example.test".into(),
            sub: sub.into(),
            aud: "am-api".into(),
            iat: 0,
            nbf: 0,
            exp: 3600,
            jti: "jti-1".into(),
            client_id: client_id.into(),
            access_level,
            labelpartner: labelpartner.map(String::from),
            scope: Some("profile:read".into()),
        }
    }

    fn refused(claims: AccessTokenClaims) -> bool {
        Principal::from_claims(claims).is_none()
    }

    #[test]
    fn a_user_token_names_the_user_the_app_and_the_users_labelpartner() {
        let principal = Principal::from_claims(claims(AccessLevel::User)).unwrap();
        assert_eq!(principal.access_level, AccessLevel::User);
        assert_eq!(principal.user_id(), Some(USER_ID));
        assert_eq!(principal.client_id, "app");
        assert_eq!(principal.labelpartner.as_deref(), Some("lp-1"));
        assert_eq!(principal.scope, "profile:read");
    }

    #[test]
    fn client_tokens_name_no_user() {
        for level in [AccessLevel::Labelpartner, AccessLevel::Admin] {
            let principal = Principal::from_claims(claims(level)).unwrap();
            assert_eq!(principal.user_id(), None, "{level}");
            assert_eq!(principal.sub, principal.client_id, "{level}");
        }
    }

    #[test]
    fn a_user_token_needs_the_users_valid_labelpartner() {
        for labelpartner in [None, Some(""), Some("lp/1"), Some("lp 1")] {
            let mut c = claims(AccessLevel::User);
            c.labelpartner = labelpartner.map(String::from);
            assert!(refused(c), "{labelpartner:?}");
        }
    }

    #[test]
    fn a_user_tokens_sub_is_a_user_id_and_never_its_clients_id() {
        for sub in [
            "lp-client",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcde",
            "",
        ] {
            let mut c = claims(AccessLevel::User);
            c.sub = sub.into();
            assert!(refused(c), "{sub:?}");
        }
        // A client id may look like a user id; a token naming both as one caller is no user's.
        let mut c = claims(AccessLevel::User);
        c.client_id = USER_ID.into();
        assert!(refused(c));
    }

    #[test]
    fn a_client_token_names_its_client_as_sub() {
        for level in [AccessLevel::Labelpartner, AccessLevel::Admin] {
            let mut c = claims(level);
            c.sub = USER_ID.into();
            assert!(refused(c), "{level} token with a user's sub");
        }
    }

    #[test]
    fn a_client_tokens_labelpartner_matches_its_level() {
        let mut orphan = claims(AccessLevel::Labelpartner);
        orphan.labelpartner = None;
        assert!(refused(orphan));
        let mut empty = claims(AccessLevel::Labelpartner);
        empty.labelpartner = Some(String::new());
        assert!(refused(empty));
        let mut admin_with_one = claims(AccessLevel::Admin);
        admin_with_one.labelpartner = Some("lp-1".into());
        assert!(refused(admin_with_one));
    }

    #[test]
    fn a_user_token_relabelled_as_a_client_is_refused() {
        for level in [AccessLevel::Labelpartner, AccessLevel::Admin] {
            let mut c = claims(AccessLevel::User);
            c.access_level = level;
            assert!(refused(c), "user token relabelled {level}");
        }
    }
}
