//! Paths as the policy reasons about them: a rule's path pattern compiled into segments, and a
//! request path split into segments, refusing anything a backend might resolve differently.

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

/// Not empty, not `.` or `..`, no `\` or control characters, and no percent-encoding of `.`,
/// `/`, `\`, `%` or control characters, which a backend might decode into a different path.
fn is_safe_segment(segment: &str) -> bool {
    if segment.is_empty() || segment == "." || segment == ".." {
        return false;
    }
    let bytes = segment.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' || b < 0x20 || b == 0x7f {
            return false;
        }
        if b == b'%' {
            let hex = match bytes.get(i + 1..i + 3) {
                Some(h) => h,
                None => return false,
            };
            let value = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match value {
                None => return false,
                Some(v) if v < 0x20 || v == 0x7f || matches!(v, b'.' | b'/' | b'\\' | b'%') => {
                    return false;
                }
                Some(_) => {}
            }
        }
    }
    true
}
