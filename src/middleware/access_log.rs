//! One structured JSON line per request on the runtime console, for `wrangler tail` and
//! Workers Logs. It carries no bodies, no query strings and no headers but the request id.

use serde::Serialize;
use worker::console_log;

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
    /// A panic's message, which is ours (never client input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub panic: Option<&'a str>,
}

pub fn emit(line: &AccessLog) {
    if let Ok(json) = serde_json::to_string(line) {
        console_log!("{json}");
    }
}

/// The line for a request that ended in `error` because of a panic with `message`.
pub fn emit_failure(ctx: &RequestContext, error: &ApiError, message: &str) {
    emit(&AccessLog::new(ctx, error.status(), Some(error), Some(message)));
}

impl<'a> AccessLog<'a> {
    pub fn new(ctx: &'a RequestContext, status: u16, error: Option<&ApiError>, panic: Option<&'a str>) -> Self {
        AccessLog {
            event: "request",
            request_id: &ctx.request_id,
            method: &ctx.method,
            path: &ctx.path,
            status,
            duration_ms: ctx.elapsed_ms(),
            upstream: ctx.upstream_calls(),
            error: error.map(ApiError::slug),
            panic,
        }
    }
}
