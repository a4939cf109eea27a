//! The outbound client. Every call goes to a named upstream through the runtime's own `fetch`.
//! A GET passes, in order: the cache (fresh or stale-while-revalidate), the circuit breaker,
//! request coalescing, then attempts with retries and backoff, all inside one deadline
//! enforced by an abort signal. A POST (webhook delivery) skips cache and coalescing.

pub mod breaker;
pub mod cache;
mod coalesce;
pub mod path;
pub mod registry;
pub mod retry;

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use serde::de::IgnoredAny;
use wasm_bindgen_futures::JsFuture;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast};
use worker::{js_sys, Delay};

use crate::background;
use crate::context::{ms_since, now_ms, RequestContext, UpstreamCall};
use crate::error::{js_error_message, ApiError};
use crate::http_url::HttpUrl;
use crate::response::encode_header_lines;
use breaker::Admission;
use cache::Freshness;
use registry::Upstream;

/// Why an upstream exchange failed; each maps to a 502, 503 or 504 problem.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamError {
    /// The upstream answered, but not with a 2xx.
    BadStatus { status: u16 },
    /// The upstream answered 2xx with a body that is not JSON.
    InvalidJson { reason: String },
    /// No complete answer (headers and body) within the deadline.
    Timeout { timeout_ms: u32 },
    /// Connection refused, reset or closed before a complete answer.
    Unreachable { reason: String },
    /// The upstream's circuit breaker is open: it failed repeatedly and is left alone.
    CircuitOpen { retry_after_ms: f64 },
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::BadStatus { status } => write!(f, "upstream answered with status {status}"),
            UpstreamError::InvalidJson { reason } => write!(f, "upstream body is not valid JSON: {reason}"),
            UpstreamError::Timeout { timeout_ms } => {
                write!(f, "upstream did not answer completely within {timeout_ms} ms")
            }
            UpstreamError::Unreachable { reason } => write!(f, "upstream connection failed: {reason}"),
            UpstreamError::CircuitOpen { retry_after_ms } => write!(
                f,
                "upstream failed repeatedly and is not being called for {} s",
                (retry_after_ms / 1000.0).ceil() as u64
            ),
        }
    }
}

/// An upstream's answer, whole. Cheap to clone, so coalesced callers can share it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: Rc<[u8]>,
}

impl UpstreamResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_json(&self) -> bool {
        crate::extract::is_json_content_type(self.content_type.as_deref())
    }
}

/// What one call returned, with how the cache served it (`Cache-Status`), if it is cached.
pub struct Answer {
    pub response: UpstreamResponse,
    pub cache_status: Option<String>,
}

/// Accepts a 2xx answer whose body is JSON; the body bytes are passed on untouched.
pub fn check_json(response: &UpstreamResponse) -> Result<(), UpstreamError> {
    if !response.is_success() {
        return Err(UpstreamError::BadStatus { status: response.status });
    }
    serde_json::from_slice::<IgnoredAny>(&response.body)
        .map(|_| ())
        .map_err(|e| UpstreamError::InvalidJson { reason: e.to_string() })
}

/// GETs `url` on `upstream`, forwarding `forwarded` client headers. Records the call on
/// `ctx` for the access log and `Server-Timing`.
pub async fn get(
    ctx: &RequestContext,
    upstream: &Rc<Upstream>,
    url: HttpUrl,
    forwarded: Vec<(String, String)>,
) -> Result<Answer, UpstreamError> {
    let started = now_ms();
    let (outcome, coalesced) = from_cache_or_upstream(ctx, upstream, url, forwarded).await;
    ctx.record_upstream(UpstreamCall {
        name: upstream.name.clone(),
        duration_ms: ms_since(started),
        outcome: outcome.as_ref().map_or_else(|e| ApiError::from(e.clone()).slug(), |_| "ok"),
        status: outcome.as_ref().ok().map(|a| a.response.status),
        cache: outcome.as_ref().ok().and_then(|a| a.cache_status.clone()),
        coalesced,
    });
    outcome
}

async fn from_cache_or_upstream(
    ctx: &RequestContext,
    upstream: &Rc<Upstream>,
    url: HttpUrl,
    forwarded: Vec<(String, String)>,
) -> (Result<Answer, UpstreamError>, bool) {
    let cached = upstream.cache_ttl_s > 0;
    if cached {
        if let Some((response, stored_at)) = cache::lookup(&url).await {
            let freshness = cache::freshness(stored_at, now_ms(), upstream.cache_ttl_s, upstream.stale_while_revalidate_s);
            if freshness != Freshness::Expired {
                if matches!(freshness, Freshness::Stale { .. }) {
                    background::spawn_quiet(ctx, "cache_refresh", refresh(ctx.request_id.clone(), upstream.clone(), url, forwarded));
                }
                return (Ok(Answer { response, cache_status: Some(cache::cache_status(Some(freshness), false)) }), false);
            }
        }
    }

    let (outcome, coalesced) = shared_call(ctx.request_id.clone(), upstream.clone(), url.clone(), forwarded).await;
    let answer = outcome.map(|response| {
        let store = cached && response.is_success();
        if store {
            background::spawn_quiet(ctx, "cache_store", store_quietly(url, response.clone(), upstream.cache_lifetime_s()));
        }
        Answer { response, cache_status: cached.then(|| cache::cache_status(None, store)) }
    });
    (answer, coalesced)
}

