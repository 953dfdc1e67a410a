//! Picks the few request headers a function reads out of an event's header map as the JSON is
//! read, without copying the others (a browser's request carries a dozen or more). Names
//! compare without regard to case: API Gateway sends them lower-cased on HTTP APIs and as the
//! client wrote them on REST APIs.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::fmt;

/// The headers named, in order: `PickHeaders(["content-type", "authorization"])` reads a
/// header map (or `null`) into their values. A header the map names twice (in two cases, as a
/// REST API may pass them) is ambiguous and reads as absent: deny by default, rather than
/// letting the order of the JSON decide which credential counts.
pub struct PickHeaders<'n, const N: usize>(pub [&'n str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for PickHeaders<'_, N> {
    type Value = [Option<String>; N];

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for PickHeaders<'_, N> {
    type Value = [Option<String>; N];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of header names to values, or null")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok([const { None }; N])
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok([const { None }; N])
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: [Option<String>; N] = [const { None }; N];
        let mut seen = [0u8; N];
        while let Some(index) = map.next_key_seed(HeaderIndex(&self.0))? {
            match index {
                Some(i) => {
                    values[i] = map.next_value()?;
                    seen[i] = seen[i].saturating_add(1);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for (value, times) in values.iter_mut().zip(seen) {
            if times > 1 {
                *value = None;
            }
        }
        Ok(values)
    }
}

/// Which of the wanted names a header name is, read without copying it.
struct HeaderIndex<'a, 'n, const N: usize>(&'a [&'n str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for HeaderIndex<'_, '_, N> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for HeaderIndex<'_, '_, N> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a header name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|w| w.eq_ignore_ascii_case(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<const N: usize>(names: [&str; N], json: &str) -> [Option<String>; N] {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        PickHeaders(names).deserialize(&mut deserializer).unwrap()
    }

    #[test]
    fn the_wanted_headers_are_found_in_any_case_and_the_others_skipped() {
        let json = r#"{"Accept": "*/*", "AUTHORIZATION": "Bearer a", "x-api-key": "k",
                       "cookie": {"not": "a string"}, "Content-Type": "text/plain"}"#;
        assert_eq!(
            pick(["content-type", "authorization", "X-Api-Key"], json),
            [
                Some("text/plain".to_string()),
                Some("Bearer a".to_string()),
                Some("k".to_string())
            ]
        );
    }

    #[test]
    fn null_or_missing_values_and_null_maps_read_as_absent() {
        assert_eq!(pick(["authorization"], "null"), [None]);
        assert_eq!(pick(["authorization"], "{}"), [None]);
        assert_eq!(
            pick(["authorization"], r#"{"authorization": null}"#),
            [None]
        );
    }

    #[test]
    fn a_header_named_twice_is_ambiguous_and_reads_as_absent() {
        let json = r#"{"Authorization": "Bearer mine", "authorization": "Bearer theirs",
                       "content-type": "text/plain"}"#;
        assert_eq!(
            pick(["authorization", "content-type"], json),
            [None, Some("text/plain".to_string())]
        );
    }

    #[test]
    fn a_value_that_is_not_a_string_is_an_error() {
        let mut deserializer = serde_json::Deserializer::from_str(r#"{"authorization": 1}"#);
        assert!(
            PickHeaders(["authorization"])
                .deserialize(&mut deserializer)
                .is_err()
        );
    }
}
