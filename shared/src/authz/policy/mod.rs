//! The access policy: which authenticated callers may call which routes, as data.
//!
//! ```json
//! {"rules": [
//!   {"method": "GET", "path": "/v1/whoami", "allow": "any"},
//!   {"method": "*", "path": "/v1/labelpartners/{labelpartner}/**", "allow": "labelpartner"},
//!   {"method": ["GET", "PUT"], "path": "/v1/account/{account_id}", "allow": "labelpartner",
//!    "scopes": ["accounts:write"]},
//!   {"method": "*", "path": "/**", "allow": "admin"}
//! ]}
//! ```
//!
//! - `method`: one method, a list of methods, or `*`.
//! - `path`: `/`-separated segments. A literal segment matches itself (case-sensitive); `{name}`
//!   matches any one segment; `{labelpartner}` matches one segment that, for a labelpartner-level
//!   caller, must equal the caller's own labelpartner; a final `**` matches zero or more further
//!   segments.
//! - `allow`: `admin` (admin callers only), `labelpartner` (labelpartner and admin callers) or
//!   `any` (every authenticated caller).
//! - `scopes`: scopes the caller's token must all carry (every caller, admin included: a token is
//!   never worth more than what it was granted).
//!
//! A request is allowed when at least one rule that matches its method and path allows the
//! caller; admin callers pass every rule's caller and `{labelpartner}` conditions. A request that
//! no rule matches is denied, and so is a path that could mean something else to the service
//! behind the gateway (`.`/`..` or empty segments, encoded `/`, `\`, `.` or `%`, control
//! characters): the order of the rules never matters.

use serde::Deserialize;

mod path;

use path::{Segment, compile_path, split_path};

use super::Principal;
use crate::domain::client::{AccessLevel, is_scope_token};
use crate::http::is_method_token;

/// The default policy shipped with the service (`shared/policies/default.json`).
const DEFAULT_POLICY_JSON: &str = include_str!("../../../policies/default.json");

