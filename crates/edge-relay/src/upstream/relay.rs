//! A relay that streams: the client's body goes up and the upstream's body comes back as
//! the runtime's own streams, never copied into wasm, so memory stays flat for any size and a
//! slow reader slows the writer. The deadline covers the time to the upstream's headers
//! (attempts and backoff included); after that, the body is cut off only when the upstream
//! goes quiet for `stream_idle_ms` (see `response::stream_response`). A client that hangs up
//! aborts the upstream request (with the `enable_request_signal` compatibility flag).

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::{js_sys, web_sys};

use super::outcome::{CLIENT_CLOSED, TOO_LARGE};
use super::registry::Upstream;
use super::wire::{record, Ended, Wire};
use super::{exchange, guarded, headers, now_ms, Attempted, UpstreamError};
use crate::context::RequestContext;
use crate::error::js_error_message;
use crate::executor;
use crate::http_url::HttpUrl;
use crate::response::{encode_header_lines, Streamed};

#[wasm_bindgen(module = "/src/upstream/relay.mjs")]
extern "C" {
    fn relay_body(request: &web_sys::Request, limit: u32, whole: bool) -> js_sys::Promise;
    /// Resolves to `["status\nname\nvalue…", response, span]`; `facts` as `exchange`'s.
    fn relay_open(url: &str, method: &str, headers: &str, source: &JsValue, budget_ms: u32, request: &web_sys::Request, tracing: &JsValue, facts: &str) -> js_sys::Promise;
    /// Cancels the body unread and ends the attempt's span.
    fn relay_discard(response: &JsValue, span: &JsValue);
    fn body_of(response: &JsValue) -> JsValue;
    pub(crate) fn signal_of(request: &web_sys::Request) -> JsValue;
}

/// An upstream answer whose headers have arrived and whose body has not been read.
pub struct Opened {
    /// The upstream's status.
    pub status: u16,
    /// As the upstream sent them (names lower-case).
    pub headers: Vec<(String, String)>,
    response: JsValue,
    /// The attempt's span in the runtime's tracing (null where none), ended with the body.
    span: JsValue,
}

impl Attempted for Opened {
    fn status(&self) -> u16 {
        self.status
    }

    fn retry_after(&self) -> Option<&str> {
        self.headers.iter().find(|(name, _)| name == "retry-after").map(|(_, value)| value.as_str())
    }

    fn discard(&self) {
        relay_discard(&self.response, &self.span);
    }
}

impl Opened {
    /// Lets go of an answer that is not passed on: its body is cancelled unread.
    pub fn discard(self) {
        relay_discard(&self.response, &self.span);
    }

    /// The body to pass on, with the headers that may pass and the upstream's idle limit.
    pub fn into_streamed(self, request: &web_sys::Request, idle_ms: u32) -> Streamed {
        Streamed {
            body: body_of(&self.response),
            client_signal: signal_of(request),
            idle_ms,
            headers: headers::relayed_response_headers(&self.headers),
            span: self.span,
        }
    }
}

/// Sends the client's `request` on to `url` with `method` and the `forwarded` headers, and
/// returns once the upstream's headers are in. Records the call on `ctx`.
///
/// A body is sent more than once only where that is safe — an idempotent method (PUT,
/// DELETE), or a client that sent `Idempotency-Key` — and only then is it read whole (up to
/// the upstream's `max_request_body_bytes`) so it can be; any other body streams up once,
/// with no retry.
pub async fn open(
    ctx: &RequestContext,
    upstream: &Upstream,
    request: &web_sys::Request,
    url: &HttpUrl,
    forwarded: &[(String, String)],
) -> Result<Opened, UpstreamError> {
    let started = now_ms();
    let wire = Wire::default();
    // The log names the method as the upstream's list does (a `&'static str`).
    let logged_method = upstream.methods.iter().copied().find(|m| *m == ctx.method).unwrap_or("other");
    let outcome = async {
        let method = ctx.method.as_str();
        let has_body = !matches!(method, "GET" | "HEAD");
        let repeatable = !has_body || matches!(method, "PUT" | "DELETE") || forwarded.iter().any(|(n, _)| n == "idempotency-key");
        let retries = if repeatable { upstream.retries } else { 0 };
        let limit = upstream.max_request_body_bytes;
        let source = if has_body {
            executor::settled(&relay_body(request, limit, retries > 0)).await.map_err(|e| failure(e, upstream))?
        } else {
            JsValue::NULL
        };
        let headers = encode_header_lines(exchange::request_headers(ctx, upstream, forwarded, None));
        guarded(upstream, retries, &wire, |attempt| {
            let facts = ctx.attempt_facts(attempt.span_id, &upstream.name, attempt.number, attempt.breaker, "");
            let promise = relay_open(url.as_str(), method, &headers, &source, attempt.budget_ms, request, ctx.tracing(), &facts);
            async move {
                let answer: js_sys::Array = executor::settled(&promise).await.map_err(|e| failure(e, upstream))?.unchecked_into();
                let (status, headers) = parse_meta(&answer.get(0).as_string().unwrap_or_default());
                Ok(Opened { status, headers, response: answer.get(1), span: answer.get(2) })
            }
        })
        .await
    }
    .await;
    let ended = Ended { method: logged_method, started, outcome: outcome.as_ref().map(|o| (o.status, None)), coalesced: false, bytes: None };
    record(ctx, upstream, &wire, ended);
    outcome
}

/// What a rejection from the JS side means.
fn failure(e: JsValue, upstream: &Upstream) -> UpstreamError {
    match e.as_string().as_deref() {
        _ if e.is_null() => UpstreamError::Timeout { timeout_ms: upstream.timeout_ms },
        Some(TOO_LARGE) => UpstreamError::RequestTooLarge { limit_bytes: upstream.max_request_body_bytes },
        Some(CLIENT_CLOSED) => UpstreamError::ClientClosed,
        _ => UpstreamError::Unreachable { reason: js_error_message(&e) },
    }
}

/// `relay_open`'s first value: the status, then header names and values, a line each.
fn parse_meta(meta: &str) -> (u16, Vec<(String, String)>) {
    let mut lines = meta.split('\n');
    let status = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut headers = Vec::new();
    while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
        headers.push((name.to_owned(), value.to_owned()));
    }
    (status, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_is_status_then_header_pairs() {
        let (status, headers) = parse_meta("206\ncontent-type\ntext/event-stream\ncontent-range\nbytes 0-9/100");
        assert_eq!(status, 206);
        assert_eq!(
            headers,
            vec![("content-type".into(), "text/event-stream".into()), ("content-range".into(), "bytes 0-9/100".into())]
        );
        assert_eq!(parse_meta("204"), (204, vec![]));
    }
}
