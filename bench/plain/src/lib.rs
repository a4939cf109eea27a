//! rust-plain: what bench/js-worker.mjs does on `/async-example`, `/aggregate` and `/healthz`,
//! written the way a careful Rust developer would with wasm-bindgen and no framework: the
//! same request id, `Server-Timing`, problem bodies and access-log line, wasm-bindgen's own
//! executor, the response built and logged in one call, upstreams called through edge-relay's
//! own exchange helper. It has none of edge-relay's routing table, config, CORS, load shedding,
//! panic isolation, breaker, retries or coalescing, so edge-relay against it is what those
//! cost, and it against the JS worker is what doing the same work in Rust/wasm on workerd costs.

use std::cell::RefCell;

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

// worker-build's shim calls workers-rs's start-up export; linking the crate provides it.
use worker as _;

/// As the JS worker's (and edge-relay's default) cap on a body read whole.
const MAX_UPSTREAM_BODY_BYTES: u32 = 8 * 1024 * 1024;

#[wasm_bindgen(module = "/src/plain.mjs")]
extern "C" {
    fn sleep(ms: u32) -> js_sys::Promise;
}

// The response built and logged in one call, as edge-relay builds its own (binding this module
// also has wasm-bindgen copy it where the exchange helper's import of it looks).
#[wasm_bindgen(module = "/../../crates/edge-relay/src/response.mjs")]
extern "C" {
    /// `headers` is `name\nvalue\n…`; `line` is the access-log line, written in the same call.
    fn build_response(status: u16, headers: &str, body: &[u8], line: &str) -> Response;
}

// The span helpers edge-relay's response and exchange modules import: bound so that wasm-bindgen
// copies the module where their imports look. This worker opens no spans and calls none.
#[wasm_bindgen(module = "/../../crates/edge-relay/src/trace/span.mjs")]
extern "C" {
    #[allow(dead_code)]
    fn record_call_span(ctx: &JsValue, facts: &str);
}

// edge-relay's own upstream exchange (fetch, the capped body read, status and headers back in
// one call), so that the two differ in their Rust only.
#[wasm_bindgen(module = "/../../crates/edge-relay/src/upstream/exchange.mjs")]
extern "C" {
    /// Resolves to `["status\n…", body bytes]`; rejects with null on timeout, "too-large" past
    /// `cap` bytes, else with the runtime's error.
    fn exchange(url: &str, method: &str, headers: &str, body: Option<js_sys::Uint8Array>, budget_ms: u32, cap: u32) -> js_sys::Promise;
}

/// Per-request state: id, start time, upstream calls.
struct Call {
    request_id: String,
    started: f64,
    upstream: RefCell<Vec<UpstreamCall>>,
}

#[derive(Serialize)]
struct UpstreamCall {
    name: &'static str,
    duration_ms: u64,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
}

#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: String,
    status: u16,
    detail: String,
    instance: String,
}

struct Reply {
    status: u16,
    body: String,
    /// The problem's slug, for the log line.
    error: Option<&'static str>,
}

#[derive(Serialize)]
struct Line<'a> {
    event: &'static str,
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    status: u16,
    duration_ms: u64,
    upstream: &'a [UpstreamCall],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

fn since(started: f64) -> u64 {
    (js_sys::Date::now() - started).max(0.0) as u64
}

fn valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

impl Call {
    fn problem(&self, status: u16, slug: &'static str, detail: impl Into<String>) -> Reply {
        let problem = self.problem_body(status, slug, detail.into());
        Reply { status, body: serde_json::to_string(&problem).unwrap_or_default(), error: Some(slug) }
    }

    fn problem_body(&self, status: u16, slug: &str, detail: String) -> Problem {
        Problem { kind: format!("urn:edge-relay:problem:{slug}"), status, detail, instance: self.request_id.clone() }
    }
}

fn json(body: &impl Serialize) -> Reply {
    Reply { status: 200, body: serde_json::to_string(body).unwrap_or_default(), error: None }
}

/// The fetch handler. Built with `panic=unwind` like edge-relay, an exported future must be
/// declared unwind-safe; nothing here catches a panic per request, as edge-relay does.
#[wasm_bindgen]
pub fn fetch(req: Request, env: JsValue, _ctx: JsValue) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(std::panic::AssertUnwindSafe(async move { serve(req, env).await.map(JsValue::from) }))
}

async fn serve(req: Request, env: JsValue) -> Result<Response, JsValue> {
    let request_id = match req.headers().get("x-request-id")? {
        Some(id) if valid_request_id(&id) => id,
        _ => js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>().crypto()?.random_uuid(),
    };
    let call = Call { request_id, started: js_sys::Date::now(), upstream: RefCell::default() };
    let url = req.url();
    // The runtime's URL is absolute: the path starts at the third '/'.
    let target = url.match_indices('/').nth(2).map_or("/", |(i, _)| &url[i..]);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let method = req.method();
    let reply = route(&req, &env, &call, &method, path, query).await?;

    let total = since(call.started);
    let calls = call.upstream.borrow();
    let mut timing = format!("total;dur={total}");
    if !calls.is_empty() {
        let upstream: u64 = calls.iter().map(|c| c.duration_ms).sum();
        timing = format!("upstream;dur={upstream};desc=\"{} call(s)\", {timing}", calls.len());
    }
    let line = Line { event: "request", request_id: &call.request_id, method: &method, path, status: reply.status, duration_ms: total, upstream: &calls, error: reply.error };
    let content_type = if reply.error.is_some() { "application/problem+json" } else { "application/json" };
    let headers = format!("content-type\n{content_type}\nx-request-id\n{}\nserver-timing\n{timing}", call.request_id);
    Ok(build_response(reply.status, &headers, reply.body.as_bytes(), &serde_json::to_string(&line).unwrap_or_default()))
}

