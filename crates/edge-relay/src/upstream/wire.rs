//! What one upstream call did on the wire, for its entry in the log line (`UpstreamCall`) and
//! its spans: each attempt's span id, what the circuit breaker said, how the call ended.

use std::cell::Cell;

use super::outcome::UpstreamError;
use super::registry::Upstream;
use crate::context::{ms_since, RequestContext, UpstreamCall};
use crate::error::ApiError;
use crate::trace::{span, AttemptSpans, SpanId};

/// What one call did on the wire, for its log entry: the span of each attempt it sent and what
/// the circuit breaker said (nothing, for a call the cache answered).
#[derive(Default)]
pub(super) struct Wire {
    spans: Cell<AttemptSpans>,
    breaker: Cell<Option<&'static str>>,
}

/// One attempt of a call: its number (from 1), what is left of the deadline, its span (the
/// parent id the upstream receives) and what the breaker said.
pub(super) struct Attempt {
    pub number: u32,
    pub budget_ms: u32,
    pub span_id: SpanId,
    pub breaker: &'static str,
}

/// How a call ended, for its log entry.
pub(super) struct Ended<'a> {
    pub method: &'static str,
    pub started: f64,
    /// The status and `Cache-Status` of an answer, or why there is none.
    pub outcome: Result<(u16, Option<String>), &'a UpstreamError>,
    pub coalesced: bool,
    pub bytes: Option<usize>,
}

/// Records a finished call on `ctx` for the access log and `Server-Timing`; a call that sent
/// nothing (the cache or the breaker answered) gets its span here, and one that shared
/// another's call gets one where the request already knows that its spans are recorded.
pub(super) fn record(ctx: &RequestContext, upstream: &Upstream, wire: &Wire, ended: Ended) {
    let call = UpstreamCall {
        name: upstream.name.clone(),
        method: ended.method,
        duration_ms: ms_since(ended.started),
        outcome: ended.outcome.as_ref().map_or_else(|e| ApiError::from((*e).clone()).slug(), |_| "ok"),
        status: ended.outcome.as_ref().ok().map(|(status, _)| *status),
        cache: ended.outcome.ok().and_then(|(_, cache)| cache),
        coalesced: ended.coalesced,
        breaker: wire.breaker.get(),
        spans: wire.spans.get(),
        bytes: ended.bytes,
    };
    if call.spans.is_empty() {
        // A call that shared another's sent nothing and learns nothing: it does not ask.
        let tracing = if call.coalesced { ctx.tracing_if_asked() } else { Some(ctx.tracing()) };
        if let Some(tracing) = tracing.filter(|t| !t.is_null()) {
            let facts = [&*call.name, call.method, call.breaker.unwrap_or(""), call.cache.as_deref().unwrap_or(""), call.outcome, if call.coalesced { "true" } else { "" }];
            span::record_call_span(tracing, &facts.join("\n"));
        }
    }
    ctx.record_upstream(call);
}

impl Wire {
    /// Notes what the breaker said about the call.
    pub(super) fn breaker(&self, said: &'static str) {
        self.breaker.set(Some(said));
    }

    /// Notes an attempt's span, in order.
    pub(super) fn attempt(&self, span_id: SpanId) {
        let mut spans = self.spans.get();
        spans.push(span_id);
        self.spans.set(spans);
    }
}