/// Who a rule lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    Admin,
    Labelpartner,
    Any,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MethodSpec {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleJson {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    method: MethodSpec,
    path: String,
    allow: Caller,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyJson {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    rules: Vec<RuleJson>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None`: any method.
    methods: Option<Vec<String>>,
    segments: Vec<Segment>,
    /// Ends with `**`.
    rest: bool,
    caller: Caller,
    scopes: Vec<String>,
}

/// A policy that parsed and passed every check; evaluating it cannot fail.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access policy: {0}")]
pub struct PolicyError(pub String);

/// Why a request was denied (for logs; callers only ever see 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// The path has segments a backend could resolve differently from us.
    UnsafePath,
    NoMatchingRule,
    /// A rule matched, but it is for a higher access level.
    CallerNotAllowed,
    /// A `{labelpartner}` segment names another labelpartner.
    LabelpartnerMismatch,
    MissingScope,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::UnsafePath => "unsafe_path",
            DenyReason::NoMatchingRule => "no_matching_rule",
            DenyReason::CallerNotAllowed => "caller_not_allowed",
            DenyReason::LabelpartnerMismatch => "labelpartner_mismatch",
            DenyReason::MissingScope => "missing_scope",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDecision {
    /// Allowed by the rule at this index of the document.
    Allow {
        rule: usize,
    },
    Deny(DenyReason),
}

impl AccessPolicy {
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let document: PolicyJson =
            serde_json::from_str(json).map_err(|e| PolicyError(e.to_string()))?;
        if document.rules.is_empty() {
            return Err(PolicyError(
                "a policy needs at least one rule (with none, every request is denied)".into(),
            ));
        }
        let rules = document
            .rules
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                compile_rule(rule).map_err(|e| PolicyError(format!("rule {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?;
        Ok(AccessPolicy { rules })
    }

    /// The policy in `shared/policies/default.json`.
    pub fn default_policy() -> Result<Self, PolicyError> {
        Self::from_json(DEFAULT_POLICY_JSON)
    }

    pub fn evaluate(&self, method: &str, path: &str, principal: &Principal) -> PolicyDecision {
        let Some(segments) = split_path(path) else {
            return PolicyDecision::Deny(DenyReason::UnsafePath);
        };
        let mut first_refusal = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches(method, &segments) {
                continue;
            }
            match rule.admits(&segments, principal) {
                Ok(()) => return PolicyDecision::Allow { rule: index },
                Err(reason) => {
                    first_refusal.get_or_insert(reason);
                }
            }
        }
        PolicyDecision::Deny(first_refusal.unwrap_or(DenyReason::NoMatchingRule))
    }
}

impl Rule {
    fn matches(&self, method: &str, path: &[&str]) -> bool {
        let method_ok = match &self.methods {
            None => true,
            Some(methods) => methods.iter().any(|m| m.eq_ignore_ascii_case(method)),
        };
        let shape_ok = if self.rest {
            path.len() >= self.segments.len()
        } else {
            path.len() == self.segments.len()
        };
        method_ok
            && shape_ok
            && self
                .segments
                .iter()
                .zip(path)
                .all(|(segment, value)| match segment {
                    Segment::Literal(literal) => literal == value,
                    Segment::Param | Segment::Labelpartner => true,
                })
    }

    fn admits(&self, path: &[&str], principal: &Principal) -> Result<(), DenyReason> {
        let level = principal.access_level;
        let level_ok = match self.caller {
            Caller::Any => true,
            Caller::Labelpartner => matches!(level, AccessLevel::Labelpartner | AccessLevel::Admin),
            Caller::Admin => level == AccessLevel::Admin,
        };
        if !level_ok {
            return Err(DenyReason::CallerNotAllowed);
        }
        if level == AccessLevel::Labelpartner {
            let own = principal.labelpartner.as_deref();
            let all_own = self
                .segments
                .iter()
                .zip(path)
                .filter(|(segment, _)| **segment == Segment::Labelpartner)
                .all(|(_, value)| own == Some(*value));
            if !all_own {
                return Err(DenyReason::LabelpartnerMismatch);
            }
        }
        if !self.scopes.iter().all(|s| principal.has_scope(s)) {
            return Err(DenyReason::MissingScope);
        }
        Ok(())
    }
}

fn compile_rule(rule: RuleJson) -> Result<Rule, String> {
    let methods = match rule.method {
        MethodSpec::One(m) if m == "*" => None,
        MethodSpec::One(m) => Some(vec![valid_method(m)?]),
        MethodSpec::Many(list) if list.is_empty() => return Err("an empty method list".into()),
        MethodSpec::Many(list) if list.iter().any(|m| m == "*") => {
            return Err("`*` stands alone, not in a list".into());
        }
        MethodSpec::Many(list) => Some(
            list.into_iter()
                .map(valid_method)
                .collect::<Result<_, _>>()?,
        ),
    };
    let (segments, rest) = compile_path(&rule.path)?;
    for scope in &rule.scopes {
        if !is_scope_token(scope) {
            return Err(format!("invalid scope {scope:?}"));
        }
    }
    Ok(Rule {
        methods,
        segments,
        rest,
        caller: rule.allow,
        scopes: rule.scopes,
    })
}

fn valid_method(method: String) -> Result<String, String> {
    if is_method_token(&method) {
        Ok(method)
    } else {
        Err(format!(
            "invalid method {method:?} (an upper-case HTTP method, a list of them, or *)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::CredentialKind;

    fn admin() -> Principal {
        Principal::for_test(AccessLevel::Admin, None, "")
    }

    fn lp(id: &str) -> Principal {
        Principal::for_test(AccessLevel::Labelpartner, Some(id), "")
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
    fn refusal(
        policy: &AccessPolicy,
        method: &str,
        path: &str,
        who: &Principal,
    ) -> Option<DenyReason> {
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
}
