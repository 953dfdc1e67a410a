//! The policy's rules one by one: each rule kind, the `{labelpartner}` and `{sub}` bindings,
//! scopes, method forms, order independence, unsafe paths, invalid policies, the default
//! policy and the end-user example of docs/authorizer.md.

use super::*;
use crate::authz::CredentialKind;

fn admin() -> Principal {
    Principal::for_test(AccessLevel::Admin, None, "")
}

fn lp(id: &str) -> Principal {
    Principal::for_test(AccessLevel::Labelpartner, Some(id), "")
}

/// Two end users' ids (`sub`).
const ALICE: &str = "a11ce000000000000000000000000001";
const BOB: &str = "b0b00000000000000000000000000002";

/// An end user of `labelpartner`.
fn user(id: &str, labelpartner: &str) -> Principal {
    Principal::user_for_test(id, labelpartner, "")
}

fn policy(json: &str) -> AccessPolicy {
    AccessPolicy::from_json(json).unwrap()
}

/// A policy of one rule: `method` on `path` for `allow` callers, no scopes required.
fn one_rule(method: &str, path: &str, allow: &str) -> AccessPolicy {
    policy(
        &serde_json::json!({"rules": [{"method": method, "path": path, "allow": allow}]})
            .to_string(),
    )
}

fn allowed(policy: &AccessPolicy, method: &str, path: &str, who: &Principal) -> bool {
    matches!(
        policy.evaluate(method, path, who),
        PolicyDecision::Allow { .. }
    )
}

/// Why the policy refuses the call, or `None` when it allows it.
fn refusal(policy: &AccessPolicy, method: &str, path: &str, who: &Principal) -> Option<DenyReason> {
    match policy.evaluate(method, path, who) {
        PolicyDecision::Deny(reason) => Some(reason),
        PolicyDecision::Allow { .. } => None,
    }
}

#[test]
fn a_route_no_rule_matches_is_denied_even_for_admin() {
    let p = one_rule("GET", "/v1/whoami", "any");
    let no_rule = Some(DenyReason::NoMatchingRule);
    assert_eq!(refusal(&p, "GET", "/v1/other", &admin()), no_rule);
    assert_eq!(refusal(&p, "POST", "/v1/whoami", &admin()), no_rule);
}

#[test]
fn an_any_rule_admits_every_authenticated_caller() {
    let p = one_rule("GET", "/v1/whoami", "any");
    assert_eq!(
        p.evaluate("GET", "/v1/whoami", &lp("lp-1")),
        PolicyDecision::Allow { rule: 0 }
    );
    assert!(allowed(&p, "GET", "/v1/whoami", &admin()));
}

#[test]
fn an_admin_rule_admits_only_admin_callers() {
    let p = one_rule("*", "/v1/labelpartners", "admin");
    assert!(allowed(&p, "GET", "/v1/labelpartners", &admin()));
    assert_eq!(
        refusal(&p, "GET", "/v1/labelpartners", &lp("lp-1")),
        Some(DenyReason::CallerNotAllowed)
    );
}

#[test]
fn a_labelpartner_rule_admits_labelpartner_and_admin_callers() {
    let p = one_rule("GET", "/v1/account/{account_id}", "labelpartner");
    assert!(allowed(&p, "GET", "/v1/account/acc-9", &lp("lp-1")));
    assert!(allowed(&p, "GET", "/v1/account/acc-9", &admin()));
}

#[test]
fn a_labelpartner_segment_must_name_the_callers_own_labelpartner() {
    let p = one_rule("*", "/v1/labelpartners/{labelpartner}/**", "labelpartner");
    let own = lp("lp-1");
    assert!(allowed(&p, "GET", "/v1/labelpartners/lp-1/accounts", &own));
    assert_eq!(
        refusal(&p, "GET", "/v1/labelpartners/lp-2/accounts", &own),
        Some(DenyReason::LabelpartnerMismatch)
    );
    // Prefixes and case variants are other labelpartners.
    assert!(!allowed(&p, "GET", "/v1/labelpartners/lp-10/x", &own));
    assert!(!allowed(&p, "GET", "/v1/labelpartners/LP-1/x", &own));
    // Admin callers pass the labelpartner condition.
    let other = "/v1/labelpartners/lp-2/accounts/a";
    assert!(allowed(&p, "DELETE", other, &admin()));
}

