//! HTTP helpers the end-to-end tests share (`mod support;` in each test file).

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::Value;

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Sends the request: (status, headers, body as JSON, or Null when empty).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({status}): {body}"))
    };
    (status, headers, json)
}

/// `GET url`: (status, headers, JSON body).
pub async fn get(url: String) -> (u16, reqwest::header::HeaderMap, Value) {
    send(http().get(url)).await
}

pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
