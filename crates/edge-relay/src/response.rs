//! Turning handler results into runtime responses: the one place that builds them.
//!
//! Handlers produce a `Reply`, plain data that needs no runtime; the middleware adds the
//! headers every response carries and hands it to the runtime in a single call
//! (`Reply::into_web`). Building a `worker::Response` and then setting headers on it costs a
//! JS↔wasm crossing per step (Headers, each header, ResponseInit, status, body), which
//! showed up in the CPU profile of every request.

use serde::Serialize;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::web_sys;

use crate::error::{ApiError, Problem};
use crate::trace::TraceId;
use utoipa::ToSchema;
#[cfg(feature = "openapi")]
use crate::operation::Op;

/// A response: status, headers (`Content-Type` among them) and body.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// Headers in the order they are sent (a name may repeat); the middleware adds
    /// `X-Request-Id`, `Server-Timing` and CORS headers after them.
    pub headers: Vec<(&'static str, String)>,
    /// Bytes made here, or an upstream's stream.
    pub body: Body,
}

/// A reply's body: bytes made here, or an upstream's stream passed on.
#[derive(Debug)]
pub enum Body {
    /// Made here, whole.
    Bytes(Vec<u8>),
    /// An upstream's body, passed on as the runtime's stream without entering wasm.
    Stream(Streamed),
}

/// A relayed upstream body and what the runtime needs to pass it on.
#[derive(Debug)]
pub struct Streamed {
    /// The upstream's `ReadableStream` (null for a bodiless answer).
    pub body: JsValue,
    /// The client request's `AbortSignal`: tells a client that hung up from an upstream failure.
    pub client_signal: JsValue,
    /// Longest wait for the upstream's next chunk before the response is cut off.
    pub idle_ms: u32,
    /// The upstream's headers that pass on (names as the upstream sent them).
    pub headers: Vec<(String, String)>,
    /// The upstream attempt's span in the runtime's tracing (null where none): ended with the body.
    pub span: JsValue,
}

/// A typed JSON body, serialised with status 200.
pub struct Json<T>(pub T);

/// A typed JSON body with 202 Accepted: the work goes on after the response.
pub struct Accepted<T>(pub T);

/// A typed JSON body with the status `CODE`, e.g. `Status::<201, _>(created)`; documented as
/// that status's response.
pub struct Status<const CODE: u16, T>(pub T);

/// A static HTML page.
pub struct Html(pub &'static str);

/// An upstream's answer passed on whole: status, content type, validators and body, with
/// `Cache-Status` when the upstream is cached.
#[derive(Debug)]
pub struct Relayed {
    /// The upstream's status.
    pub status: u16,
    /// Its `Content-Type`; without one the answer is `application/octet-stream`.
    pub content_type: Option<String>,
    /// Its `ETag`.
    pub etag: Option<String>,
    /// Its `Last-Modified`.
    pub last_modified: Option<String>,
    /// The RFC 9211 `Cache-Status` of a cached upstream.
    pub cache_status: Option<String>,
    /// Its body.
    pub body: Vec<u8>,
}

/// A body that is already valid JSON (e.g. relayed from an upstream), sent as is.
pub struct RawJson(pub Vec<u8>);

/// What a handler returns: anything that becomes a response (or the error that answers
/// instead).
pub trait IntoResponse {
    /// The response, or the error whose problem+json answers instead.
    fn into_response(self) -> Result<Reply, ApiError>;

    /// The responses it documents on the route's operation (none, by default).
    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op
    }
}

#[wasm_bindgen(module = "/src/response.mjs")]
extern "C" {
    /// `headers` is `name\nvalue\n…`: header names and values never contain a newline.
    /// `log_line` is the request's access-log line, written in the same call.
    fn build_response(status: u16, headers: &str, body: &[u8], log_line: &str) -> web_sys::Response;
    /// A response whose body is `body` (a `ReadableStream`), passed on as the client reads it;
    /// `log_line` is written and `span` ended when the body has ended, with how it ended.
    fn stream_response(status: u16, headers: &str, body: &JsValue, client_signal: &JsValue, idle_ms: u32, log_line: &str, span: &JsValue) -> web_sys::Response;
}