/// The breaker-guarded call, shared with identical calls already in flight.
async fn shared_call(
    request_id: String,
    upstream: Rc<Upstream>,
    url: HttpUrl,
    forwarded: Vec<(String, String)>,
) -> (Result<UpstreamResponse, UpstreamError>, bool) {
    let key = format!("{} {url} {forwarded:?}", upstream.name);
    let call = Call { request_id: &request_id, upstream: &upstream, url: &url, headers: &forwarded, body: None };
    coalesce::run(key, || guarded(&call)).await
}

/// POSTs a JSON `body` to `upstream`'s `base_url`, under its deadline, breaker and retry
/// policy. `idempotency_key` goes out as `Idempotency-Key` on every attempt, which is what
/// makes retrying a POST safe for a receiver that honours it.
pub async fn post_json(request_id: &str, upstream: &Upstream, body: &[u8], idempotency_key: &str) -> Result<UpstreamResponse, UpstreamError> {
    let headers = [
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Idempotency-Key".to_owned(), idempotency_key.to_owned()),
    ];
    guarded(&Call { request_id, upstream, url: &upstream.base_url, headers: &headers, body: Some(body) }).await
}

/// One outbound request: GET without a body, POST with one.
struct Call<'a> {
    request_id: &'a str,
    upstream: &'a Upstream,
    url: &'a HttpUrl,
    /// Forwarded client headers, or the POST's own.
    headers: &'a [(String, String)],
    body: Option<&'a [u8]>,
}

/// Re-fetches a stale entry after the response has gone out.
async fn refresh(request_id: String, upstream: Rc<Upstream>, url: HttpUrl, forwarded: Vec<(String, String)>) {
    let (outcome, _) = shared_call(request_id, upstream.clone(), url.clone(), forwarded).await;
    if let Some(response) = outcome.ok().filter(UpstreamResponse::is_success) {
        store_quietly(url, response, upstream.cache_lifetime_s()).await;
    }
}

async fn store_quietly(url: HttpUrl, response: UpstreamResponse, lifetime_s: u32) {
    if let Err(e) = cache::store(&url, &response, lifetime_s, now_ms()).await {
        worker::console_warn!("could not cache {url}: {e}");
    }
}

/// The circuit breaker around the attempts: refused at once while open; a 5xx, timeout or
/// connection failure counts against the upstream, anything else for it.
async fn guarded(call: &Call<'_>) -> Result<UpstreamResponse, UpstreamError> {
    let upstream = call.upstream;
    if let Admission::Rejected { retry_after_ms } =
        breaker::admit(&upstream.name, upstream.breaker_failures, upstream.breaker_cooldown_ms, now_ms())
    {
        return Err(UpstreamError::CircuitOpen { retry_after_ms });
    }
    let outcome = with_retries(call).await;
    let healthy = matches!(&outcome, Ok(r) if r.status < 500);
    breaker::record(&upstream.name, healthy, now_ms());
    outcome
}

/// Attempts until one succeeds, the retries are spent, or the deadline is near.
async fn with_retries(call: &Call<'_>) -> Result<UpstreamResponse, UpstreamError> {
    let upstream = call.upstream;
    let deadline = now_ms() + f64::from(upstream.timeout_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let budget_ms = (deadline - now_ms()).max(1.0) as u32;
        let outcome = attempt(call, budget_ms).await;
        let retry_after_ms = match &outcome {
            Ok(r) if retry::is_retryable_status(r.status) => r.retry_after.as_deref().and_then(|v| retry::parse_retry_after(v, now_ms())),
            Err(UpstreamError::Unreachable { .. }) => None,
            _ => return outcome,
        };
        match retry::next_delay(attempts, upstream.retries, retry_after_ms, deadline - now_ms(), js_sys::Math::random()) {
            Some(delay_ms) => Delay::from(Duration::from_millis(delay_ms as u64)).await,
            None => return outcome,
        }
    }
}

