//! Background tasks, FastAPI-style: work a handler schedules to run after its response has
//! gone out (on `ctx.waitUntil`). A task's failure or panic is logged with the request id; it
//! can never change the response, which is already sent. All `waitUntil` work goes through here.

use std::future::Future;
use std::rc::Rc;

use serde::Serialize;
use worker::{console_error, console_log};

use crate::context::{ms_since, now_ms, RequestContext, UpstreamCall};
use crate::panics;
use crate::trace::{SpanId, TraceId};

#[derive(Serialize)]
struct TaskLog<'a> {
    event: &'static str,
    task: &'static str,
    request_id: &'a str,
    trace_id: TraceId,
    /// The task's own span, a child of its request's (`parent_span_id`).
    span_id: SpanId,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<SpanId>,
    outcome: &'static str,
    duration_ms: u64,
    upstream: &'a [UpstreamCall],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Runs `work(task)` after the response; `task` is the task's own context (see
/// `RequestContext::for_task`: the request's id and trace, a span of its own) for the
/// upstream calls it makes, which its log line lists. `name` names the task in that line. A
/// panic in it is caught and logged as a failed task: other tasks and requests go on.
pub fn spawn<F, Fut>(ctx: &RequestContext, name: &'static str, work: F)
where
    F: FnOnce(Rc<RequestContext>) -> Fut,
    Fut: Future<Output = Result<(), String>> + 'static,
{
    let task = ctx.for_task();
    let work = work(task.clone());
    ctx.wait_until(async move {
        let started = now_ms();
        let outcome = panics::catch(work).await.unwrap_or_else(|panic| Err(format!("panicked: {panic}")));
        log(name, &task, started, &outcome);
    });
}

/// For bookkeeping that reports its own failures (cache writes and refreshes): only a panic
/// is logged, as a failed task.
pub fn spawn_quiet<F, Fut>(ctx: &RequestContext, name: &'static str, work: F)
where
    F: FnOnce(Rc<RequestContext>) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let task = ctx.for_task();
    let work = work(task.clone());
    ctx.wait_until(async move {
        let started = now_ms();
        if let Err(panic) = panics::catch(work).await {
            log(name, &task, started, &Err(format!("panicked: {panic}")));
        }
    });
}

fn log(name: &'static str, task: &RequestContext, started: f64, outcome: &Result<(), String>) {
    let calls = task.upstream_calls();
    let line = TaskLog {
        event: "background_task",
        task: name,
        request_id: &task.request_id,
        trace_id: task.trace.trace_id,
        span_id: task.trace.span_id,
        parent_span_id: task.trace.parent_id,
        outcome: if outcome.is_ok() { "done" } else { "failed" },
        duration_ms: ms_since(started),
        upstream: &calls,
        error: outcome.as_ref().err().map(String::as_str),
    };
    let json = serde_json::to_string(&line).unwrap_or_default();
    if outcome.is_ok() {
        console_log!("{json}");
    } else {
        console_error!("{json}");
    }
}
