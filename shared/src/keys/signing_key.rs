//! A private key parsed once per key-set load, so that minting a token costs one signature and
//! no key parsing (jsonwebtoken re-parses its key on every encode).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RSA_PKCS1_SHA256,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::{KeyEntry, KeyError, SigningAlgorithm};

enum Pair {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

pub struct SigningKey {
    kid: String,
    alg: SigningAlgorithm,
    pair: Pair,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_entry(entry: &KeyEntry) -> Result<Self, KeyError> {
        let invalid = |what: &str| KeyError::Invalid(format!("key {}: {what}", entry.kid));
        let pem = pem::parse(entry.private_key_pem.as_bytes()).map_err(|_| invalid("not PEM"))?;
        if pem.tag() != "PRIVATE KEY" {
            return Err(invalid("expected a PKCS#8 \"PRIVATE KEY\" PEM block"));
        }
        let der = pem.contents();
        let pair = match entry.alg {
            SigningAlgorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| invalid("not an RSA key"))?;
                if pair.public_modulus_len() < 256 {
                    return Err(invalid("RSA keys must be at least 2048 bits"));
                }
                Pair::Rsa(pair)
            }
            SigningAlgorithm::ES256 => Pair::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| invalid("not a P-256 key"))?,
            ),
            SigningAlgorithm::EdDSA => Pair::Ed25519(
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| invalid("not an Ed25519 key"))?,
            ),
        };
        Ok(SigningKey {
            kid: entry.kid.clone(),
            alg: entry.alg,
            pair,
            rng: SystemRandom::new(),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
                    .map_err(|_| KeyError::Signing)?;
                Ok(signature)
            }
            Pair::Ecdsa(pair) => pair
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Signing),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The public half as a JWK (RFC 7517), with `use: sig`.
    pub fn public_jwk(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "kty": "RSA",
                    "kid": self.kid,
                    "alg": self.alg.as_str(),
                    "use": "sig",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Pair::Ecdsa(pair) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = point[1..].split_at(32);
                json!({
                    "kty": "EC",
                    "kid": self.kid,
                    "alg": self.alg.as_str(),
                    "use": "sig",
                    "crv": "P-256",
                    "x": b64(x),
                    "y": b64(y),
                })
            }
            Pair::Ed25519(pair) => json!({
                "kty": "OKP",
                "kid": self.kid,
                "alg": self.alg.as_str(),
                "use": "sig",
                "crv": "Ed25519",
                "x": b64(pair.public_key().as_ref()),
            }),
        }
    }
}