impl Reply {
    /// A response of `status` whose `body` is of `content_type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Reply { status, headers: vec![("Content-Type", content_type.to_owned())], body: Body::Bytes(body) }
    }

    /// No body, no content type (e.g. 204).
    pub fn empty(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: Body::Bytes(Vec::new()) }
    }

    /// An upstream's streamed answer; its own headers come first, ours are added after.
    pub fn streamed(status: u16, streamed: Streamed) -> Self {
        Reply { status, headers: Vec::new(), body: Body::Stream(streamed) }
    }

    /// Adds a header after those already there (a layer's, e.g. `Cache-Control`).
    pub fn header(&mut self, name: &'static str, value: impl Into<String>) {
        self.headers.push((name, value.into()));
    }

    /// The runtime's response, built in one call that also writes the request's access-log
    /// line (for a streamed body, once the body has ended).
    pub fn into_web(self, log_line: &str) -> web_sys::Response {
        let headers = self.encoded_headers();
        match &self.body {
            Body::Bytes(bytes) => build_response(self.status, &headers, bytes, log_line),
            Body::Stream(s) => stream_response(self.status, &headers, &s.body, &s.client_signal, s.idle_ms, log_line, &s.span),
        }
    }

    fn encoded_headers(&self) -> String {
        let relayed = match &self.body {
            Body::Stream(s) => &s.headers[..],
            Body::Bytes(_) => &[],
        };
        let relayed = relayed.iter().map(|(name, value)| (name.as_str(), value.as_str()));
        encode_header_lines(relayed.chain(self.headers.iter().map(|(name, value)| (*name, value.as_str()))))
    }

    /// The body made here (empty for a streamed one).
    pub fn bytes(&self) -> &[u8] {
        match &self.body {
            Body::Bytes(bytes) => bytes,
            Body::Stream(_) => &[],
        }
    }
}

/// Headers as `name\nvalue\n…` for the JS helpers that build a `Headers` object in one call.
pub fn encode_header_lines<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    // Room for the usual few headers, so the list is not regrown a header at a time.
    let mut encoded = String::with_capacity(256);
    for (name, value) in headers {
        if !encoded.is_empty() {
            encoded.push('\n');
        }
        encoded.push_str(name);
        encoded.push('\n');
        // A newline would split the list; no valid header value has one.
        if value.contains(['\n', '\r']) {
            encoded.extend(value.chars().filter(|c| *c != '\n' && *c != '\r'));
        } else {
            encoded.push_str(value);
        }
    }
    encoded
}

fn json_reply<T: Serialize>(status: u16, value: &T) -> Result<Reply, ApiError> {
    // Sized for most bodies up front rather than grown from empty, a reallocation at a time.
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, value).map_err(|e| ApiError::Internal { detail: format!("could not encode the response: {e}") })?;
    Ok(Reply::new(status, "application/json", body))
}

impl IntoResponse for Reply {
    fn into_response(self) -> Result<Reply, ApiError> {
        Ok(self)
    }
}

/// A handler's `Result`: its error, the library's or the app's own (`E: Into<ApiError>`),
/// becomes a problem+json response.
impl<T: IntoResponse, E: Into<ApiError>> IntoResponse for Result<T, E> {
    fn into_response(self) -> Result<Reply, ApiError> {
        self.map_err(Into::into)?.into_response()
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        T::document(op)
    }
}

/// Documented as a 200 JSON response of `T`'s schema.
impl<T: Serialize + ToSchema> IntoResponse for Json<T> {
    fn into_response(self) -> Result<Reply, ApiError> {
        json_reply(200, &self.0)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.json_response::<T>("200")
    }
}

/// Documented as a 202 JSON response of `T`'s schema.
impl<T: Serialize + ToSchema> IntoResponse for Accepted<T> {
    fn into_response(self) -> Result<Reply, ApiError> {
        json_reply(202, &self.0)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.json_response::<T>("202")
    }
}

/// Documented as a `CODE` JSON response of `T`'s schema.
impl<const CODE: u16, T: Serialize + ToSchema> IntoResponse for Status<CODE, T> {
    fn into_response(self) -> Result<Reply, ApiError> {
        json_reply(CODE, &self.0)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.json_response::<T>(&CODE.to_string())
    }
}

impl IntoResponse for Html {
    fn into_response(self) -> Result<Reply, ApiError> {
        Ok(Reply::new(200, "text/html; charset=utf-8", self.0.as_bytes().to_vec()))
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.any("200", "An HTML page", "text/html")
    }
}

