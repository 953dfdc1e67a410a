//! The value a rotation stores as AWSPENDING: the rotated key set plus `rotated_from`, the
//! AWSCURRENT version it was computed from. `finishSecret` promotes it only while that version
//! is still AWSCURRENT, so a key set written in between (`authctl keys rotate`, `retire
//! --compromised`) is never silently undone. Everything that reads the key set ignores the
//! field (`KeySetDocument` accepts unknown fields); `authctl keys` drops it on its next write.

use serde::Deserialize;

use super::RotationError;
use crate::keys::{KeyError, KeySetDocument};

const ORIGIN: &str = "pending version";

pub fn to_json(document: &KeySetDocument, rotated_from: &str) -> Result<String, RotationError> {
    let invalid = |e: serde_json::Error| KeyError::Invalid(e.to_string());
    let mut value = serde_json::to_value(document).map_err(invalid)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("rotated_from".into(), rotated_from.into());
    }
    Ok(serde_json::to_string(&value).map_err(invalid)?)
}

/// The key set and the version it was rotated from (`None` when a value was stored without
/// one, by something other than a rotation).
pub fn parse(json: &str) -> Result<(KeySetDocument, Option<String>), RotationError> {
    #[derive(Deserialize)]
    struct Origin {
        #[serde(default)]
        rotated_from: Option<String>,
    }
    let document = KeySetDocument::from_json(json.as_bytes(), ORIGIN)?;
    // The document parsed, so this can fail only on the field's type; serde's message would
    // quote the value, so it is not passed on.
    let origin: Origin = serde_json::from_str(json)
        .map_err(|_| KeyError::Invalid(format!("{ORIGIN}: rotated_from is not a string")))?;
    Ok((document, origin.rotated_from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, initial_document};

    #[test]
    fn the_origin_round_trips_and_key_set_readers_ignore_it() {
        let document = initial_document(SigningAlgorithm::EdDSA, 1).unwrap();
        let json = to_json(&document, "v-1").unwrap();
        assert_eq!(
            parse(&json).unwrap(),
            (document.clone(), Some("v-1".into()))
        );
        assert_eq!(
            KeySetDocument::from_json(json.as_bytes(), "secret").unwrap(),
            document
        );
    }

    #[test]
    fn a_value_without_an_origin_has_none() {
        let document = initial_document(SigningAlgorithm::EdDSA, 1).unwrap();
        let json = serde_json::to_string(&document).unwrap();
        assert_eq!(parse(&json).unwrap().1, None);
    }
}