#[test]
fn a_labelpartner_segment_binds_labelpartner_callers_in_any_rules_too() {
    let p = one_rule("GET", "/v1/labelpartners/{labelpartner}", "any");
    assert!(allowed(&p, "GET", "/v1/labelpartners/lp-1", &lp("lp-1")));
    assert!(!allowed(&p, "GET", "/v1/labelpartners/lp-2", &lp("lp-1")));
    assert!(allowed(&p, "GET", "/v1/labelpartners/lp-2", &admin()));
}

#[test]
fn a_labelpartner_caller_without_a_labelpartner_matches_no_labelpartner_segment() {
    let p = one_rule("GET", "/v1/labelpartners/{labelpartner}", "labelpartner");
    let orphan = Principal::for_test(AccessLevel::Labelpartner, None, "");
    assert_eq!(
        refusal(&p, "GET", "/v1/labelpartners/lp-1", &orphan),
        Some(DenyReason::LabelpartnerMismatch)
    );
}

#[test]
fn a_param_segment_matches_exactly_one_segment() {
    let p = one_rule("GET", "/v1/account/{account_id}", "any");
    assert!(allowed(&p, "GET", "/v1/account/a1", &lp("lp-1")));
    assert!(!allowed(&p, "GET", "/v1/account", &lp("lp-1")));
    assert!(!allowed(&p, "GET", "/v1/account/a1/meters", &lp("lp-1")));
}

#[test]
fn a_trailing_double_star_matches_zero_or_more_segments() {
    let p = one_rule("GET", "/v1/account/**", "any");
    assert!(allowed(&p, "GET", "/v1/account", &lp("lp-1")));
    assert!(allowed(&p, "GET", "/v1/account/a1/meters/m2", &lp("lp-1")));
    assert!(!allowed(&p, "GET", "/v1/accounts", &lp("lp-1")));
}

#[test]
fn required_scopes_must_all_be_granted_to_every_caller() {
    let p = policy(
        r#"{"rules": [{"method": "PUT", "path": "/v1/account/{id}", "allow": "any", "scopes": ["accounts:read", "accounts:write"]}]}"#,
    );
    let both = Principal::for_test(
        AccessLevel::Labelpartner,
        Some("lp-1"),
        "accounts:read accounts:write",
    );
    let one = Principal::for_test(AccessLevel::Labelpartner, Some("lp-1"), "accounts:read");
    assert!(allowed(&p, "PUT", "/v1/account/a", &both));
    let missing_scope = Some(DenyReason::MissingScope);
    assert_eq!(refusal(&p, "PUT", "/v1/account/a", &one), missing_scope);
    // A scope is a whole word of the scope claim, not a substring.
    let prefix = Principal::for_test(AccessLevel::Admin, None, "accounts:readx accounts:write");
    assert_eq!(refusal(&p, "PUT", "/v1/account/a", &prefix), missing_scope);
}

#[test]
fn methods_match_one_a_list_or_any() {
    let p = policy(
        r#"{"rules": [
            {"method": ["GET", "HEAD"], "path": "/a", "allow": "any"},
            {"method": "*", "path": "/b", "allow": "any"}]}"#,
    );
    assert!(allowed(&p, "HEAD", "/a", &lp("x")));
    assert!(!allowed(&p, "POST", "/a", &lp("x")));
    assert!(allowed(&p, "PATCH", "/b", &lp("x")));
}

#[test]
fn any_matching_rule_that_admits_the_caller_allows_whatever_the_order() {
    let p = policy(
        r#"{"rules": [
            {"method": "*", "path": "/**", "allow": "admin"},
            {"method": "GET", "path": "/v1/whoami", "allow": "any"}]}"#,
    );
    assert_eq!(
        p.evaluate("GET", "/v1/whoami", &lp("x")),
        PolicyDecision::Allow { rule: 1 }
    );
}

#[test]
fn paths_a_backend_might_resolve_differently_are_denied() {
    let p = one_rule("*", "/**", "any");
    for path in [
        "/v1/labelpartners/lp-1/../lp-2",
        "/v1/./whoami",
        "/v1//whoami",
        "/v1/whoami/",
        "/v1/lp-1%2F..%2Flp-2",
        "/v1/lp-1%2f..",
        "/v1/%2e%2e/x",
        "/v1/a%5cb",
        "/v1/a\\b",
        "/v1/a%252e",
        "/v1/a%00",
        "/v1/a%",
        "/v1/a%zz",
        "/v1/a%+4",
        "/v1/a\nb",
        "v1/no-leading-slash",
        "",
    ] {
        assert_eq!(
            p.evaluate("GET", path, &admin()),
            PolicyDecision::Deny(DenyReason::UnsafePath),
            "{path:?}"
        );
    }
    assert!(allowed(&p, "GET", "/", &admin()));
    assert!(allowed(&p, "GET", "/v1/a%20b", &admin()));
    let too_long = format!("/{}", "a/".repeat(100));
    assert!(!allowed(&p, "GET", &too_long, &admin()));
}

