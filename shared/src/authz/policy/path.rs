//! Paths as the policy reasons about them: a rule's path pattern compiled into segments, and a
//! request path split into segments, refusing any path a common backend might resolve to another
//! one (see [`is_safe_segment`] for the rule and why each case is refused).

const MAX_PATH_LEN: usize = 2048;
const MAX_SEGMENTS: usize = 64;

/// One segment of a rule's path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Literal(String),
    Param,
    /// `{labelpartner}`: bound to the caller's own labelpartner.
    Labelpartner,
    /// `{sub}`: bound to an end user's own user id.
    Subject,
}

pub(super) fn compile_path(path: &str) -> Result<(Vec<Segment>, bool), String> {
    if path == "/**" {
        return Ok((Vec::new(), true));
    }
    if path == "/" {
        return Ok((Vec::new(), false));
    }
    let body = path
        .strip_prefix('/')
        .ok_or_else(|| format!("path {path:?} must start with /"))?;
    let parts: Vec<&str> = body.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    let mut rest = false;
    let mut names: Vec<&str> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if *part == "**" {
            if !last {
                return Err(format!("path {path:?}: ** may only end a path"));
            }
            rest = true;
        } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let valid_name = name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid_name {
                return Err(format!("path {path:?}: invalid parameter name {name:?}"));
            }
            if names.contains(&name) {
                return Err(format!("path {path:?}: parameter {{{name}}} appears twice"));
            }
            names.push(name);
            segments.push(match name {
                "labelpartner" => Segment::Labelpartner,
                "sub" => Segment::Subject,
                _ => Segment::Param,
            });
        } else if is_safe_segment(part) && !part.contains(['{', '}', '*']) {
            segments.push(Segment::Literal(part.to_string()));
        } else {
            return Err(format!("path {path:?}: invalid segment {part:?}"));
        }
    }
    Ok((segments, rest))
}

/// The path's segments, or `None` for a path we refuse to reason about.
pub(super) fn split_path(path: &str) -> Option<Vec<&str>> {
    if path.len() > MAX_PATH_LEN || !path.starts_with('/') {
        return None;
    }
    if path == "/" {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    if segments.len() > MAX_SEGMENTS || !segments.iter().all(|s| is_safe_segment(s)) {
        return None;
    }
    Some(segments)
}

/// True for a segment that every common backend reads as the same one segment we see.
///
/// Refused, because at least one of Tomcat, Spring, Jetty, Node, Go or Python reads it
/// differently (a `..` that climbs, a `/` that splits, a segment that vanishes):
/// - empty (`//`, a trailing `/`), `.`, `..`, or dots only: removed, resolved or collapsed;
/// - `;` anywhere: Java servlet containers strip `;…` path parameters, so `..;` is `..` and
///   `lp-1;x` is `lp-1` there;
/// - `\`: some backends read it as `/`;
/// - a raw `?` or `#` (API Gateway never leaves one in a path): a backend that parses the path
///   as a URL again cuts it there;
/// - a leading or trailing space: older Spring path matching trims segments (CVE-2016-5007);
/// - control characters and anything not ASCII, raw or percent-encoded: backends differ in
///   charset, lenient (overlong) UTF-8 decoding (`%C0%AE` is `.` to some) and Unicode folding;
/// - a percent-encoded `/`, `\`, `.`, `%`, `;` or unreserved character (letters, digits, `-`,
///   `_`, `~`): some backends decode it before routing and others after, and no client needs
///   to encode an unreserved character (RFC 3986 §2.3);
/// - a malformed escape (`%`, `%zz`).
fn is_safe_segment(segment: &str) -> bool {
    let Some(decoded) = decode_segment(segment) else {
        return false;
    };
    !decoded.is_empty()
        && !decoded.iter().all(|&b| b == b'.')
        && decoded.first() != Some(&b' ')
        && decoded.last() != Some(&b' ')
}

/// The segment's bytes after percent-decoding, or `None` when a raw or encoded byte is one a
/// backend could read differently from us.
fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    let bytes = segment.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = if bytes[i] == b'%' {
            let value = hex_byte(bytes.get(i + 1..i + 3)?)?;
            if !may_be_percent_encoded(value) {
                return None;
            }
            i += 3;
            value
        } else {
            let raw = bytes[i];
            // Raw, they end the path for a backend that parses it as a URL again.
            if matches!(raw, b'?' | b'#') {
                return None;
            }
            i += 1;
            raw
        };
        if !is_plain_ascii(byte) || matches!(byte, b'\\' | b';') {
            return None;
        }
        decoded.push(byte);
    }
    Some(decoded)
}

/// Exactly two hex digits (`from_str_radix` alone would also take a sign, as in `%+1`).
fn hex_byte(digits: &[u8]) -> Option<u8> {
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// Printable ASCII or a space.
fn is_plain_ascii(byte: u8) -> bool {
    (0x20..0x7f).contains(&byte)
}

/// An escape that every backend decodes to the same byte at the same stage: not one of the
/// path's own delimiters, and not an unreserved character.
fn may_be_percent_encoded(byte: u8) -> bool {
    let delimiter = matches!(byte, b'/' | b'\\' | b'.' | b'%' | b';');
    let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~');
    !delimiter && !unreserved
}
