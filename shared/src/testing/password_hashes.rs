//! Real password hashes, made by the libraries the platforms we import from use, all of
//! [`IMPORTED_PASSWORD`] (its `✓` checks that every scheme hashes the UTF-8 bytes). Low costs
//! except where a name says otherwise. Made with Python 3.11 and bcrypt 5.0.0, argon2-cffi
//! 25.1.0, passlib 1.7.4 and Django 5.2.19 (`pw = "correct horse ✓ staple".encode()`), and with
//! the `pbkdf2` 0.13 crate; the call is above each constant.

pub const IMPORTED_PASSWORD: &str = "correct horse ✓ staple";

/// `bcrypt.hashpw(pw, bcrypt.gensalt(4))`
pub const BCRYPT_2B: &str = "$2b$04$CCfJsjdYMwG2CrRIXR.i1eYyv5hTlQVFxaGwFJk7LdXkfkpfdM62q";
/// `bcrypt.hashpw(pw, bcrypt.gensalt(5, prefix=b"2a"))`
pub const BCRYPT_2A: &str = "$2a$05$A6uTf1RgqpX10V3O.GQ/8OQeb2sTOymYY5ruT2WPcerHPtX.lNWl.";
/// `bcrypt.hashpw(pw, bcrypt.gensalt(4))` with `$2b$` renamed `$2y$` (PHP's name for the same
/// algorithm); `bcrypt.checkpw` accepts it.
pub const BCRYPT_2Y: &str = "$2y$04$o08mVnDtqnmtjmOl7ZuZhOohQK2dH1gu.I5q8McYUE2hTmb5Vtkkq";
/// `bcrypt.hashpw(pw, bcrypt.gensalt(10))`: a typical production cost.
pub const BCRYPT_COST_10: &str = "$2b$10$AF2S9VrUQHzegh7qedRTEO0NYETx.Eu4I.r2kdMv1uXAbzk9Q7dT2";
/// `bcrypt.hashpw(b"x" * 72, bcrypt.gensalt(4))`, for bcrypt's 72-byte truncation.
pub const BCRYPT_OF_72_X: &str = "$2b$04$bY2l/DSrWLA2LY/c6H.Mae0KGhggYDaxM3B8vBs7ZP2X1c9W7f.Qi";

/// `argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID).hash(pw)`
pub const ARGON2ID: &str = "$argon2id$v=19$m=64,t=1,p=1$EqBu4qb0uRNOZjY+JxZ7lQ$S+MMj/+kDX9jU7vMno582FISGO4imQmmQNrw528SEVk";
/// As [`ARGON2ID`] with `type=Type.I`.
pub const ARGON2I: &str =
    "$argon2i$v=19$m=64,t=1,p=1$58KZjtPTvmKnwuUpOo6q0A$ZqWkWKe/NrT8AZS/OpSS9hxVQXvne4dYbZro9tz3vp4";
/// As [`ARGON2ID`] with `type=Type.D`.
pub const ARGON2D: &str =
    "$argon2d$v=19$m=64,t=1,p=1$v0WxcKVx3bzPPjhdu/kowA$a514vjtvX6uu5/Z4ZaSsK4MhXNMT8lhE5UsE2tZW6Jc";
/// `argon2.low_level.hash_secret(pw, os.urandom(16), time_cost=1, memory_cost=64,
/// parallelism=1, hash_len=32, type=Type.ID, version=16)`: argon2 before 1.3.
pub const ARGON2ID_V16: &str = "$argon2id$v=16$m=64,t=1,p=1$BTAIYOBdW2UXilJXPGeyKA$mLQFbv1ZA1rsqbhctkywTvS9LKjOTo7oeaausySaCts";
/// [`ARGON2ID_V16`] without its `v=16`, as argon2 before 1.3 wrote it; argon2-cffi verifies it.
pub const ARGON2ID_NO_VERSION: &str =
    "$argon2id$m=64,t=1,p=1$BTAIYOBdW2UXilJXPGeyKA$mLQFbv1ZA1rsqbhctkywTvS9LKjOTo7oeaausySaCts";
/// `argon2.PasswordHasher(time_cost=2, memory_cost=128, parallelism=2, type=Type.ID).hash(pw)`
pub const ARGON2ID_P2: &str = "$argon2id$v=19$m=128,t=2,p=2$rco9wvVfWbTq3rAjE51NKg$RfE7pNsfzYSiRl0k0NcCBLNmoGCbVC+MudTf9mCkyi4";
/// `argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)`: the
/// OWASP parameters we hash with.
pub const ARGON2ID_OWASP: &str = "$argon2id$v=19$m=19456,t=2,p=1$BGRZB+RTBm8eR2hXNoW1Xg$R7++JCPML0QSkicadoHCNKAWlZzkhkg2CUhcp4C56Z0";

/// `Pbkdf2::default().hash_password_customized(pw, &salt, None, None,
/// Params::new_with_output_len(1000, 32))`
pub const PBKDF2_PHC: &str =
    "$pbkdf2-sha256$i=1000,l=32$y0KRXs3iFSARCkXs8N84cg$rQLREStwu7FME16eORG+LHvVsXgbIXclQ73tR0+MWWk";
/// `Pbkdf2::default().hash_password_with_salt(pw, &salt)`: the crate's (and OWASP's) 600 000.
pub const PBKDF2_PHC_600K: &str = "$pbkdf2-sha256$i=600000,l=32$edl6pnOW+duPzi8MJBUKcg$75hZ0c4LUuStHz9Gwq4CSVnqf4rcqdu7mGNcdpYYHTo";
/// `passlib.hash.pbkdf2_sha256.using(rounds=1000).hash(pw)`
pub const PBKDF2_PASSLIB: &str =
    "$pbkdf2-sha256$1000$HuOcU6o1ZoyRUso5h5BSCg$k1klv4ZrX7/FI6c8mWbHUrNxoMc2ce4.vVGttYBaZuE";
/// `PBKDF2PasswordHasher().encode(pw.decode(), PBKDF2PasswordHasher().salt(), iterations=1000)`
pub const PBKDF2_DJANGO: &str =
    "pbkdf2_sha256$1000$fQrZZRAoonHIAzy30a0lF4$EBOsvjfr1s5l4PDCYhGvnSmzJ/R8PV+e+Pir5LcJD0Y=";
