use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::keys::{KeyError, SigningKey};

/// JWS compact serialization with a header already base64url-encoded (computed once per key-set
/// load), so a token costs one JSON encoding and one signature.
pub fn sign_jwt(
    header_b64: &str,
    signer: &SigningKey,
    claims: &impl Serialize,
) -> Result<String, KeyError> {
    let payload = serde_json::to_vec(claims).map_err(|_| KeyError::Signing)?;
    let mut token = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 400);
    token.push_str(header_b64);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let signature = signer.sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    Ok(token)
}