impl Relayed {
    /// 304 for an answer the client already has: the same validators and `Cache-Status`, no
    /// body and no content type.
    pub fn not_modified(self) -> Reply {
        let mut reply = Reply::empty(304);
        reply.headers.extend(self.kept_headers());
        reply
    }

    /// `ETag`, `Last-Modified` and `Cache-Status`, those that are set.
    fn kept_headers(self) -> impl Iterator<Item = (&'static str, String)> {
        let kept = [("ETag", self.etag), ("Last-Modified", self.last_modified), ("Cache-Status", self.cache_status)];
        kept.into_iter().filter_map(|(name, value)| Some((name, value?)))
    }
}

impl IntoResponse for Relayed {
    fn into_response(mut self) -> Result<Reply, ApiError> {
        let content_type = self.content_type.take().unwrap_or_else(|| "application/octet-stream".to_owned());
        let mut reply = Reply::new(self.status, &content_type, std::mem::take(&mut self.body));
        reply.headers.extend(self.kept_headers());
        Ok(reply)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.any("200", "The upstream's answer, as it sent it", "*/*")
    }
}

impl IntoResponse for RawJson {
    fn into_response(self) -> Result<Reply, ApiError> {
        Ok(Reply::new(200, "application/json", self.0))
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.json_value("200", "A JSON document", "JsonValue", "Any JSON value, as it was made or received.")
    }
}

/// The problem+json response for `error`, with `instance` set to the request id and
/// `trace_id` to the request's trace.
pub fn problem_response(error: &ApiError, request_id: &str, trace_id: Option<TraceId>) -> Reply {
    let problem = Problem { trace_id: trace_id.map(|id| id.to_string()), ..error.to_problem(request_id) };
    // A problem is our own plain data: it always serialises.
    let body = serde_json::to_vec(&problem).unwrap_or_default();
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
    fn a_status_with_json_answers_that_status() {
        #[derive(Serialize, ToSchema)]
        struct Created {
            id: u32,
        }
        let reply = Status::<201, _>(Created { id: 7 }).into_response().unwrap();
        assert_eq!((reply.status, reply.bytes()), (201, &br#"{"id":7}"#[..]));
        assert_eq!(reply.headers, vec![("Content-Type", "application/json".to_owned())]);
    }

    #[test]
    fn problems_carry_status_type_and_extra_headers() {
        let reply = problem_response(&ApiError::TooManyRequests { retry_after_s: 30 }, "rid", Some(TraceId([0xab; 16])));
        assert_eq!(reply.status, 429);
        assert_eq!(reply.headers, vec![("Content-Type", "application/problem+json".to_owned()), ("Retry-After", "30".to_owned())]);
        let body: serde_json::Value = serde_json::from_slice(reply.bytes()).unwrap();
        assert_eq!((body["status"].as_u64(), body["instance"].as_str()), (Some(429), Some("rid")));
        assert_eq!(body["trace_id"].as_str(), Some("abababababababababababababababab"));
        let body = String::from_utf8(problem_response(&ApiError::TooManyRequests { retry_after_s: 30 }, "rid", None).bytes().to_vec()).unwrap();
        assert!(body.ends_with(r#""instance":"rid"}"#), "{body}");
    }

    #[test]
    fn relayed_answers_keep_content_type_validators_and_cache_status() {
        let relayed = Relayed {
            status: 404,
            content_type: None,
            etag: Some("\"v1\"".into()),
            last_modified: None,
            cache_status: Some("edge-relay; hit".into()),
            body: b"x".to_vec(),
        };
        let reply = relayed.into_response().unwrap();
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.headers,
            vec![
                ("Content-Type", "application/octet-stream".to_owned()),
                ("ETag", "\"v1\"".to_owned()),
                ("Cache-Status", "edge-relay; hit".to_owned())
            ]
        );
    }

    #[test]
    fn not_modified_keeps_validators_without_body_or_content_type() {
        let relayed = Relayed {
            status: 200,
            content_type: Some("application/json".into()),
            etag: Some("\"v1\"".into()),
            last_modified: Some("Sun, 06 Nov 1994 08:49:37 GMT".into()),
            cache_status: None,
            body: b"{}".to_vec(),
        };
        let reply = relayed.not_modified();
        assert_eq!(reply.status, 304);
        assert!(reply.bytes().is_empty());
        assert_eq!(
            reply.headers,
            vec![("ETag", "\"v1\"".to_owned()), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT".to_owned())]
        );
    }
}
