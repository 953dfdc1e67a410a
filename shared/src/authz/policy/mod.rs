//! The access policy: which authenticated callers may call which routes, as data.
//!
//! ```json
//! {"rules": [
//!   {"method": "GET", "path": "/v1/whoami", "allow": "any"},
//!   {"method": "*", "path": "/v1/labelpartners/{labelpartner}/**", "allow": "labelpartner"},
//!   {"method": ["GET", "PUT"], "path": "/v1/account/{account_id}", "allow": "labelpartner",
//!    "scopes": ["accounts:write"]},
//!   {"method": "*", "path": "/v2/users/{sub}/**", "allow": "user"},
//!   {"method": "*", "path": "/**", "allow": "admin"}
//! ]}
//! ```
//!
//! - `method`: one method, a list of methods, or `*`.
//! - `path`: `/`-separated segments. A literal segment matches itself (case-sensitive); `{name}`
//!   matches any one segment; a final `**` matches zero or more further segments. Two
//!   parameters are bound to the caller, in every rule whatever its `allow`:
//!   - `{labelpartner}` must equal the labelpartner of a labelpartner client or an end user;
//!   - `{sub}` must equal an end user's own user id. A labelpartner client passes a `{sub}`
//!     only in a path that also has `{labelpartner}` (its own): without one, the path could name
//!     any labelpartner's user.
//! - `allow`: callers rank admin ⊃ labelpartner ⊃ user. `admin` admits admin callers only,
//!   `labelpartner` labelpartner clients and admins (never end users: a user must not reach its
//!   labelpartner's resources), `user` end users and the two client levels, `any` every
//!   authenticated caller. `user` and `any` admit the same callers today; `user` says the route
//!   is an end user's.
//! - `scopes`: scopes the caller's token must all carry (every caller, admin included: a token is
//!   never worth more than what it was granted).
//!
//! A request is allowed when at least one rule that matches its method and path allows the
//! caller; admin callers pass every rule's caller, `{labelpartner}` and `{sub}` conditions. A
//! request that no rule matches is denied: the order of the rules never matters.
//!
//! A path that could mean something else to the service behind the gateway is denied before any
//! rule is looked at (`path.rs` says why for each case): empty, `.`, `..` or dots-only
//! segments (so no `//` and no trailing `/`); `;` anywhere (Java's path parameters: `..;` is
//! `..` there); `\`; a raw `?` or `#`; a segment with a leading or trailing space; control
//! characters and anything not ASCII, raw or percent-encoded (so no overlong UTF-8 such as
//! `%C0%AE`); a percent-encoded `/`, `\`, `.`, `%`, `;` or unreserved character; a malformed
//! escape.

use serde::Deserialize;

mod path;
#[cfg(test)]
mod tests;

use path::{Segment, compile_path, split_path};

use super::Principal;
use crate::domain::client::{AccessLevel, is_scope_token};
use crate::http::is_method_token;

/// The default policy shipped with the service (`shared/policies/default.json`).
const DEFAULT_POLICY_JSON: &str = include_str!("../../../policies/default.json");

/// Who a rule lets through, by access level; the lowest level a rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    Admin,
    Labelpartner,
    User,
    Any,
}

impl Caller {
    fn admits(self, level: AccessLevel) -> bool {
        use AccessLevel as L;
        match self {
            Caller::Any => true,
            Caller::User => matches!(level, L::User | L::Labelpartner | L::Admin),
            Caller::Labelpartner => matches!(level, L::Labelpartner | L::Admin),
            Caller::Admin => level == L::Admin,
        }
    }
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
    /// A `{sub}` segment names another user.
    SubjectMismatch,
    /// A labelpartner client on a `{sub}` segment in a path that names no labelpartner: the
    /// user could be anyone's.
    UnboundSubject,
    MissingScope,
}

impl DenyReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::UnsafePath => "unsafe_path",
            DenyReason::NoMatchingRule => "no_matching_rule",
            DenyReason::CallerNotAllowed => "caller_not_allowed",
            DenyReason::LabelpartnerMismatch => "labelpartner_mismatch",
            DenyReason::SubjectMismatch => "subject_mismatch",
            DenyReason::UnboundSubject => "unbound_subject",
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
                    Segment::Param | Segment::Labelpartner | Segment::Subject => true,
                })
    }

    fn admits(&self, path: &[&str], principal: &Principal) -> Result<(), DenyReason> {
        if !self.caller.admits(principal.access_level) {
            return Err(DenyReason::CallerNotAllowed);
        }
        self.check_bound_segments(path, principal)?;
        if !self.scopes.iter().all(|s| principal.has_scope(s)) {
            return Err(DenyReason::MissingScope);
        }
        Ok(())
    }

    /// `{labelpartner}` and `{sub}` must name the caller itself (admins are bound by neither).
    fn check_bound_segments(&self, path: &[&str], principal: &Principal) -> Result<(), DenyReason> {
        let own_labelpartner = principal.labelpartner.as_deref();
        let labelpartners_own = self
            .values_of(Segment::Labelpartner, path)
            .all(|value| own_labelpartner == Some(value));
        match principal.access_level {
            AccessLevel::Admin => Ok(()),
            AccessLevel::Labelpartner => {
                if !labelpartners_own {
                    Err(DenyReason::LabelpartnerMismatch)
                } else if self.has(Segment::Subject) && !self.has(Segment::Labelpartner) {
                    Err(DenyReason::UnboundSubject)
                } else {
                    Ok(())
                }
            }
            AccessLevel::User => {
                if !labelpartners_own {
                    Err(DenyReason::LabelpartnerMismatch)
                } else if !self
                    .values_of(Segment::Subject, path)
                    .all(|value| value == principal.sub)
                {
                    Err(DenyReason::SubjectMismatch)
                } else {
                    Ok(())
                }
            }
        }
    }

    fn has(&self, kind: Segment) -> bool {
        self.segments.contains(&kind)
    }

    /// The request's values of the rule's segments of this kind.
    fn values_of<'p>(&self, kind: Segment, path: &[&'p str]) -> impl Iterator<Item = &'p str> {
        self.segments
            .iter()
            .zip(path.iter().copied())
            .filter(move |(segment, _)| **segment == kind)
            .map(|(_, value)| value)
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
