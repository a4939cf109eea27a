//! The outbound client. Every call goes to a named upstream through the runtime's own `fetch`.
//! A GET whose body is needed whole passes, in order: the cache (fresh or
//! stale-while-revalidate, revalidated with its validators), the circuit breaker, request
//! coalescing, then attempts with retries and backoff, all inside one deadline. A POST
//! (webhook delivery) skips cache and coalescing. A relay that streams (`relay`) shares the
//! breaker and the retry loop, never the cache or coalescing: a stream cannot be shared.

mod breaker;
mod cache;
mod coalesce;
pub mod conditional;
mod exchange;
pub mod headers;
pub mod outcome;
pub mod path;
pub mod registry;
pub mod relay;
pub(crate) mod retry;
pub mod typed;
mod wire;

use std::future::Future;
use std::rc::Rc;

use serde::de::{DeserializeOwned, IgnoredAny};
use worker::js_sys;

use crate::background;
use crate::context::{now_ms, RequestContext};
use crate::executor;
use crate::http_url::HttpUrl;
use crate::response::Relayed;
use crate::trace::ids;
pub use outcome::{UpstreamError, UpstreamResponse};
pub use typed::{get_json, Missing};
use breaker::Admission;
use cache::Freshness;
use exchange::Call;
use registry::Upstream;
use wire::{record, Attempt, Ended, Wire};

// Here rather than in `outcome`, which stays a leaf: this one needs `extract`.
impl UpstreamResponse {
    /// Whether its `Content-Type` is JSON (`application/json` or `application/*+json`).
    pub fn is_json(&self) -> bool {
        crate::extract::is_json_content_type(self.content_type.as_deref())
    }
}

/// What one call returned, with how the cache served it (`Cache-Status`), if it is cached.
pub struct Answer {
    /// The upstream's answer, fresh or from the cache.
    pub response: UpstreamResponse,
    /// The RFC 9211 `Cache-Status`, for an upstream that is cached.
    pub cache_status: Option<String>,
}

impl From<Answer> for Relayed {
    fn from(answer: Answer) -> Self {
        let r = answer.response;
        Relayed {
            status: r.status,
            content_type: r.content_type,
            etag: r.etag,
            last_modified: r.last_modified,
            cache_status: answer.cache_status,
            body: r.body.to_vec(),
        }
    }
}

/// Accepts a 2xx answer whose body is JSON; the body bytes are passed on untouched.
pub fn check_json(response: &UpstreamResponse) -> Result<(), UpstreamError> {
    read_json::<IgnoredAny>(response).map(drop)
}

/// A 2xx answer's JSON body as `T`.
pub fn read_json<T: DeserializeOwned>(response: &UpstreamResponse) -> Result<T, UpstreamError> {
    if !response.is_success() {
        return Err(UpstreamError::BadStatus { status: response.status });
    }
    serde_json::from_slice(&response.body).map_err(|e| UpstreamError::InvalidJson { reason: e.to_string() })
}

/// GETs `url` on `upstream`, forwarding `forwarded` client headers, and reads the body whole.
pub async fn get(
    ctx: &RequestContext,
    upstream: &Rc<Upstream>,
    url: &HttpUrl,
    forwarded: &[(String, String)],
) -> Result<Answer, UpstreamError> {
    let started = now_ms();
    let wire = Wire::default();
    let (outcome, coalesced) = from_cache_or_upstream(ctx, upstream, url, forwarded, &wire).await;
    let ended = Ended {
        method: "GET",
        started,
        outcome: outcome.as_ref().map(|a| (a.response.status, a.cache_status.clone())),
        coalesced,
        bytes: outcome.as_ref().ok().map(|a| a.response.body.len()),
    };
    record(ctx, upstream, &wire, ended);
    outcome
}

