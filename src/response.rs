//! Turning handler results into runtime responses: the one place that builds them.
//!
//! Handlers produce a `Reply`, plain data that needs no runtime; the middleware adds the
//! headers every response carries and hands it to the runtime in a single call
//! (`Reply::into_web`). Building a `worker::Response` and then setting headers on it costs a
//! JS↔wasm crossing per step (Headers, each header, ResponseInit, status, body), which
//! showed up in the CPU profile of every request.

use serde::Serialize;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::web_sys;

use crate::error::ApiError;

/// A response: status, headers (`Content-Type` among them) and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// A typed JSON body, serialised with status 200.
pub struct Json<T>(pub T);

/// A typed JSON body with 202 Accepted: the work goes on after the response.
pub struct Accepted<T>(pub T);

/// A static HTML page.
pub struct Html(pub &'static str);

/// An upstream's answer passed on: its status, content type and body, with `Cache-Status`
/// when the upstream is cached.
pub struct Relayed {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub cache_status: Option<String>,
}

/// A body that is already valid JSON (e.g. relayed from an upstream), sent as is.
pub struct RawJson(pub Vec<u8>);

pub trait IntoResponse {
    fn into_response(self) -> Result<Reply, ApiError>;
}

#[wasm_bindgen(inline_js = r#"
export function build_response(status, headers, body) {
  const init = { status, headers: new Headers() };
  const list = headers.split("\n");
  for (let i = 1; i < list.length; i += 2) init.headers.append(list[i - 1], list[i]);
  const nullBody = status === 101 || status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : body.slice(), init);
}
"#)]
extern "C" {
    /// `headers` is `name\nvalue\n…`: header names and values never contain a newline.
    fn build_response(status: u16, headers: &str, body: &[u8]) -> web_sys::Response;
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Reply { status, headers: vec![("Content-Type", content_type.to_owned())], body }
    }

    /// No body, no content type (e.g. 204).
    pub fn empty(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(&mut self, name: &'static str, value: impl Into<String>) {
        self.headers.push((name, value.into()));
    }

    /// The runtime's response, built in one call.
    pub fn into_web(self) -> web_sys::Response {
        build_response(self.status, &self.encoded_headers(), &self.body)
    }

    fn encoded_headers(&self) -> String {
        encode_header_lines(self.headers.iter().map(|(name, value)| (*name, value.as_str())))
    }
}

/// Headers as `name\nvalue\n…` for the JS helpers that build a `Headers` object in one call.
pub fn encode_header_lines<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut encoded = String::new();
    for (name, value) in headers {
        if !encoded.is_empty() {
            encoded.push('\n');
        }
        encoded.push_str(name);
        encoded.push('\n');
        // A newline would split the list; no valid header value has one.
        encoded.extend(value.chars().filter(|c| *c != '\n' && *c != '\r'));
    }
    encoded
}

fn json_reply<T: Serialize>(status: u16, value: &T) -> Result<Reply, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal { detail: format!("could not encode the response: {e}") })?;
    Ok(Reply::new(status, "application/json", body))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Result<Reply, ApiError> {
        json_reply(200, &self.0)
    }
}

impl<T: Serialize> IntoResponse for Accepted<T> {
    fn into_response(self) -> Result<Reply, ApiError> {
        json_reply(202, &self.0)
    }
}

impl IntoResponse for Html {
    fn into_response(self) -> Result<Reply, ApiError> {
        Ok(Reply::new(200, "text/html; charset=utf-8", self.0.as_bytes().to_vec()))
    }
}

impl IntoResponse for Relayed {
    fn into_response(self) -> Result<Reply, ApiError> {
        let content_type = self.content_type.as_deref().unwrap_or("application/octet-stream");
        let mut reply = Reply::new(self.status, content_type, self.body);
        if let Some(status) = self.cache_status {
            reply.header("Cache-Status", status);
        }
        Ok(reply)
    }
}

impl IntoResponse for RawJson {
    fn into_response(self) -> Result<Reply, ApiError> {
        Ok(Reply::new(200, "application/json", self.0))
    }
}

/// The problem+json response for `error`, with `instance` set to the request id.
pub fn problem_response(error: &ApiError, request_id: &str) -> Reply {
    // A problem is our own plain data: it always serialises.
    let body = serde_json::to_vec(&error.to_problem(request_id)).unwrap_or_default();
    let mut reply = Reply::new(error.status(), "application/problem+json", body);
    for (name, value) in error.extra_headers() {
        reply.header(name, value);
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_encoded_as_name_value_lines() {
        let mut reply = Reply::new(200, "application/json", b"{}".to_vec());
        reply.header("X-Request-Id", "abc");
        reply.header("Server-Timing", "total;dur=1\r\nInjected: yes");
        assert_eq!(reply.encoded_headers(), "Content-Type\napplication/json\nX-Request-Id\nabc\nServer-Timing\ntotal;dur=1Injected: yes");
        assert_eq!(Reply::empty(204).encoded_headers(), "");
    }

    #[test]
    fn problems_carry_status_type_and_extra_headers() {
        let reply = problem_response(&ApiError::TooManyRequests { retry_after_s: 30 }, "rid");
        assert_eq!(reply.status, 429);
        assert_eq!(reply.headers, vec![("Content-Type", "application/problem+json".to_owned()), ("Retry-After", "30".to_owned())]);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!((body["status"].as_u64(), body["instance"].as_str()), (Some(429), Some("rid")));
    }

    #[test]
    fn relayed_answers_keep_content_type_and_cache_status() {
        let relayed = Relayed { status: 404, content_type: None, body: b"x".to_vec(), cache_status: Some("edge-relay; hit".into()) };
        let reply = relayed.into_response().unwrap();
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.headers,
            vec![("Content-Type", "application/octet-stream".to_owned()), ("Cache-Status", "edge-relay; hit".to_owned())]
        );
    }
}
