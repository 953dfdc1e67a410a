use super::*;
use crate::testing::password_hashes::*;
use crate::testing::{cheap_argon2, cheap_hasher};

/// The parameters of the low-cost argon2 vectors (m=64, t=1, p=1).
fn vector_params() -> Argon2Params {
    Argon2Params {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    }
}

const IMPORTS: [(&str, HashScheme); 13] = [
    (BCRYPT_2A, HashScheme::Bcrypt),
    (BCRYPT_2B, HashScheme::Bcrypt),
    (BCRYPT_2Y, HashScheme::Bcrypt),
    (BCRYPT_COST_10, HashScheme::Bcrypt),
    (ARGON2ID, HashScheme::Argon2id),
    (ARGON2I, HashScheme::Argon2i),
    (ARGON2D, HashScheme::Argon2d),
    (ARGON2ID_V16, HashScheme::Argon2id),
    (ARGON2ID_NO_VERSION, HashScheme::Argon2id),
    (ARGON2ID_P2, HashScheme::Argon2id),
    (PBKDF2_PHC, HashScheme::Pbkdf2Sha256),
    (PBKDF2_PASSLIB, HashScheme::Pbkdf2Sha256),
    (PBKDF2_DJANGO, HashScheme::Pbkdf2Sha256),
];

fn parsed(encoded: &str) -> PasswordHash {
    PasswordHash::parse(encoded).unwrap_or_else(|e| panic!("{encoded}: {e}"))
}

fn refusal(encoded: &str) -> String {
    match PasswordHash::parse(encoded) {
        Err(PasswordError::UnsupportedHash(reason)) => reason,
        other => panic!("{encoded} should be refused, got {other:?}"),
    }
}

