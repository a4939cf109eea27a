//! One whole exchange with an upstream — request out, status, headers and the body read in
//! full up to a cap — in one crossing into JS and one promise.
//!
//! The runtime's `fetch` and `arrayBuffer()` driven from Rust cost a crossing per header, per
//! field and per promise, and workers-rs's `Response::bytes` a `read()` promise per chunk
//! (18 % of the `/aggregate` profile).

use std::rc::Rc;

use worker::js_sys;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};

use super::registry::Upstream;
use super::outcome::{UpstreamError, UpstreamResponse, TOO_LARGE};
use super::wire::Attempt;
use crate::context::RequestContext;
use crate::error::js_error_message;
use crate::executor;
use crate::http_url::HttpUrl;
use crate::response::encode_header_lines;

#[wasm_bindgen(module = "/src/upstream/exchange.mjs")]
extern "C" {
    /// Resolves to `["status\ncontent-type\nretry-after\netag\nlast-modified", body bytes]`;
    /// rejects with `null` when `budget_ms` ran out, `"too-large"` past `cap` bytes, else with
    /// the runtime's error. `facts` (`RequestContext::attempt_facts`) carry its `traceparent`
    /// and what its span in the runtime's `tracing` (null: none) says.
    fn exchange(url: &str, method: &str, headers: &str, body: Option<js_sys::Uint8Array>, budget_ms: u32, cap: u32, tracing: &JsValue, facts: &str) -> js_sys::Promise;
}

/// One outbound request: GET without a body, POST with one.
pub(super) struct Call<'a> {
    pub ctx: &'a RequestContext,
    pub upstream: &'a Upstream,
    pub url: &'a HttpUrl,
    /// Forwarded client headers, or the POST's own.
    pub headers: &'a [(String, String)],
    pub body: Option<&'a [u8]>,
    /// The cache's part in the call, for its spans: `miss`, `revalidate`, or empty when uncached.
    pub cache: &'static str,
}

/// One request, bounded by the attempt's budget, its body capped at the upstream's
/// `max_body_bytes`, sent as the attempt's span of the caller's trace.
pub(super) async fn attempt(call: &Call<'_>, attempt: Attempt) -> Result<UpstreamResponse, UpstreamError> {
    let (method, body) = match call.body {
        Some(body) => ("POST", Some(js_sys::Uint8Array::from(body))),
        None => ("GET", None),
    };
    let headers = encode_header_lines(request_headers(call.ctx, call.upstream, call.headers, Some("application/json")));
    let cap = call.upstream.max_body_bytes;
    let facts = call.ctx.attempt_facts(attempt.span_id, &call.upstream.name, attempt.number, attempt.breaker, call.cache);
    let promise = exchange(call.url.as_str(), method, &headers, body, attempt.budget_ms, cap, call.ctx.tracing(), &facts);
    match executor::settled(&promise).await {
        Ok(answer) => {
            let answer: js_sys::Array = answer.unchecked_into();
            let meta = parse_meta(&answer.get(0).as_string().unwrap_or_default());
            Ok(UpstreamResponse { body: shared_bytes(&answer.get(1).unchecked_into()), ..meta })
        }
        Err(e) if e.is_null() => Err(UpstreamError::Timeout { timeout_ms: call.upstream.timeout_ms }),
        Err(e) if e.as_string().as_deref() == Some(TOO_LARGE) => Err(UpstreamError::TooLarge { limit_bytes: cap }),
        Err(e) => Err(UpstreamError::Unreachable { reason: js_error_message(&e) }),
    }
}

/// The bytes copied once, straight into the shared buffer (not into a `Vec` and again).
fn shared_bytes(bytes: &js_sys::Uint8Array) -> Rc<[u8]> {
    let mut shared: Rc<[u8]> = std::iter::repeat_n(0, bytes.length() as usize).collect();
    bytes.copy_to(Rc::get_mut(&mut shared).expect("a new Rc has no other owner"));
    shared
}

/// The headers of an outbound request, in the order they are set (a later one wins): the
/// `accept` we want (a relay takes the client's), the forwarded client headers, who we are
/// and the trace's `tracestate`, then the upstream's configured ones. (Each attempt's
/// `traceparent` is set last, in JS.)
pub(super) fn request_headers<'a>(
    ctx: &'a RequestContext,
    upstream: &'a Upstream,
    forwarded: &'a [(String, String)],
    accept: Option<&'a str>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let ours = accept.map(|accept| ("Accept", accept)).into_iter();
    let forwarded = forwarded.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let identity = [("User-Agent", concat!("edge-relay/", env!("CARGO_PKG_VERSION"))), ("X-Request-Id", ctx.request_id.as_str())].into_iter();
    let state = ctx.trace.state.as_deref().map(|state| ("tracestate", state)).into_iter();
    let configured = upstream.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    ours.chain(forwarded).chain(identity).chain(state).chain(configured)
}

/// `exchange`'s first value: status, then content type, `Retry-After`, `ETag` and
/// `Last-Modified` (empty when absent); the body is left empty.
fn parse_meta(meta: &str) -> UpstreamResponse {
    let mut lines = meta.splitn(5, '\n');
    let status = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut field = || lines.next().filter(|v| !v.is_empty()).map(str::to_owned);
    UpstreamResponse {
        status,
        content_type: field(),
        retry_after: field(),
        etag: field(),
        last_modified: field(),
        body: Rc::from(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_meta_is_status_then_five_headers() {
        let m = parse_meta("200\napplication/json\n\n\"v1\"\nSun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!((m.status, m.content_type.as_deref(), m.retry_after.as_deref()), (200, Some("application/json"), None));
        assert_eq!((m.etag.as_deref(), m.last_modified.as_deref()), (Some("\"v1\""), Some("Sun, 06 Nov 1994 08:49:37 GMT")));
        let m = parse_meta("503\n\n120\n\n");
        assert_eq!((m.status, m.content_type, m.retry_after.as_deref(), m.etag), (503, None, Some("120"), None));
        assert_eq!(parse_meta("429\ntext/plain\nWed, 21 Oct 2026 07:28:00 GMT\n\n").retry_after.as_deref(), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
    }
}