#[test]
fn paths_java_or_lenient_decoders_would_resolve_elsewhere_are_denied() {
    let p = one_rule("*", "/v1/labelpartners/{labelpartner}/**", "labelpartner");
    let caller = lp("lp-1");
    for path in [
        // Path parameters: Tomcat, Jetty and Spring strip `;…`, so `..;` climbs there.
        "/v1/labelpartners/lp-1/..;/lp-2/x",
        "/v1/labelpartners/lp-1/..;x/lp-2",
        "/v1/labelpartners/lp-1;a/x",
        "/v1/labelpartners/lp-1/;x",
        "/v1/labelpartners/lp-1/..%3B/lp-2",
        "/v1/labelpartners/lp-1/..%3b/lp-2",
        // Overlong and invalid UTF-8: `%C0%AE` is `.` and `%C0%AF` is `/` to a lenient decoder.
        "/v1/labelpartners/lp-1/%C0%AE%C0%AE/lp-2",
        "/v1/labelpartners/lp-1/%E0%80%AE%E0%80%AE/lp-2",
        "/v1/labelpartners/lp-1/..%C0%AFlp-2",
        "/v1/labelpartners/lp-1/%ED%A0%80",
        "/v1/labelpartners/lp-1/%FF",
        // Not ASCII at all, raw or encoded: charsets and Unicode folding differ.
        "/v1/labelpartners/lp-1/%EF%BC%8E%EF%BC%8E/lp-2",
        "/v1/labelpartners/lp-1/caf\u{e9}",
        "/v1/labelpartners/lp-1/caf%C3%A9",
        // Encoded NUL and unreserved characters; dots only; spaces a trimming matcher drops.
        "/v1/labelpartners/lp-1/a%00",
        "/v1/labelpartners/%6cp-1/x",
        "/v1/labelpartners/lp%2D1/x",
        "/v1/labelpartners/lp-1/...",
        "/v1/labelpartners/lp-1/%20../lp-2",
        "/v1/labelpartners/lp-1/..%20/lp-2",
        "/v1/labelpartners/lp-1/ ../lp-2",
        "/v1/labelpartners/lp-1/..\\lp-2",
        "/v1/labelpartners/lp-1/..%5Clp-2",
        "/v1/labelpartners/lp-1/x/..",
        // Raw `?` and `#` cut the path for a backend that parses it as a URL again.
        "/v1/labelpartners/lp-1/a?b",
        "/v1/labelpartners/lp-1/a#b",
        "/v1/labelpartners/lp-1/x/.",
    ] {
        assert_eq!(
            p.evaluate("GET", path, &caller),
            PolicyDecision::Deny(DenyReason::UnsafePath),
            "{path:?}"
        );
    }
    for path in [
        "/v1/labelpartners/lp-1/a%20b",
        "/v1/labelpartners/lp-1/a%40b%3Ac",
        "/v1/labelpartners/lp-1/a%3Fb%23c",
        "/v1/labelpartners/lp-1/a.b",
        "/v1/labelpartners/lp-1/v1.2/x",
    ] {
        assert!(allowed(&p, "GET", path, &caller), "{path:?}");
    }
}

// ---- end users, `user` rules and `{sub}` ----------------------------------------------

#[test]
fn a_user_rule_admits_end_users_labelpartner_clients_and_admins() {
    let p = one_rule("GET", "/v2/offers", "user");
    assert!(allowed(&p, "GET", "/v2/offers", &user(ALICE, "lp-1")));
    assert!(allowed(&p, "GET", "/v2/offers", &lp("lp-1")));
    assert!(allowed(&p, "GET", "/v2/offers", &admin()));
}

#[test]
fn an_any_rule_admits_end_users() {
    let p = one_rule("GET", "/v1/whoami", "any");
    assert!(allowed(&p, "GET", "/v1/whoami", &user(ALICE, "lp-1")));
}