#[test]
fn a_hash_verifies_its_password_only() {
    let hash = cheap_hasher().hash("correct horse").unwrap();
    assert_eq!(hash.scheme(), HashScheme::Argon2id);
    assert!(hash.as_str().starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
    assert!(hash.verify("correct horse"));
    assert!(!hash.verify("correct horsE"));
    assert_eq!(PasswordHash::parse(hash.as_str()), Ok(hash));
}

#[test]
fn each_imported_hash_verifies_its_password_and_no_other() {
    for (encoded, scheme) in IMPORTS {
        let hash = parsed(encoded);
        assert_eq!(hash.scheme(), scheme, "{encoded}");
        assert!(hash.verify(IMPORTED_PASSWORD), "{encoded}");
        for wrong in ["correct horse ✓ staplE", "correct horse staple", ""] {
            assert!(!hash.verify(wrong), "{encoded} verified {wrong:?}");
        }
    }
}

#[test]
fn hashes_at_production_costs_verify() {
    for encoded in [ARGON2ID_OWASP, PBKDF2_PHC_600K] {
        assert!(parsed(encoded).verify(IMPORTED_PASSWORD), "{encoded}");
    }
}

#[test]
fn bcrypt_checks_only_the_first_72_bytes_as_the_importing_platform_did() {
    let hash = parsed(BCRYPT_OF_72_X);
    let seventy_two = "x".repeat(72);
    assert!(hash.verify(&seventy_two));
    assert!(hash.verify(&format!("{seventy_two} and whatever follows")));
    assert!(!hash.verify(&"x".repeat(71)));
}

#[test]
fn every_hash_but_current_argon2id_needs_a_rehash() {
    for (encoded, _) in IMPORTS {
        let hash = parsed(encoded);
        let current = encoded == ARGON2ID;
        assert_eq!(hash.needs_rehash(&vector_params()), !current, "{encoded}");
    }
    assert!(!parsed(ARGON2ID_OWASP).needs_rehash(&Argon2Params::default()));
    assert!(parsed(ARGON2ID_OWASP).needs_rehash(&vector_params()));
}

#[test]
fn other_parameters_need_a_rehash() {
    let hash = cheap_hasher().hash("correct horse").unwrap();
    assert!(!hash.needs_rehash(&cheap_argon2()));
    assert!(hash.needs_rehash(&Argon2Params::default()));
}

#[test]
fn costs_up_to_the_limits_are_accepted() {
    for encoded in [
        BCRYPT_2B.replacen("$04$", "$15$", 1),
        PBKDF2_PASSLIB.replacen("$1000$", "$2000000$", 1),
        PBKDF2_DJANGO.replacen("$1000$", "$2000000$", 1),
        PBKDF2_PHC.replacen("i=1000", "i=2000000", 1),
        ARGON2ID.replacen("m=64,t=1,p=1", "m=262144,t=10,p=8", 1),
    ] {
        parsed(&encoded);
    }
}

#[test]
fn costs_above_the_limits_are_refused_at_import() {
    for (encoded, reason) in [
        (BCRYPT_2B.replacen("$04$", "$16$", 1), "bcrypt cost 16"),
        (BCRYPT_2B.replacen("$04$", "$31$", 1), "bcrypt cost 31"),
        (
            PBKDF2_PASSLIB.replacen("$1000$", "$2000001$", 1),
            "PBKDF2 rounds 2000001",
        ),
        (
            PBKDF2_DJANGO.replacen("$1000$", "$4294967295$", 1),
            "PBKDF2 rounds 4294967295",
        ),
        (
            PBKDF2_PHC.replacen("i=1000", "i=2000001", 1),
            "PBKDF2 rounds 2000001",
        ),
        (
            ARGON2ID.replacen("m=64", "m=262145", 1),
            "argon2 memory (KiB) 262145",
        ),
        (ARGON2ID.replacen("t=1", "t=11", 1), "argon2 iterations 11"),
        (
            ARGON2ID.replacen("m=64,t=1,p=1", "m=128,t=1,p=9", 1),
            "argon2 parallelism 9",
        ),
    ] {
        let refused = refusal(&encoded);
        assert!(refused.contains(reason), "{refused}");
        assert!(refused.contains("above the limit"), "{refused}");
    }
}

#[test]
fn pbkdf2_output_longer_than_64_bytes_is_refused() {
    let hash_65_bytes = "A".repeat(87);
    let passlib = format!("$pbkdf2-sha256$1000$HuOcU6o1ZoyRUso5h5BSCg${hash_65_bytes}");
    assert!(refusal(&passlib).contains("65 bytes"));
}

#[test]
fn a_hash_string_longer_than_the_bound_is_refused() {
    let long_salt = "a".repeat(MAX_HASH_CHARS);
    let django = PBKDF2_DJANGO.replacen("fQrZZRAoonHIAzy30a0lF4", &long_salt, 1);
    assert!(refusal(&django).contains("longer than"));
}

#[test]
fn schemes_we_cannot_verify_are_refused_by_name() {
    for (encoded, named) in [
        ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "MD5-crypt"),
        (
            "$5$saltsalt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF/GaFlM9",
            "SHA-256-crypt",
        ),
        (
            "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/",
            "SHA-512-crypt",
        ),
        (&BCRYPT_2B.replacen("$2b$", "$2x$", 1), "$2x$"),
        ("$pbkdf2$1000$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "PBKDF2-SHA1"),
        ("$pbkdf2-sha512$25000$c2FsdA$aGFzaGhhc2g", "PBKDF2-SHA512"),
        ("pbkdf2_sha1$260000$salt$aGFzaA==", "PBKDF2-SHA1"),
        ("$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA", "scrypt"),
        ("{SSHA}aGFzaGhhc2hoYXNoaGFzaGhhc2g=", "LDAP"),
        (
            "sha1$salt$5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
            "SHA-1",
        ),
    ] {
        let refused = refusal(encoded);
        assert!(refused.contains(named), "{encoded}: {refused}");
    }
}

#[test]
fn a_refusal_never_repeats_what_it_was_given() {
    for encoded in [
        "",
        IMPORTED_PASSWORD,
        "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
        "$argon2id$correct horse",
        "$2b$04$correct horse staple",
        "$pbkdf2-sha256$1000$correct-horse$staple",
        "pbkdf2_sha256$1000$correct horse$staple",
    ] {
        let refused = refusal(encoded);
        assert!(refused.contains("recognised") || refused.contains("malformed"));
        assert!(!refused.contains("horse"), "{refused}");
    }
}

#[test]
fn malformed_variants_of_real_hashes_are_refused_or_fail_without_panicking() {
    let mut variants = Vec::new();
    for (encoded, _) in IMPORTS {
        for end in (0..encoded.len()).filter(|&end| encoded.is_char_boundary(end)) {
            variants.push(encoded[..end].to_string());
        }
        for at in (1..encoded.len()).step_by(5) {
            for inserted in ["é", "$", "=", ",", "0"] {
                let mut variant = encoded.to_string();
                variant.insert_str(at, inserted);
                variants.push(variant);
            }
        }
        variants.push(format!("{encoded}$"));
    }
    for variant in variants {
        let scheme = HashScheme::recognise(&variant);
        let _ = PasswordHash::parse(&variant);
        // A hash that slipped past parse (or was stored by hand) must still only fail.
        let unchecked = PasswordHash {
            encoded: variant.clone(),
            scheme: scheme.unwrap_or(HashScheme::Argon2id),
        };
        let _ = unchecked.verify(IMPORTED_PASSWORD);
        let _ = unchecked.needs_rehash(&vector_params());
    }
}

#[test]
fn bcrypt_costs_must_be_two_digits_within_bcrypts_range() {
    assert!(refusal(&BCRYPT_2B.replacen("$04$", "$+4$", 1)).contains("two digits"));
    assert!(refusal(&BCRYPT_2B.replacen("$04$", "$03$", 1)).contains("minimum"));
}

#[test]
fn argon2_hashes_with_a_secret_key_are_refused() {
    let keyed = ARGON2ID.replacen("p=1", "p=1,keyid=AAAAAA", 1);
    assert!(refusal(&keyed).contains("secret key"));
}

#[test]
fn debug_shows_the_scheme_and_not_the_hash() {
    let hash = parsed(BCRYPT_2B);
    assert_eq!(format!("{hash:?}"), "PasswordHash(Bcrypt)");
    let hash = parsed(PBKDF2_DJANGO);
    assert_eq!(format!("{hash:?}"), "PasswordHash(Pbkdf2Sha256)");
}

#[test]
fn a_password_beyond_the_byte_limit_never_verifies_nor_hashes() {
    let too_long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    let hash = parsed(BCRYPT_OF_72_X);
    assert!(!hash.verify(&too_long));
    assert_eq!(cheap_hasher().hash(&too_long), Err(PasswordError::TooLong));
}

#[test]
fn the_dummy_hash_costs_a_current_hash_and_verifies_nothing() {
    let hasher = cheap_hasher();
    let dummy = hasher.dummy_hash();
    assert_eq!(PasswordHash::parse(dummy.as_str()).as_ref(), Ok(dummy));
    assert!(!dummy.needs_rehash(hasher.params()));
    for password in ["", IMPORTED_PASSWORD, crate::testing::DEFAULT_PASSWORD] {
        assert!(!dummy.verify(password));
    }
    // Made once, shared by clones.
    assert!(std::ptr::eq(dummy, hasher.clone().dummy_hash()));
}

#[test]
fn dummy_hashes_of_two_hashers_differ() {
    assert_ne!(cheap_hasher().dummy_hash(), cheap_hasher().dummy_hash());
}

#[test]
fn hasher_parameters_beyond_what_parse_accepts_are_refused() {
    for params in [
        Argon2Params {
            memory_kib: MAX_ARGON2_MEMORY_KIB + 1,
            ..Argon2Params::default()
        },
        Argon2Params {
            iterations: MAX_ARGON2_ITERATIONS + 1,
            ..Argon2Params::default()
        },
        Argon2Params {
            parallelism: MAX_ARGON2_PARALLELISM + 1,
            ..Argon2Params::default()
        },
        Argon2Params {
            iterations: 0,
            ..Argon2Params::default()
        },
    ] {
        assert!(
            matches!(
                PasswordHasher::new(params),
                Err(PasswordError::InvalidParameters(_))
            ),
            "{params:?}"
        );
    }
}

#[test]
fn a_new_password_needs_eight_characters_not_bytes() {
    assert_eq!(
        validate_new_password("ßßßßßßß"),
        Err(PasswordError::TooShort)
    );
    assert_eq!(validate_new_password("ßßßßßßßß"), Ok(()));
    let too_long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    assert_eq!(
        validate_new_password(&too_long),
        Err(PasswordError::TooLong)
    );
}