async fn from_cache_or_upstream(
    ctx: &RequestContext,
    upstream: &Rc<Upstream>,
    url: &HttpUrl,
    forwarded: &[(String, String)],
    wire: &Wire,
) -> (Result<Answer, UpstreamError>, bool) {
    let cached = upstream.cache_ttl_s > 0;
    if cached {
        if let Some((response, stored_at)) = cache::lookup(url).await {
            let freshness = cache::freshness(stored_at, now_ms(), upstream.cache_ttl_s, upstream.stale_while_revalidate_s);
            if freshness != Freshness::Expired {
                if matches!(freshness, Freshness::Stale { .. }) {
                    let (upstream, url, forwarded, stale) = (upstream.clone(), url.clone(), forwarded.to_vec(), response.clone());
                    background::spawn_quiet(ctx, "cache_refresh", move |task| revalidate(task, upstream, url, forwarded, stale));
                }
                return (Ok(Answer { response, cache_status: Some(cache::cache_status(Some(freshness), false)) }), false);
            }
        }
    }

    let cache = if cached { "miss" } else { "" };
    let (outcome, coalesced) = shared_call(ctx, upstream, url, forwarded, cache, wire).await;
    let answer = outcome.map(|response| {
        let store = cached && response.is_success();
        if store {
            let store = store_quietly(url.clone(), response.clone(), upstream.cache_lifetime_s());
            background::spawn_quiet(ctx, "cache_store", move |_| store);
        }
        Answer { response, cache_status: cached.then(|| cache::cache_status(None, store)) }
    });
    (answer, coalesced)
}

/// The breaker-guarded call, shared with identical calls already in flight (whatever their
/// trace: the one that goes out carries the owner's). `cache` is the cache's part in it.
async fn shared_call(
    ctx: &RequestContext,
    upstream: &Upstream,
    url: &HttpUrl,
    forwarded: &[(String, String)],
    cache: &'static str,
    wire: &Wire,
) -> (Result<UpstreamResponse, UpstreamError>, bool) {
    let key = format!("{} {url} {forwarded:?}", upstream.name);
    let call = Call { ctx, upstream, url, headers: forwarded, body: None, cache };
    coalesce::run(key, || guarded(upstream, upstream.retries, wire, |attempt| exchange::attempt(&call, attempt))).await
}

/// POSTs a JSON `body` to `upstream`'s `base_url`, under its deadline, breaker and retry
/// policy, and records the call on `ctx`. `idempotency_key` goes out as `Idempotency-Key` on
/// every attempt, which is what makes retrying a POST safe for a receiver that honours it.
pub async fn post_json(ctx: &RequestContext, upstream: &Upstream, body: &[u8], idempotency_key: &str) -> Result<UpstreamResponse, UpstreamError> {
    let headers = [
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Idempotency-Key".to_owned(), idempotency_key.to_owned()),
    ];
    post(ctx, upstream, &upstream.base_url, &headers, body).await
}

/// POSTs `body` with `headers` to `url` on `upstream`, under its deadline, breaker and retry
/// policy, and records the call on `ctx`; the body is read whole (up to the upstream's cap).
pub async fn post(ctx: &RequestContext, upstream: &Upstream, url: &HttpUrl, headers: &[(String, String)], body: &[u8]) -> Result<UpstreamResponse, UpstreamError> {
    let started = now_ms();
    let call = Call { ctx, upstream, url, headers, body: Some(body), cache: "" };
    let wire = Wire::default();
    let outcome = guarded(upstream, upstream.retries, &wire, |attempt| exchange::attempt(&call, attempt)).await;
    let ended = Ended {
        method: "POST",
        started,
        outcome: outcome.as_ref().map(|r| (r.status, None)),
        coalesced: false,
        bytes: outcome.as_ref().ok().map(|r| r.body.len()),
    };
    record(ctx, upstream, &wire, ended);
    outcome
}

/// Re-fetches a stale entry after the response has gone out, asking with the entry's
/// validators: a 304 keeps the stored body and restarts its lifetime, a 2xx replaces it.
async fn revalidate(ctx: Rc<RequestContext>, upstream: Rc<Upstream>, url: HttpUrl, forwarded: Vec<(String, String)>, stale: UpstreamResponse) {
    let mut headers = forwarded;
    headers.extend(conditional::revalidation_headers(stale.etag.as_deref(), stale.last_modified.as_deref()));
    let (outcome, _) = shared_call(&ctx, &upstream, &url, &headers, "revalidate", &Wire::default()).await;
    let fresh = match outcome {
        Ok(response) if response.status == 304 => stale,
        Ok(response) if response.is_success() => response,
        _ => return,
    };
    store_quietly(url, fresh, upstream.cache_lifetime_s()).await;
}

