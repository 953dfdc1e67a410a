//! What every entrypoint answers, framework-neutral ([`HttpResponse`]; the entrypoints write it
//! as an API Gateway proxy response), and the HTTP syntax rules the logic shares.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl HttpResponse {
    /// A JSON response that no cache may keep (RFC 6749 §5.1: token responses carry
    /// `Cache-Control: no-store` and `Pragma: no-cache`; errors too, so nothing stale is served).
    pub fn no_store_json(status: u16, body: &impl Serialize) -> Self {
        let body = serde_json::to_string(body).unwrap_or_else(|_| {
            r#"{"error":"server_error","error_description":"response could not be encoded"}"#
                .to_string()
        });
        HttpResponse {
            status,
            headers: vec![
                ("content-type", "application/json;charset=UTF-8".into()),
                ("cache-control", "no-store".into()),
                ("pragma", "no-cache".into()),
            ],
            body,
        }
    }

    /// A response without a body that no cache may keep (RFC 7009 §2.2: a revocation's 200).
    pub fn no_store_empty(status: u16) -> Self {
        HttpResponse {
            status,
            headers: vec![
                ("cache-control", "no-store".into()),
                ("pragma", "no-cache".into()),
            ],
            body: String::new(),
        }
    }

    /// A public JSON document that caches may keep for `max_age` seconds.
    pub fn cacheable_json(body: &impl Serialize, max_age: u32) -> Self {
        let body = serde_json::to_string(body).unwrap_or_default();
        Self::cacheable("application/json;charset=UTF-8", body, max_age)
    }

    /// A public document of any media type that caches may keep for `max_age` seconds.
    pub fn cacheable(content_type: &'static str, body: String, max_age: u32) -> Self {
        HttpResponse {
            status: 200,
            headers: vec![
                ("content-type", content_type.into()),
                ("cache-control", format!("public, max-age={max_age}")),
            ],
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP method as API Gateway names it in an ARN and as a policy may name it: 1 to 16
/// upper-case ASCII letters.
pub fn is_method_token(method: &str) -> bool {
    !method.is_empty() && method.len() <= 16 && method.bytes().all(|b| b.is_ascii_uppercase())
}