#[test]
fn a_labelpartner_rule_never_admits_an_end_user_even_of_that_labelpartner() {
    let p = one_rule("*", "/v1/labelpartners/{labelpartner}/**", "labelpartner");
    let alice = user(ALICE, "lp-1");
    let not_allowed = Some(DenyReason::CallerNotAllowed);
    assert_eq!(
        refusal(&p, "GET", "/v1/labelpartners/lp-1", &alice),
        not_allowed
    );
    let own_record = format!("/v1/labelpartners/lp-1/users/{ALICE}");
    assert_eq!(refusal(&p, "GET", &own_record, &alice), not_allowed);
}

#[test]
fn an_admin_rule_never_admits_an_end_user() {
    let p = one_rule("*", "/**", "admin");
    assert_eq!(
        refusal(
            &p,
            "GET",
            &format!("/v2/users/{ALICE}"),
            &user(ALICE, "lp-1")
        ),
        Some(DenyReason::CallerNotAllowed)
    );
}

#[test]
fn a_sub_segment_must_name_the_users_own_id() {
    let p = one_rule("*", "/v2/users/{sub}/**", "user");
    let alice = user(ALICE, "lp-1");
    assert!(allowed(&p, "GET", &format!("/v2/users/{ALICE}"), &alice));
    assert!(allowed(
        &p,
        "PUT",
        &format!("/v2/users/{ALICE}/devices/d1"),
        &alice
    ));
    let mismatch = Some(DenyReason::SubjectMismatch);
    assert_eq!(
        refusal(&p, "GET", &format!("/v2/users/{BOB}"), &alice),
        mismatch
    );
    // Case variants, prefixes and extensions are other users.
    let upper = ALICE.to_uppercase();
    let short = &ALICE[..31];
    for other in [upper.as_str(), short, &format!("{ALICE}0")] {
        let path = format!("/v2/users/{other}/devices");
        assert_eq!(refusal(&p, "GET", &path, &alice), mismatch, "{other}");
    }
    // A path parameter is the id to a Java backend: refused before any rule.
    let with_parameter = format!("/v2/users/{ALICE};x/devices");
    assert_eq!(
        refusal(&p, "GET", &with_parameter, &alice),
        Some(DenyReason::UnsafePath)
    );
    // Another labelpartner's user with the same id is still only ever that id.
    assert!(allowed(
        &p,
        "GET",
        &format!("/v2/users/{ALICE}"),
        &user(ALICE, "lp-2")
    ));
}

#[test]
fn a_sub_segment_binds_end_users_in_any_rules_too() {
    let p = one_rule("GET", "/v2/users/{sub}", "any");
    assert!(allowed(
        &p,
        "GET",
        &format!("/v2/users/{ALICE}"),
        &user(ALICE, "lp-1")
    ));
    assert_eq!(
        refusal(&p, "GET", &format!("/v2/users/{BOB}"), &user(ALICE, "lp-1")),
        Some(DenyReason::SubjectMismatch)
    );
}

#[test]
fn a_labelpartner_segment_binds_end_users_to_their_own_labelpartner() {
    let p = one_rule("GET", "/v1/labelpartners/{labelpartner}", "any");
    let alice = user(ALICE, "lp-1");
    assert!(allowed(&p, "GET", "/v1/labelpartners/lp-1", &alice));
    assert_eq!(
        refusal(&p, "GET", "/v1/labelpartners/lp-2", &alice),
        Some(DenyReason::LabelpartnerMismatch)
    );
    assert!(!allowed(&p, "GET", "/v1/labelpartners/lp-10", &alice));
}

#[test]
fn an_end_user_must_match_both_labelpartner_and_sub() {
    let p = one_rule(
        "*",
        "/v1/labelpartners/{labelpartner}/users/{sub}/**",
        "user",
    );
    let alice = user(ALICE, "lp-1");
    let own = format!("/v1/labelpartners/lp-1/users/{ALICE}/meters");
    assert!(allowed(&p, "GET", &own, &alice));
    assert_eq!(
        refusal(
            &p,
            "GET",
            &format!("/v1/labelpartners/lp-2/users/{ALICE}"),
            &alice
        ),
        Some(DenyReason::LabelpartnerMismatch)
    );
    assert_eq!(
        refusal(
            &p,
            "GET",
            &format!("/v1/labelpartners/lp-1/users/{BOB}"),
            &alice
        ),
        Some(DenyReason::SubjectMismatch)
    );
}

