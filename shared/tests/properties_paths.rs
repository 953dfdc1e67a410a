//! The access policy against path confusion, as a property: paths generated from segments that
//! backends read differently (`..`, `..;`, `;x`, `%2e%2e`, `%2f`, `%3b`, overlong UTF-8, `\`,
//! empty segments, …), evaluated with the default policy. Whatever is allowed must, under every
//! normalisation a backend might apply, stay inside the caller's own subtree (or another route
//! the policy allows that caller), and indeed mean exactly what it means undecoded.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use token_service::authz::{AccessPolicy, CredentialKind, PolicyDecision, Principal};
use token_service::domain::client::AccessLevel;
use token_service::testing::client;

const ALICE: &str = "a11ce000000000000000000000000001";
const BOB: &str = "b0b00000000000000000000000000002";

/// Segments any backend reads as themselves.
const ORDINARY: &[&str] = &[
    "lp-1",
    "lp-2",
    "v1",
    "v2",
    "labelpartners",
    "users",
    "account",
    "whoami",
    ALICE,
    BOB,
    "x",
    "a.b",
    "a%20b",
    "a%40b",
    "a%3Fb",
];

/// Segments some backend reads differently: every trick we know of.
const TRICKS: &[&str] = &[
    "",
    ".",
    "..",
    "...",
    "..;",
    "..;x",
    ";x",
    "lp-1;a",
    "lp-2;",
    "%2e%2e",
    "%2E.",
    ".%2e",
    "%2e",
    "%2f",
    "..%2flp-2",
    "lp-1%2f..%2flp-2",
    "%3b",
    "..%3B",
    "%C0%AE%C0%AE",
    "%C0%AE",
    "%E0%80%AE%E0%80%AE",
    "%C0%AF",
    "..%C0%AFlp-2",
    "%EF%BC%8E%EF%BC%8E",
    "..%EF%BC%8Flp-2",
    "\\",
    "..\\lp-2",
    "%5c",
    "..%5Clp-2",
    "%252e%252e",
    "%00",
    "lp-1%00",
    "%20..",
    "..%20",
    " ..",
    "%6cp-2",
    "%2D",
    "?",
    "lp-1?/../lp-2",
    "#",
];

/// Where a generated path starts, so that allowed paths are common enough to test.
const PREFIXES: &[&str] = &[
    "",
    "/v1",
    "/v1/labelpartners",
    "/v1/labelpartners/lp-1",
    "/v1/account",
    "/v1/whoami",
    "/v2/users",
    "/v2/users/a11ce000000000000000000000000001",
];

fn generated_path() -> impl Strategy<Value = String> {
    (
        prop::sample::select(PREFIXES),
        prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(ORDINARY),
                2 => prop::sample::select(TRICKS),
            ],
            0..7,
        ),
    )
        .prop_map(|(prefix, segments)| {
            if segments.is_empty() {
                if prefix.is_empty() { "/" } else { prefix }.to_string()
            } else {
                format!("{prefix}/{}", segments.join("/"))
            }
        })
}

fn labelpartner_client() -> Principal {
    Principal::from_api_key_client(&client("lp1-client").labelpartner("lp-1").build())
}

/// An end user of `lp-1`; users have no builder of their own as callers.
fn end_user() -> Principal {
    Principal {
        sub: ALICE.into(),
        client_id: "lp1-app".into(),
        access_level: AccessLevel::User,
        labelpartner: Some("lp-1".into()),
        scope: String::new(),
        jti: Some("jti-1".into()),
        auth_method: CredentialKind::OAuth2,
    }
}

fn allows(path: &str, caller: &Principal) -> bool {
    let policy = AccessPolicy::default_policy().expect("the default policy loads");
    matches!(
        policy.evaluate("GET", path, caller),
        PolicyDecision::Allow { .. }
    )
}