async fn store_quietly(url: HttpUrl, response: UpstreamResponse, lifetime_s: u32) {
    if let Err(e) = cache::store(&url, &response, lifetime_s, now_ms()).await {
        worker::console_warn!("could not cache {url}: {e}");
    }
}

/// What the retry loop needs to know of an attempt's answer.
pub(crate) trait Attempted {
    fn status(&self) -> u16;
    fn retry_after(&self) -> Option<&str>;
    /// Lets go of an answer that is not passed on (its body, if still unread).
    fn discard(&self) {}
}

impl Attempted for UpstreamResponse {
    fn status(&self) -> u16 {
        self.status
    }

    fn retry_after(&self) -> Option<&str> {
        self.retry_after.as_deref()
    }
}

/// The circuit breaker around the attempts: refused at once while open; a 5xx, timeout or
/// connection failure counts against the upstream, any other answer for it; a call that
/// ended on the client's side (hung up, body too large) counts neither way. What the breaker
/// said and each attempt's span go to `wire`.
async fn guarded<T, F, Fut>(upstream: &Upstream, retries: u32, wire: &Wire, attempt: F) -> Result<T, UpstreamError>
where
    T: Attempted,
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let breaker = match breaker::admit(&upstream.name, upstream.breaker_failures, upstream.breaker_cooldown_ms, now_ms()) {
        Admission::Rejected { retry_after_ms } => {
            wire.breaker("open");
            return Err(UpstreamError::CircuitOpen { retry_after_ms });
        }
        Admission::Probe => "half-open",
        Admission::Allowed => "closed",
    };
    wire.breaker(breaker);
    let outcome = with_retries(upstream, retries, wire, breaker, attempt).await;
    let healthy = match &outcome {
        Ok(answer) => Some(answer.status() < 500),
        Err(UpstreamError::ClientClosed | UpstreamError::RequestTooLarge { .. }) => None,
        Err(_) => Some(false),
    };
    if let Some(healthy) = healthy {
        breaker::record(&upstream.name, healthy, now_ms());
    }
    outcome
}

/// Attempts (each given what is left of the deadline and a span of its own) until one
/// succeeds, `retries` are spent, or the deadline is near.
async fn with_retries<T, F, Fut>(upstream: &Upstream, retries: u32, wire: &Wire, breaker: &'static str, mut attempt: F) -> Result<T, UpstreamError>
where
    T: Attempted,
    F: FnMut(Attempt) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let deadline = now_ms() + f64::from(upstream.timeout_ms);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let budget_ms = (deadline - now_ms()).max(1.0) as u32;
        let span_id = ids::span_id();
        wire.attempt(span_id);
        let outcome = attempt(Attempt { number: attempts, budget_ms, span_id, breaker }).await;
        let retry_after_ms = match &outcome {
            Ok(r) if retry::is_retryable_status(r.status()) => r.retry_after().and_then(|v| retry::parse_retry_after(v, now_ms())),
            Err(UpstreamError::Unreachable { .. }) => None,
            _ => return outcome,
        };
        match retry::next_delay(attempts, retries, retry_after_ms, deadline - now_ms(), js_sys::Math::random()) {
            Some(delay_ms) => {
                if let Ok(answer) = &outcome {
                    answer.discard();
                }
                executor::sleep(delay_ms as u32).await
            }
            None => return outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &[u8]) -> UpstreamResponse {
        UpstreamResponse {
            status,
            content_type: Some("application/json".into()),
            retry_after: None,
            etag: None,
            last_modified: None,
            body: Rc::from(body),
        }
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
    fn circuit_open_says_for_how_long() {
        assert_eq!(
            UpstreamError::CircuitOpen { retry_after_ms: 1_200.0 }.to_string(),
            "upstream failed repeatedly and is not being called for 2 s"
        );
    }
}