#[wasm_bindgen(inline_js = r#"
export function exchange(url, method, headers, body, budgetMs) {
  // Aborts the fetch *and* a body read still pending: a slow body is cut off like slow headers.
  const signal = AbortSignal.timeout(budgetMs);
  const init = { method, headers: new Headers(), body, signal };
  const list = headers.split("\n");
  for (let i = 1; i < list.length; i += 2) init.headers.set(list[i - 1], list[i]);
  return fetch(url, init).then(
    (response) => response.arrayBuffer().then((bytes) => [
      `${response.status}\n${response.headers.get("content-type") ?? ""}\n${response.headers.get("retry-after") ?? ""}`,
      new Uint8Array(bytes),
    ]),
  ).catch((error) => {
    throw signal.aborted ? null : error;
  });
}
"#)]
extern "C" {
    /// One whole exchange: resolves to `["status\ncontent-type\nretry-after", body bytes]`;
    /// rejects with `null` when `budget_ms` ran out, else with the runtime's error.
    fn exchange(url: &str, method: &str, headers: &str, body: Option<js_sys::Uint8Array>, budget_ms: u32) -> js_sys::Promise;
}

/// One request, bounded by `budget_ms`.
///
/// One crossing into JS and one promise for the whole exchange (request, headers, body): the
/// runtime's `fetch` and `arrayBuffer()` driven from Rust cost a crossing per header, per
/// field and per promise, and workers-rs's `Response::bytes` a `read()` promise per chunk
/// (18 % of the `/aggregate` profile).
async fn attempt(call: &Call<'_>, budget_ms: u32) -> Result<UpstreamResponse, UpstreamError> {
    let (method, body) = match call.body {
        Some(body) => ("POST", Some(js_sys::Uint8Array::from(body))),
        None => ("GET", None),
    };
    let promise = exchange(call.url.as_str(), method, &encode_header_lines(request_headers(call)), body, budget_ms);
    match JsFuture::from(promise).await {
        Ok(answer) => {
            let answer: js_sys::Array = answer.unchecked_into();
            let (status, content_type, retry_after) = parse_meta(&answer.get(0).as_string().unwrap_or_default());
            let body = answer.get(1).unchecked_into::<js_sys::Uint8Array>().to_vec();
            Ok(UpstreamResponse { status, content_type, retry_after, body: Rc::from(body) })
        }
        Err(e) if e.is_null() => Err(UpstreamError::Timeout { timeout_ms: call.upstream.timeout_ms }),
        Err(e) => Err(UpstreamError::Unreachable { reason: js_error_message(&e) }),
    }
}

/// The headers of an outbound request, in the order they are set (a later one wins): ours,
/// the forwarded client headers, then the upstream's configured ones.
fn request_headers<'a>(call: &'a Call<'_>) -> impl Iterator<Item = (&'a str, &'a str)> {
    let ours = [("Accept", "application/json")].into_iter();
    let forwarded = call.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let identity = [("User-Agent", concat!("edge-relay/", env!("CARGO_PKG_VERSION"))), ("X-Request-Id", call.request_id)].into_iter();
    let configured = call.upstream.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    ours.chain(forwarded).chain(identity).chain(configured)
}

/// `exchange`'s first value: status, then content type and `Retry-After` (empty when absent).
fn parse_meta(meta: &str) -> (u16, Option<String>, Option<String>) {
    let mut lines = meta.splitn(3, '\n');
    let status = lines.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut field = || lines.next().filter(|v| !v.is_empty()).map(str::to_owned);
    let content_type = field();
    (status, content_type, field())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &[u8]) -> UpstreamResponse {
        UpstreamResponse { status, content_type: Some("application/json".into()), retry_after: None, body: Rc::from(body) }
    }

    #[test]
    fn accepts_2xx_json() {
        assert_eq!(check_json(&response(200, br#"{"a": [1, 2.50, "x"]}"#)), Ok(()));
        assert_eq!(check_json(&response(204, b"null")), Ok(()));
    }

    #[test]
    fn non_2xx_is_bad_status() {
        for status in [199, 301, 404, 429, 500, 503] {
            assert_eq!(check_json(&response(status, b"{}")), Err(UpstreamError::BadStatus { status }));
        }
    }

    #[test]
    fn non_json_is_invalid() {
        for body in [&b"<html>"[..], b"", b"{\"a\":", b"{} trailing"] {
            assert!(matches!(check_json(&response(200, body)), Err(UpstreamError::InvalidJson { .. })));
        }
    }

    #[test]
    fn exchange_meta_is_status_content_type_and_retry_after() {
        assert_eq!(parse_meta("200\napplication/json\n"), (200, Some("application/json".into()), None));
        assert_eq!(parse_meta("503\n\n120"), (503, None, Some("120".into())));
        assert_eq!(parse_meta("429\ntext/plain; charset=utf-8\nWed, 21 Oct 2026 07:28:00 GMT").2.as_deref(), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
    }

    #[test]
    fn circuit_open_says_for_how_long() {
        assert_eq!(
            UpstreamError::CircuitOpen { retry_after_ms: 1_200.0 }.to_string(),
            "upstream failed repeatedly and is not being called for 2 s"
        );
    }
}
