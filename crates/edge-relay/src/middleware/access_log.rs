//! One structured JSON line per request on the runtime console, for `wrangler tail` and
//! Workers Logs. It carries no bodies, no query strings and no headers but the request id and
//! the trace (`trace_id`, the request's `span_id`, the caller's `parent_span_id`).
//! The line is written by the call that hands the response to the runtime; for a streamed
//! body, when the body has ended, with a `stream` field saying how (a client that hung up
//! turns the status into 499).

use serde::Serialize;
use worker::web_sys;

use crate::context::{server_timing, RequestContext, UpstreamCall};
use crate::error::ApiError;
use crate::response::Reply;
use crate::trace::{SpanId, TraceId};

#[derive(Debug, Serialize)]
pub struct AccessLog<'a> {
    pub event: &'static str,
    pub request_id: &'a str,
    pub trace_id: TraceId,
    pub span_id: SpanId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<SpanId>,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: u64,
    pub upstream: &'a [UpstreamCall],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
    /// What went wrong inside (a store's or the runtime's own error), which the client's
    /// problem leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'a str>,
    /// A panic's message, which is ours (never client input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic: Option<&'a str>,
}

impl AccessLog<'_> {
    /// The line as JSON (our own plain data: it always serialises).
    pub fn to_line(&self) -> String {
        let mut line = Vec::with_capacity(256);
        // Serialising our own plain data into a `Vec` cannot fail, and the output is UTF-8.
        let _ = serde_json::to_writer(&mut line, self);
        String::from_utf8(line).unwrap_or_default()
    }
}

/// Hands `reply` to the runtime with the headers every response carries (`X-Request-Id`,
/// `Server-Timing`), writing the request's log line.
pub fn send(mut reply: Reply, ctx: &RequestContext, error: Option<&ApiError>, panic: Option<&str>) -> web_sys::Response {
    let calls = ctx.upstream_calls();
    let duration_ms = ctx.elapsed_ms();
    reply.header("X-Request-Id", ctx.request_id.as_str());
    reply.header("Server-Timing", server_timing(duration_ms, &calls));
    let line = AccessLog {
        event: "request",
        request_id: &ctx.request_id,
        trace_id: ctx.trace.trace_id,
        span_id: ctx.trace.span_id,
        parent_span_id: ctx.trace.parent_id,
        method: &ctx.method,
        path: &ctx.path,
        status: reply.status,
        duration_ms,
        upstream: &calls,
        error: error.map(ApiError::slug),
        cause: error.and_then(ApiError::cause),
        panic,
    };
    reply.into_web(&line.to_line())
}