/// `path` is `root` or below it.
fn within(path: &str, root: &str) -> bool {
    path == root
        || path
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Where the default policy lets a labelpartner client of `lp-1` go.
fn labelpartner_may_reach(path: &str) -> bool {
    path == "/v1/whoami" || within(path, "/v1/labelpartners/lp-1") || within(path, "/v1/account")
}

/// Where the default policy lets the end user ALICE go.
fn end_user_may_reach(path: &str) -> bool {
    path == "/v1/whoami" || within(path, &format!("/v2/users/{ALICE}"))
}

// ---- what backends do to a path ------------------------------------------------------------

/// Every `%XX` decoded once; a malformed escape is kept as it is.
fn percent_decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escape {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

/// Strict UTF-8, invalid sequences replaced: what Go, Node and Python do.
fn decode_strict(path: &str) -> String {
    String::from_utf8_lossy(&percent_decode(path)).into_owned()
}

/// A lenient decoder of the kind old Java and IIS shipped: overlong two- and three-byte forms
/// are read as the ASCII they encode (`%C0%AE` is `.`), and fullwidth forms fold to ASCII
/// (`%EF%BC%8E` is `.`), as Unicode compatibility normalisation does.
fn decode_lenient(path: &str) -> String {
    let bytes = percent_decode(path);
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (b == 0xC0 || b == 0xC1) && i + 1 < bytes.len() {
            out.push(char::from(((b & 0x1F) << 6) | (bytes[i + 1] & 0x3F)));
            i += 2;
        } else if b == 0xE0 && i + 2 < bytes.len() && bytes[i + 1] < 0xA0 {
            let value = (u32::from(bytes[i + 1] & 0x3F) << 6) | u32::from(bytes[i + 2] & 0x3F);
            out.push(char::from_u32(value).unwrap_or('\u{FFFD}'));
            i += 3;
        } else {
            let len = match b {
                0x00..=0x7F => 1,
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let end = (i + len).min(bytes.len());
            out.push_str(&String::from_utf8_lossy(&bytes[i..end]));
            i = end;
        }
    }
    out.chars()
        .map(|c| match u32::from(c) {
            fullwidth @ 0xFF01..=0xFF5E => char::from_u32(fullwidth - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// RFC 3986 §5.2.4 on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    output.pop();
                }
                if i == last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    format!("/{}", output.join("/"))
}

/// Drops every `;…` up to the next `/`, as servlet containers do with path parameters.
fn strip_path_parameters(path: &str) -> String {
    path.split('/')
        .map(|segment| segment.split(';').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("/")
}

/// Generic: decode, then remove dot segments (RFC 3986).
fn rfc3986(path: &str) -> String {
    remove_dot_segments(&decode_strict(path))
}

/// Tomcat, Jetty, Spring: strip path parameters, decode leniently, strip again (`%3B` became
/// `;`), then resolve dot segments.
fn java(path: &str) -> String {
    let decoded = decode_lenient(&strip_path_parameters(path));
    remove_dot_segments(&strip_path_parameters(&decoded))
}

/// Go's `path.Clean`, Node's `path.normalize`, and friends: the path parsed as a URL again (cut
/// at a raw `?` or `#`), decoded twice (a proxy and then the application), `\` as `/`, each
/// segment trimmed (old Spring matching), `//` collapsed, dots resolved.
fn collapsing(path: &str) -> String {
    let reparsed = path.split(['?', '#']).next().unwrap_or("");
    let decoded = decode_strict(&decode_strict(reparsed)).replace('\\', "/");
    let segments: Vec<&str> = decoded
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    remove_dot_segments(&format!("/{}", segments.join("/")))
}

/// How one kind of backend rewrites a path before routing it.
type Normaliser = fn(&str) -> String;

const NORMALISERS: [(&str, Normaliser); 3] = [
    ("rfc3986", rfc3986),
    ("java", java),
    ("collapsing", collapsing),
];

/// For an allowed path: every normalisation lands where the caller may go, and reads the path
/// exactly as it reads undecoded (no segment moved, merged, dropped or climbed).
fn assert_means_the_same_everywhere(
    path: &str,
    may_reach: impl Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    for (name, normalise) in NORMALISERS {
        let normalised = normalise(path);
        prop_assert!(
            may_reach(&normalised),
            "{path:?} is allowed but {name} reads it as {normalised:?}"
        );
        prop_assert_eq!(
            &normalised,
            &decode_strict(path),
            "{:?} is allowed but {} changes its shape",
            path,
            name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn a_labelpartner_client_reaches_nothing_outside_its_own_subtree(path in generated_path()) {
        if allows(&path, &labelpartner_client()) {
            assert_means_the_same_everywhere(&path, labelpartner_may_reach)?;
        }
    }

    #[test]
    fn an_end_user_reaches_nothing_outside_its_own_subtree(path in generated_path()) {
        if allows(&path, &end_user()) {
            assert_means_the_same_everywhere(&path, end_user_may_reach)?;
        }
    }

    /// Any printable ASCII after an allowed prefix, and any string at all: no panic, and the
    /// same promise for whatever is allowed.
    #[test]
    fn random_text_after_an_allowed_prefix_keeps_the_promise(
        prefix in prop::sample::select(PREFIXES),
        rest in prop_oneof!["[ -~]{0,40}", any::<String>()],
    ) {
        let path = format!("{prefix}/{rest}");
        if allows(&path, &labelpartner_client()) {
            assert_means_the_same_everywhere(&path, labelpartner_may_reach)?;
        }
        if allows(&path, &end_user()) {
            assert_means_the_same_everywhere(&path, end_user_may_reach)?;
        }
    }
}

/// The properties above say nothing if nothing is ever allowed: the generator must reach
/// allowed paths, including deep ones, for both callers.
#[test]
fn the_generated_paths_include_allowed_ones() {
    let mut runner = TestRunner::deterministic();
    let strategy = generated_path();
    let paths: Vec<String> = (0..2000)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let deep_allowed = |caller: &Principal| {
        paths
            .iter()
            .filter(|p| p.matches('/').count() >= 5 && allows(p, caller))
            .count()
    };
    let (client, user) = (
        deep_allowed(&labelpartner_client()),
        deep_allowed(&end_user()),
    );
    assert!(client >= 20 && user >= 20, "{client} and {user} of 2000");
}

/// The normalisers themselves, on the attacks the policy used to let through.
#[test]
fn the_normalisers_see_the_known_attacks() {
    assert_eq!(
        java("/v1/labelpartners/lp-1/..;/lp-2/x"),
        "/v1/labelpartners/lp-2/x"
    );
    assert_eq!(
        java("/v1/labelpartners/lp-1;a/x"),
        "/v1/labelpartners/lp-1/x"
    );
    assert_eq!(
        java("/v1/labelpartners/lp-1/%C0%AE%C0%AE/lp-2"),
        "/v1/labelpartners/lp-2"
    );
    assert_eq!(
        java("/v1/labelpartners/lp-1/..%3B/lp-2"),
        "/v1/labelpartners/lp-2"
    );
    assert_eq!(
        rfc3986("/v1/labelpartners/lp-1/%2e%2e/lp-2"),
        "/v1/labelpartners/lp-2"
    );
    assert_eq!(
        collapsing("/v1/labelpartners/lp-1/%20../lp-2"),
        "/v1/labelpartners/lp-2"
    );
    assert_eq!(
        collapsing("/v1//labelpartners\\lp-1"),
        "/v1/labelpartners/lp-1"
    );
}
