//! Time as Unix seconds, so that grant and verification logic take `now` as a plain argument.

use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch. A clock before 1970 reads as 0 rather than failing a request.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix seconds, or an RFC 3339 date-time (`2026-06-30T00:00:00Z`, `2026-06-30T02:00:00+02:00`;
/// fractional seconds are dropped). Anything else, a date without a time or a time without an
/// offset included, is `None`.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_as_rfc3339_or_unix_seconds() {
        assert_eq!(parse_timestamp("0"), Some(0));
        assert_eq!(parse_timestamp("1782777600"), Some(1_782_777_600));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_timestamp("2026-06-30T02:00:00+02:00"),
            Some(1_782_777_600)
        );
        assert_eq!(
            parse_timestamp("2026-06-29T19:00:00.123-05:00"),
            Some(1_782_777_600)
        );
        assert_eq!(parse_timestamp("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        for bad in [
            "",
            "2026-06-30",
            "2026-06-30T00:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-06-30T24:00:00Z",
            "2026-06-30T00:00:00+2:00",
            "2026-06-30T00:00:00.Z",
            "2026-06-3XT00:00:00Z",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }
}
