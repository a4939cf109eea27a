//! Per-request state shared by the middleware, the handlers and the upstream client.

use std::cell::{OnceCell, Ref, RefCell};
use std::future::Future;
use std::rc::Rc;

use serde::Serialize;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::{web_sys, worker_sys, Context};

use crate::extract::QueryParams;
use crate::trace::{ids, span, AttemptSpans, SpanId, Trace};

#[wasm_bindgen(module = "/src/context.mjs")]
extern "C" {
    /// `X-Request-Id`, then `traceparent`, a line each (empty when absent).
    fn context_headers(headers: &web_sys::Headers) -> String;
}

/// Longest client-supplied `X-Request-Id` we accept.
const MAX_REQUEST_ID_LEN: usize = 128;

/// One request's own state: its id, method, path and query, when it started, the upstream
/// calls it made and the runtime's handle for work after the response. A handler takes it as
/// [`crate::handler::Ctx`].
pub struct RequestContext {
    /// The client's `X-Request-Id` when it is short and of a safe alphabet, else a new UUID:
    /// the answer's `X-Request-Id`, every problem's `instance` and the log line carry it.
    pub request_id: String,
    /// The request's method as the runtime gives it (`GET`, `POST`…).
    pub method: String,
    /// The URL's path, still percent-encoded.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The trace this request continues or starts, and the request's own span in it.
    pub trace: Trace,
    started_ms: f64,
    upstream_calls: RefCell<Vec<UpstreamCall>>,
    /// The runtime's `ExecutionContext` of the invocation (`waitUntil`, `tracing`).
    runtime: worker_sys::Context,
    /// Its `tracing` where the runtime records this invocation's spans, else null.
    tracing: OnceCell<JsValue>,
}

/// One outbound call, for the access log and `Server-Timing`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpstreamCall {
    pub name: Rc<str>,
    pub method: &'static str,
    pub duration_ms: u64,
    /// `ok`, or the problem slug it failed with.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `Cache-Status` of a cached upstream's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
    /// Whether an identical call already in flight was shared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub coalesced: bool,
    /// What the circuit breaker said: `closed`, `half-open` (this call was its probe) or
    /// `open`; nothing when the cache answered first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<&'static str>,
    /// The span id of each attempt sent, in order: the parent id the upstream received.
    #[serde(skip_serializing_if = "AttemptSpans::is_empty")]
    pub spans: AttemptSpans,
    /// The size of the body read whole (a streamed body's is the line's `stream.bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<usize>,
}

impl RequestContext {
    pub(crate) fn new(client_request_id: Option<String>, method: String, path: &str, query: Option<&str>, trace: Trace, runtime: worker_sys::Context) -> Self {
        let request_id = client_request_id.filter(|id| is_valid_request_id(id)).unwrap_or_else(new_request_id);
        Self {
            request_id,
            method,
            path: path.to_owned(),
            query: query.map(str::to_owned),
            trace,
            started_ms: now_ms(),
            upstream_calls: RefCell::default(),
            runtime,
            tracing: OnceCell::new(),
        }
    }

    /// The context of work that outlives the response (a background task): the same request
    /// id and trace, a span of its own (a child of this request's) and its own record of
    /// upstream calls.
    pub fn for_task(&self) -> Rc<RequestContext> {
        Rc::new(RequestContext {
            request_id: self.request_id.clone(),
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            trace: self.trace.child(ids::span_id()),
            started_ms: now_ms(),
            upstream_calls: RefCell::default(),
            runtime: share(&self.runtime),
            tracing: self.tracing.clone(),
        })
    }

    /// The runtime's `tracing` where it records this invocation's spans, else null: asked on
    /// the first upstream call, so a request that makes none, or runs where nothing is traced,
    /// costs one question at most.
    pub(crate) fn tracing(&self) -> &JsValue {
        self.tracing.get_or_init(|| span::tracing_of(self.runtime.as_ref()))
    }

    /// The same, without asking: `None` until the request has asked.
    pub(crate) fn tracing_if_asked(&self) -> Option<&JsValue> {
        self.tracing.get()
    }