#[test]
fn a_labelpartner_client_reaches_sub_segments_only_under_its_own_labelpartner() {
    let scoped = one_rule(
        "*",
        "/v1/labelpartners/{labelpartner}/users/{sub}/**",
        "user",
    );
    let client = lp("lp-1");
    // Any user of its own labelpartner: the backend holds which users those are.
    assert!(allowed(
        &scoped,
        "GET",
        &format!("/v1/labelpartners/lp-1/users/{BOB}"),
        &client
    ));
    assert_eq!(
        refusal(
            &scoped,
            "GET",
            &format!("/v1/labelpartners/lp-2/users/{BOB}"),
            &client
        ),
        Some(DenyReason::LabelpartnerMismatch)
    );
    // Without a labelpartner in the path, a sub could be any labelpartner's user.
    for allow in ["user", "any", "labelpartner"] {
        let unscoped = one_rule("*", "/v2/users/{sub}/**", allow);
        assert_eq!(
            refusal(&unscoped, "GET", &format!("/v2/users/{BOB}"), &client),
            Some(DenyReason::UnboundSubject),
            "{allow}"
        );
    }
}

#[test]
fn admin_callers_pass_sub_segments() {
    let p = one_rule("*", "/v2/users/{sub}/**", "user");
    assert!(allowed(
        &p,
        "DELETE",
        &format!("/v2/users/{BOB}/devices/d1"),
        &admin()
    ));
}

#[test]
fn scopes_bind_end_users_too() {
    let p = policy(
        r#"{"rules": [{"method": "PUT", "path": "/v2/users/{sub}", "allow": "user", "scopes": ["profile:write"]}]}"#,
    );
    let path = format!("/v2/users/{ALICE}");
    assert_eq!(
        refusal(&p, "PUT", &path, &user(ALICE, "lp-1")),
        Some(DenyReason::MissingScope)
    );
    let writer = Principal::user_for_test(ALICE, "lp-1", "profile:read profile:write");
    assert!(allowed(&p, "PUT", &path, &writer));
}

#[test]
fn paths_that_could_reach_another_user_are_denied() {
    let p = one_rule("*", "/v2/users/{sub}/**", "user");
    let alice = user(ALICE, "lp-1");
    for path in [
        format!("/v2/users/{ALICE}/../{BOB}"),
        format!("/v2/users/{ALICE}%2F..%2F{BOB}"),
        format!("/v2/users/{ALICE}/%2e%2e/{BOB}"),
        format!("/v2/users/{ALICE}/"),
        format!("/v2/users//{ALICE}"),
    ] {
        assert_eq!(
            refusal(&p, "GET", &path, &alice),
            Some(DenyReason::UnsafePath),
            "{path}"
        );
    }
    // An encoded id is the id to a backend that decodes it, and not to the policy.
    let encoded = format!("/v2/users/%61{}", &ALICE[1..]);
    assert_eq!(
        refusal(&p, "GET", &encoded, &alice),
        Some(DenyReason::UnsafePath)
    );
    // `/v2/users` itself names no user, so no `{sub}` rule matches it.
    assert_eq!(
        refusal(&p, "GET", "/v2/users", &alice),
        Some(DenyReason::NoMatchingRule)
    );
}

#[test]
fn the_default_policy_lets_an_end_user_reach_only_its_own_subtree_and_whoami() {
    let p = AccessPolicy::default_policy().unwrap();
    let alice = user(ALICE, "lp-1");
    for (method, path) in [
        ("GET", "/v1/whoami".to_string()),
        ("GET", format!("/v2/users/{ALICE}")),
        ("DELETE", format!("/v2/users/{ALICE}/devices/d1")),
    ] {
        assert!(allowed(&p, method, &path, &alice), "{method} {path}");
    }
    for (method, path) in [
        ("GET", format!("/v2/users/{BOB}")),
        ("GET", "/v2/users".to_string()),
        ("GET", "/v1/labelpartners/lp-1".to_string()),
        ("GET", format!("/v1/labelpartners/lp-1/users/{ALICE}")),
        ("GET", "/v1/labelpartners".to_string()),
        ("GET", "/v1/account/acc-1".to_string()),
        ("POST", "/v1/whoami".to_string()),
        ("GET", "/v2/token".to_string()),
        ("GET", "/".to_string()),
    ] {
        assert!(!allowed(&p, method, &path, &alice), "{method} {path}");
    }
    // Clients keep what they had; a labelpartner client's users are under its own tree.
    let client = lp("lp-1");
    assert!(allowed(
        &p,
        "GET",
        &format!("/v1/labelpartners/lp-1/users/{BOB}"),
        &client
    ));
    assert!(!allowed(&p, "GET", &format!("/v2/users/{BOB}"), &client));
    assert!(allowed(&p, "GET", &format!("/v2/users/{BOB}"), &admin()));
}

