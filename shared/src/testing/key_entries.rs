//! Looking into a key-set document the way tests check rotations: which key holds a state.

use crate::keys::{KeyEntry, KeySetDocument, KeyState};

/// The one key of `document` in `state`; panics (with the document's kids and states) unless
/// exactly one key is, since every rotation keeps one current and one next key.
pub fn sole_key(document: &KeySetDocument, state: KeyState) -> &KeyEntry {
    let mut in_state = document.keys.iter().filter(|k| k.state == state);
    match (in_state.next(), in_state.next()) {
        (Some(key), None) => key,
        _ => panic!("exactly one {state:?} key expected: {document:?}"),
    }
}