    /// What JS needs to send an upstream attempt as span `span_id`: its `traceparent`, and,
    /// where the runtime records spans, what the attempt's span says (`Trace::attempt_facts`).
    pub(crate) fn attempt_facts(&self, span_id: SpanId, upstream: &str, attempt: u32, breaker: &str, cache: &str) -> String {
        if self.tracing().is_null() {
            self.trace.traceparent_for(span_id)
        } else {
            self.trace.attempt_facts(span_id, upstream, attempt, breaker, cache)
        }
    }

    /// The decoded query parameters.
    pub fn query_params(&self) -> QueryParams {
        QueryParams::parse(self.query.as_deref())
    }

    /// Keeps the isolate alive for `work` after the response is sent; `background` wraps it
    /// so that every such task is logged and has its panics caught.
    pub(crate) fn wait_until(&self, work: impl Future<Output = ()> + 'static) {
        Context::new(share(&self.runtime)).wait_until(work);
    }

    /// One push per finished call; the list belongs to this request alone, so a panic elsewhere
    /// cannot touch it, and its `RefCell` guard is released if one strikes here.
    pub(crate) fn record_upstream(&self, call: UpstreamCall) {
        self.upstream_calls.borrow_mut().push(call);
    }

    pub(crate) fn upstream_calls(&self) -> Ref<'_, [UpstreamCall]> {
        Ref::map(self.upstream_calls.borrow(), Vec::as_slice)
    }

    pub(crate) fn elapsed_ms(&self) -> u64 {
        ms_since(self.started_ms)
    }
}

/// The client's `X-Request-Id` and `traceparent`, read in one crossing; an empty one is absent.
pub(crate) fn request_and_trace_ids(headers: &web_sys::Headers) -> (Option<String>, Option<String>) {
    let both = context_headers(headers);
    let (id, traceparent) = both.split_once('\n').unwrap_or((&both, ""));
    let given = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    (given(id), given(traceparent))
}

/// Another handle on the same `ExecutionContext` (the binding's type is not `Clone`).
pub(crate) fn share(runtime: &worker_sys::Context) -> worker_sys::Context {
    runtime.unchecked_ref::<JsValue>().clone().unchecked_into()
}

/// Wall-clock milliseconds. In workerd the clock advances only across I/O, so durations
/// measure time spent waiting, which is what a client sees.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Whole milliseconds since `started_ms`. Durations are integers everywhere: formatting
/// floats would pull core's float printing into the wasm for nothing.
pub fn ms_since(started_ms: f64) -> u64 {
    (now_ms() - started_ms).max(0.0).round() as u64
}

/// Client ids are echoed into headers and logs: keep them short and to a safe alphabet.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn new_request_id() -> String {
    new_id()
}

/// A random UUID from the runtime's CSPRNG.
pub fn new_id() -> String {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    scope.crypto().map(|c| c.random_uuid()).unwrap_or_else(|_| format!("{:x}", js_sys::Math::random().to_bits()))
}

/// The `Server-Timing` value: total time, plus time spent waiting on upstreams when any.
pub(crate) fn server_timing(total_ms: u64, calls: &[UpstreamCall]) -> String {
    let mut value = format!("total;dur={total_ms}");
    if !calls.is_empty() {
        let upstream: u64 = calls.iter().map(|c| c.duration_ms).sum();
        value = format!("upstream;dur={upstream};desc=\"{} call(s)\", {value}", calls.len());
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_alphabet_and_length() {
        for ok in ["a", "req-123", "3f2a.b_c:d", &"x".repeat(128)] {
            assert!(is_valid_request_id(ok), "{ok}");
        }
        for bad in ["", "has space", "semi;colon", "quote\"", "new\nline", "ünï", &"x".repeat(129)] {
            assert!(!is_valid_request_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn server_timing_lists_upstream_when_called() {
        assert_eq!(server_timing(12, &[]), "total;dur=12");
        let call = |ms| UpstreamCall {
            name: "default".into(),
            method: "GET",
            duration_ms: ms,
            outcome: "ok",
            status: Some(200),
            cache: None,
            coalesced: false,
            breaker: Some("closed"),
            spans: AttemptSpans::default(),
            bytes: None,
        };
        assert_eq!(
            server_timing(30, &[call(10), call(6)]),
            "upstream;dur=16;desc=\"2 call(s)\", total;dur=30"
        );
    }
}