/// The example of docs/authorizer.md ("Example: end users' resources"), row by row.
#[test]
fn the_documented_end_user_example_holds() {
    let p = policy(
        r#"{"rules": [
            {"method": "GET", "path": "/v1/whoami", "allow": "any"},
            {"method": "*", "path": "/v1/labelpartners/{labelpartner}/**", "allow": "labelpartner"},
            {"method": ["GET", "PUT"], "path": "/v1/labelpartners/{labelpartner}/users/{sub}/profile",
             "allow": "user", "scopes": ["profile:write"]},
            {"method": "*", "path": "/v2/users/{sub}/**", "allow": "user"},
            {"method": "*", "path": "/**", "allow": "admin"}]}"#,
    );
    let scope = "profile:write";
    let alice = Principal::user_for_test(ALICE, "lp-1", scope);
    let client = Principal::for_test(AccessLevel::Labelpartner, Some("lp-1"), scope);
    let admin = Principal::for_test(AccessLevel::Admin, None, scope);
    for (method, path, expected) in [
        ("GET", "/v1/whoami".to_string(), [true, true, true]),
        (
            "GET",
            format!("/v2/users/{ALICE}/devices"),
            [true, false, true],
        ),
        ("GET", format!("/v2/users/{BOB}"), [false, false, true]),
        (
            "PUT",
            format!("/v1/labelpartners/lp-1/users/{ALICE}/profile"),
            [true, true, true],
        ),
        (
            "PUT",
            format!("/v1/labelpartners/lp-1/users/{BOB}/profile"),
            [false, true, true],
        ),
        (
            "PUT",
            format!("/v1/labelpartners/lp-2/users/{ALICE}/profile"),
            [false, false, true],
        ),
        (
            "GET",
            "/v1/labelpartners/lp-1/accounts".to_string(),
            [false, true, true],
        ),
        (
            "GET",
            format!("/v2/users/{ALICE}/../{BOB}"),
            [false, false, false],
        ),
    ] {
        let actual = [&alice, &client, &admin].map(|who| allowed(&p, method, &path, who));
        assert_eq!(actual, expected, "{method} {path}");
    }
    // Without `profile:write`, only the client's `{labelpartner}/**` rule still applies.
    let own_profile = format!("/v1/labelpartners/lp-1/users/{ALICE}/profile");
    assert!(!allowed(&p, "PUT", &own_profile, &user(ALICE, "lp-1")));
    assert!(allowed(&p, "PUT", &own_profile, &lp("lp-1")));
}

#[test]
fn invalid_policies_are_refused_when_loaded() {
    for (json, why) in [
        (r#"{"rules": []}"#, "no rules"),
        (
            r#"{"rules": [{"method": "get", "path": "/a", "allow": "any"}]}"#,
            "lower-case method",
        ),
        (
            r#"{"rules": [{"method": [], "path": "/a", "allow": "any"}]}"#,
            "empty method list",
        ),
        (
            r#"{"rules": [{"method": ["*"], "path": "/a", "allow": "any"}]}"#,
            "* in a list",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "a", "allow": "any"}]}"#,
            "relative path",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a/**/b", "allow": "any"}]}"#,
            "** inside",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a/*", "allow": "any"}]}"#,
            "single *",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a/{}", "allow": "any"}]}"#,
            "empty param",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/{a}/{a}", "allow": "any"}]}"#,
            "duplicate param",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a//b", "allow": "any"}]}"#,
            "empty segment",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a/..", "allow": "any"}]}"#,
            "dot segment",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a", "allow": "everyone"}]}"#,
            "unknown caller",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a", "allow": "any", "scopes": ["a b"]}]}"#,
            "bad scope",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a", "allow": "any", "extra": 1}]}"#,
            "unknown field",
        ),
        (
            r#"{"rules": [{"method": "GET", "path": "/a"}]}"#,
            "no allow",
        ),
        ("not json", "not JSON"),
    ] {
        assert!(AccessPolicy::from_json(json).is_err(), "{why}");
    }
}

#[test]
fn the_principal_helper_reads_the_scope_claim_as_words() {
    let p = Principal::for_test(AccessLevel::Admin, None, "a b");
    assert!(p.has_scope("a") && p.has_scope("b") && !p.has_scope("a b"));
    assert_eq!(p.auth_method, CredentialKind::OAuth2);
}
