//! One structured JSON line per request on the runtime console, for `wrangler tail` and
//! Workers Logs. It carries no bodies, no query strings and no headers but the request id.
//! The line is written by the call that hands the response to the runtime; for a streamed
//! body, when the body has ended, with a `stream` field saying how (a client that hung up
//! turns the status into 499).

use serde::Serialize;

use crate::context::{RequestContext, UpstreamCall};
use crate::error::ApiError;

#[derive(Debug, Serialize)]
pub struct AccessLog<'a> {
    pub event: &'static str,
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub duration_ms: u64,
    pub upstream: Vec<UpstreamCall>,
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
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl<'a> AccessLog<'a> {
    pub fn new(ctx: &'a RequestContext, status: u16, error: Option<&'a ApiError>, panic: Option<&'a str>) -> Self {
        AccessLog {
            event: "request",
            request_id: &ctx.request_id,
            method: &ctx.method,
            path: &ctx.path,
            status,
            duration_ms: ctx.elapsed_ms(),
            upstream: ctx.upstream_calls(),
            error: error.map(ApiError::slug),
            cause: error.and_then(ApiError::cause),
            panic,
        }
    }
}