async fn route(req: &Request, env: &JsValue, call: &Call, method: &str, path: &str, query: &str) -> Result<Reply, JsValue> {
    match (method, path) {
        (_, "/healthz") => Ok(Reply { status: 200, body: r#"{"status":"ok"}"#.into(), error: None }),
        ("GET", "/async-example") => {
            let raw = query.split('&').find_map(|p| p.strip_prefix("delay_ms=")).unwrap_or("0");
            match raw.parse::<u32>() {
                Ok(delay) if delay <= 10_000 && raw.bytes().all(|b| b.is_ascii_digit()) => {
                    JsFuture::from(sleep(delay)).await?;
                    Ok(json(&Message { message: "Async operation completed" }))
                }
                _ => Ok(call.problem(422, "validation-failed", "delay_ms must be 0..=10000")),
            }
        }
        ("POST", "/aggregate") => aggregate(req, env, call).await,
        _ => Ok(call.problem(404, "not-found", format!("no route matches path '{path}'"))),
    }
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize)]
struct Aggregated {
    duration_ms: u64,
    results: Vec<ItemResult>,
}

#[derive(Deserialize)]
struct AggregateBody {
    requests: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    id: String,
    path: String,
}

#[derive(Serialize)]
struct ItemResult {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Problem>,
    duration_ms: u64,
}

async fn aggregate(req: &Request, env: &JsValue, call: &Call) -> Result<Reply, JsValue> {
    let bytes = js_sys::Uint8Array::new(&JsFuture::from(req.array_buffer()?).await?).to_vec();
    let Ok(body) = serde_json::from_slice::<AggregateBody>(&bytes) else {
        return Ok(call.problem(422, "validation-failed", "malformed JSON"));
    };
    if !(1..=50).contains(&body.requests.len()) {
        return Ok(call.problem(422, "validation-failed", "1..=50 requests"));
    }
    let var = |name| js_sys::Reflect::get(env, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let base = var("UPSTREAM_BASE").unwrap_or_default();
    let timeout_ms = var("UPSTREAM_TIMEOUT_MS").and_then(|v| v.parse().ok()).unwrap_or(5000);
    let (base, started) = (&base, js_sys::Date::now());
    let results: Vec<ItemResult> = stream::iter(body.requests)
        .map(|item| async move {
            let t = js_sys::Date::now();
            let outcome = get_json(call, &format!("{base}{}", item.path), timeout_ms).await;
            let duration_ms = since(t);
            match outcome {
                Ok((status, body)) => ItemResult { id: item.id, status: Some(status), body: Some(body), error: None, duration_ms },
                Err(problem) => ItemResult { id: item.id, status: None, body: None, error: Some(problem), duration_ms },
            }
        })
        .buffered(6)
        .collect()
        .await;
    Ok(json(&Aggregated { duration_ms: since(started), results }))
}

/// One upstream call whose body must be JSON; a failure is the item's problem.
async fn get_json(call: &Call, url: &str, timeout_ms: u32) -> Result<(u16, Box<RawValue>), Problem> {
    let started = js_sys::Date::now();
    let failed = |status: u16, slug: &'static str, detail: String, upstream_status: Option<u16>| {
        call.upstream.borrow_mut().push(UpstreamCall { name: "bench", duration_ms: since(started), outcome: slug, status: upstream_status });
        call.problem_body(status, slug, detail)
    };
    let headers = format!("Accept\napplication/json\nX-Request-Id\n{}", call.request_id);
    let answer = match JsFuture::from(exchange(url, "GET", &headers, None, timeout_ms, MAX_UPSTREAM_BODY_BYTES)).await {
        Ok(answer) => js_sys::Array::from(&answer),
        Err(e) if e.is_null() => return Err(failed(504, "upstream-timeout", format!("no answer within {timeout_ms} ms"), None)),
        Err(e) if e.as_string().as_deref() == Some("too-large") => {
            return Err(failed(502, "upstream-too-large", format!("upstream body is larger than {MAX_UPSTREAM_BODY_BYTES} bytes"), None))
        }
        Err(e) => return Err(failed(502, "upstream-unreachable", format!("{e:?}"), None)),
    };
    let meta = answer.get(0).as_string().unwrap_or_default();
    let status = meta.split('\n').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = js_sys::Uint8Array::new(&answer.get(1)).to_vec();
    if !(200..300).contains(&status) {
        return Err(failed(502, "upstream-bad-status", format!("upstream answered with status {status}"), Some(status)));
    }
    match serde_json::from_slice::<Box<RawValue>>(&body) {
        Ok(raw) => {
            call.upstream.borrow_mut().push(UpstreamCall { name: "bench", duration_ms: since(started), outcome: "ok", status: Some(status) });
            Ok((status, raw))
        }
        Err(e) => Err(failed(502, "upstream-invalid-json", e.to_string(), Some(status))),
    }
}
