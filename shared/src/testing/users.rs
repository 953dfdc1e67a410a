//! End users and sessions as tests need them: a user builder with cheap argon2id parameters
//! (the tests are about rules, not cost) and a started session with its first token.

use crate::domain::session::NewSession;
use crate::domain::{
    Argon2Params, PasswordHash, PasswordHasher, RefreshToken, RefreshTokenRecord, Session,
    SessionPolicy, User,
};

/// The password every built user has unless a test sets another.
pub const DEFAULT_PASSWORD: &str = "correct horse battery";

/// argon2id at 256 KiB and one pass: microseconds-cheap, same code path as production.
pub fn cheap_argon2() -> Argon2Params {
    Argon2Params {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    }
}

pub fn cheap_hasher() -> PasswordHasher {
    PasswordHasher::new(cheap_argon2()).expect("valid argon2 parameters")
}

/// A valid, enabled user of `labelpartner` with [`DEFAULT_PASSWORD`] (cheaply hashed), a random
/// user_id, created at 0, epoch 0, no failures.
pub fn user(labelpartner: &str, email: &str) -> UserBuilder {
    let hash = cheap_hasher()
        .hash(DEFAULT_PASSWORD)
        .expect("hashing the default password");
    UserBuilder(User::new(labelpartner, email, hash, 0).expect("a valid test user"))
}

#[derive(Debug, Clone)]
pub struct UserBuilder(User);

impl UserBuilder {
    pub fn password(mut self, password: &str) -> Self {
        self.0.password_hash = cheap_hasher().hash(password).expect("hashing a password");
        self
    }

    /// A stored hash as it is, e.g. an imported bcrypt or PBKDF2 one.
    pub fn hash(mut self, hash: PasswordHash) -> Self {
        self.0.password_hash = hash;
        self
    }

    pub fn disabled(mut self) -> Self {
        self.0.enabled = false;
        self
    }

    pub fn user_id(mut self, user_id: &str) -> Self {
        self.0.user_id = user_id.to_string();
        self
    }

    pub fn build(self) -> User {
        self.0
    }
}

/// A session of `user` through `client_id` started at `now` with the default policy, its first
/// token's record, and the token itself.
pub fn started_session(
    user: &User,
    client_id: &str,
    scopes: &[&str],
    now: i64,
) -> (Session, RefreshTokenRecord, RefreshToken) {
    let token = RefreshToken::generate().expect("randomness");
    let new = NewSession {
        user_id: user.user_id.clone(),
        client_id: client_id.to_string(),
        labelpartner: user.labelpartner.clone(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        user_epoch: user.session_epoch,
    };
    let (session, record) =
        Session::start(new, &token, &SessionPolicy::default(), now).expect("randomness");
    (session, record, token)
}
