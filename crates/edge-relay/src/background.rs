//! Background tasks, FastAPI-style: work a handler schedules to run after its response has
//! gone out (on `ctx.waitUntil`). A task's failure or panic is logged with the request id; it
//! can never change the response, which is already sent. All `waitUntil` work goes through here.

use std::future::Future;

use serde::Serialize;
use worker::{console_error, console_log};

use crate::context::{ms_since, now_ms, RequestContext};
use crate::panics;

#[derive(Serialize)]
struct TaskLog<'a> {
    event: &'static str,
    task: &'static str,
    request_id: &'a str,
    outcome: &'static str,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Runs `work` after the response; `task` names it in the log line it ends with. A panic in
/// it is caught and logged as a failed task: other tasks and requests go on.
pub fn spawn(ctx: &RequestContext, task: &'static str, work: impl Future<Output = Result<(), String>> + 'static) {
    let request_id = ctx.request_id.clone();
    ctx.wait_until(async move {
        let started = now_ms();
        let outcome = panics::catch(work).await.unwrap_or_else(|panic| Err(format!("panicked: {panic}")));
        log(task, &request_id, started, &outcome);
    });
}

/// For bookkeeping that reports its own failures (cache writes and refreshes): only a panic
/// is logged, as a failed task.
pub fn spawn_quiet(ctx: &RequestContext, task: &'static str, work: impl Future<Output = ()> + 'static) {
    let request_id = ctx.request_id.clone();
    ctx.wait_until(async move {
        let started = now_ms();
        if let Err(panic) = panics::catch(work).await {
            log(task, &request_id, started, &Err(format!("panicked: {panic}")));
        }
    });
}

fn log(task: &'static str, request_id: &str, started: f64, outcome: &Result<(), String>) {
    let line = TaskLog {
        event: "background_task",
        task,
        request_id,
        outcome: if outcome.is_ok() { "done" } else { "failed" },
        duration_ms: ms_since(started),
        error: outcome.as_ref().err().map(String::as_str),
    };
    let json = serde_json::to_string(&line).unwrap_or_default();
    if outcome.is_ok() {
        console_log!("{json}");
    } else {
        console_error!("{json}");
    }
}
