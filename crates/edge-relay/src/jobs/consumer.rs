//! The queue consumer: runs one message's items, records each as it finishes, and decides
//! between ack and a delayed retry. Messages that exhaust the queue's retries arrive on the
//! dead-letter queue, which marks their job failed.

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{console_error, console_log, js_sys, worker_sys, Env};

use super::model::{classify, describe_failure, retry_delay_s, storable, ItemOutcome, JobMessage, JobRequest};
use super::Jobs;
use crate::config::Config;
use crate::context::{ms_since, now_ms, share, RequestContext, UpstreamCall};
use crate::error::ApiError;
use crate::panics;
use crate::batch::model::ItemResult;
use crate::batch::{call, plan_item};
use crate::trace::{ids, SpanId, Trace, TraceId};

/// With test routes on (the `diagnostics` feature), an item with this id panics in the
/// consumer, to prove a panic costs one message only.
#[cfg(feature = "diagnostics")]
const TEST_PANIC_ITEM: &str = "_test_panic";

/// What became of one message.
enum Handled {
    /// Every item in it has finished: ack.
    Done,
    /// Some items failed transiently: retry the message later.
    Retry(String),
    /// The job had already ended or does not exist: ack, nothing to do.
    Skipped,
}

#[derive(Serialize)]
struct ChunkLog<'a> {
    event: &'static str,
    job: &'a str,
    /// The submitting request's trace; the chunk's own span, a child of that request's.
    trace_id: TraceId,
    span_id: SpanId,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<SpanId>,
    start: u32,
    end: u32,
    attempt: u32,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_in_s: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    duration_ms: u64,
    /// The items' upstream calls, as the access log lists a request's.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    upstream: &'a [UpstreamCall],
}

/// Handles one batch from the jobs queue or its dead-letter queue. Never throws: each
/// message is acked or retried explicitly.
pub async fn consume(batch: worker_sys::MessageBatch, env: Env, runtime: worker_sys::Context) {
    let messages: Vec<worker_sys::Message> =
        batch.messages().map(|a| a.iter().map(JsCast::unchecked_into).collect()).unwrap_or_default();
    let setup = Config::load(&env).map_err(ApiError::from).and_then(|config| Ok((Jobs::bind(&env, &config)?, config)));
    let (jobs, config) = match setup {
        Ok(bound) => bound,
        Err(e) => {
            // Nothing can run without config and bindings; the queue's retries give a fix time to land.
            console_error!("{}", serde_json::json!({"level": "error", "event": "jobs_unavailable", "error": e.log_detail()}));
            let _ = batch.retry_all(JsValue::UNDEFINED);
            return;
        }
    };
    let dead_letters = batch.queue().map(String::from).unwrap_or_default() == jobs.settings.dead_letter_queue;
    for message in messages {
        handle(&jobs, &env, &config, &message, dead_letters, &runtime).await;
    }
}

async fn handle(jobs: &Jobs, env: &Env, config: &Config, message: &worker_sys::Message, dead_letters: bool, runtime: &worker_sys::Context) {
    let started = now_ms();
    let attempt = js_sys::Reflect::get(message, &JsValue::from_str("attempts")).ok().and_then(|v| v.as_f64()).unwrap_or(1.0) as u32;
    let body = message.body().ok().and_then(|b| b.as_string()).unwrap_or_default();
    let Ok(msg) = serde_json::from_str::<JobMessage>(&body) else {
        // Not ours, or corrupt: retrying cannot help.
        console_error!("{}", serde_json::json!({"level": "error", "event": "job_message_invalid", "body": body}));
        let _ = message.ack();
        return;
    };
    let trace = Trace::from_headers(msg.traceparent.as_deref(), || msg.tracestate.clone(), ids::span_id(), ids::trace_id);
    // The job id is the request id of its upstream calls and of the problems in its results.
    let ctx = RequestContext::new(Some(msg.job.clone()), "QUEUE".into(), "/", None, trace, share(runtime));
    let log = |outcome, retry_in_s, error: Option<&str>| {
        let line = ChunkLog {
            event: "job_chunk",
            job: &msg.job,
            trace_id: ctx.trace.trace_id,
            span_id: ctx.trace.span_id,
            parent_span_id: ctx.trace.parent_id,
            start: msg.start,
            end: msg.end,
            attempt,
            outcome,
            retry_in_s,
            error,
            duration_ms: ms_since(started),
            upstream: &ctx.upstream_calls(),
        };
        let json = serde_json::to_string(&line).unwrap_or_default();
        if error.is_some() {
            console_error!("{json}");
        } else {
            console_log!("{json}");
        }
    };
    if dead_letters {
        let last = jobs.store.get(&msg.job).await.ok().flatten().and_then(|j| j.last_error);
        let reason = format!(
            "items {}..{} still failing after the queue's retries: {}",
            msg.start,
            msg.end,
            last.as_deref().unwrap_or("processing failed")
        );
        let failed = panics::catch(jobs.store.fail(&msg.job, &reason, now_ms())).await;
        match failed.unwrap_or_else(|panic| Err(ApiError::Internal { detail: panic })) {
            Ok(_) => {
                let _ = message.ack();
                log("dead_lettered", None, Some(&reason));
            }
            Err(e) => {
                let _ = message.retry(JsValue::UNDEFINED);
                log("retry", None, Some(&e.log_detail()));
            }
        }
        return;
    }
    // A panic costs this message alone: it is retried like a transient failure (and, once
    // the retries are spent, dead-lettered), while the batch's other messages go on. What
    // the job shows is a stable note; the panic itself goes to the log.
    let outcome = panics::catch(run(jobs, env, config, &msg, &ctx)).await.unwrap_or_else(|panic| {
        log("panicked", None, Some(&panic));
        Ok(Handled::Retry(format!("an internal error interrupted items {}..{}; it is logged under job {}", msg.start, msg.end, msg.job)))
    });
    match outcome {
        Ok(Handled::Done) => {
            let _ = message.ack();
            log("done", None, None);
        }
        Ok(Handled::Skipped) => {
            let _ = message.ack();
            log("skipped", None, None);
        }
        Ok(Handled::Retry(reason)) => retry(jobs, message, &msg, attempt, &reason, &log).await,
        // The job shows the problem's stable words; the log gets the cause.
        Err(e) => {
            if let Some(cause) = e.cause() {
                log("failed", None, Some(cause));
            }
            retry(jobs, message, &msg, attempt, &e.to_problem(&msg.job).detail, &log).await
        }
    }
}

/// Schedules the message's next attempt with exponential backoff and notes why on the job.
async fn retry(
    jobs: &Jobs,
    message: &worker_sys::Message,
    msg: &JobMessage,
    attempt: u32,
    reason: &str,
    log: &impl Fn(&'static str, Option<u32>, Option<&str>),
) {
    let delay_s = retry_delay_s(attempt, jobs.settings.retry_delay_s);
    let now = now_ms();
    // Best effort: the retry itself must happen even if the note cannot be written.
    let _ = jobs.store.note_retry(&msg.job, reason, now, jobs.lease_from(now, delay_s)).await;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &JsValue::from_str("delaySeconds"), &JsValue::from(delay_s));
    let _ = message.retry(options.into());
    log("retry", Some(delay_s), Some(reason));
}

/// Runs the message's still-pending items, at most `concurrency` at once, as calls of `ctx`
/// (the chunk's span of the job's trace), recording each final result as soon as it arrives.
async fn run(jobs: &Jobs, env: &Env, config: &Config, msg: &JobMessage, ctx: &RequestContext) -> Result<Handled, ApiError> {
    let now = now_ms();
    let Some(job) = jobs.store.start_chunk(&msg.job, now, jobs.lease_from(now, 0)).await? else {
        return Ok(Handled::Skipped);
    };
    let request: JobRequest = serde_json::from_str(&job.request)
        .map_err(|e| ApiError::Internal { detail: format!("job {} has an unreadable request: {e}", job.id) })?;
    let registry = config.upstreams(env)?;
    let pending = jobs.store.pending(&job.id, Some((msg.start, msg.end))).await?;
    let calls = pending.into_iter().filter_map(|idx| Some((idx, request.requests.get(idx as usize)?.clone()))).map(|(idx, item)| async move {
        let id = item.id.clone();
        #[cfg(feature = "diagnostics")]
        if config.test_routes && id.as_deref() == Some(TEST_PANIC_ITEM) {
            panic!("deliberate panic from job item {TEST_PANIC_ITEM}");
        }
        let result = match plan_item(idx as usize, item, registry) {
            Ok(planned) => call(ctx, planned).await,
            // The upstream was removed or changed since the job was accepted: final.
            Err(field) => ItemResult {
                id,
                status: None,
                body: None,
                cache: None,
                error: Some(ApiError::Validation(vec![field]).to_problem(&ctx.request_id)),
                duration_ms: 0,
            },
        };
        (idx, result)
    });
    let mut results = stream::iter(calls).buffer_unordered(jobs.settings.concurrency as usize);
    let mut transient = None;
    while let Some((idx, result)) = results.next().await {
        if classify(&result) == ItemOutcome::Transient {
            transient.get_or_insert_with(|| describe_failure(idx, &result));
            continue;
        }
        let (outcome, document) = storable(result, &job.id);
        let now = now_ms();
        jobs.store.record_item(&job.id, idx, outcome.as_str(), &document, now, jobs.lease_from(now, 0)).await?;
    }
    if let Some(reason) = transient {
        return Ok(Handled::Retry(reason));
    }
    jobs.store.finish_if_done(&job.id, now_ms()).await?;
    Ok(Handled::Done)
}

/// Re-enqueues stale jobs (see `Jobs::sweep`) and logs what it did; a panic is logged as a
/// failed sweep, and the next cron tick tries again.
pub async fn sweep(env: &Env) {
    let outcome = match Config::load(env) {
        Ok(config) => match Jobs::bind(env, &config) {
            Ok(jobs) => panics::catch(jobs.sweep()).await.unwrap_or_else(|panic| Err(ApiError::Internal { detail: panic })),
            // No jobs bindings: nothing to sweep.
            Err(_) => return,
        },
        Err(e) => Err(ApiError::from(e)),
    };
    match outcome {
        Ok(resumed) => console_log!("{}", serde_json::json!({"event": "jobs_sweep", "resumed": resumed})),
        Err(e) => console_error!("{}", serde_json::json!({"level": "error", "event": "jobs_sweep", "error": e.log_detail()})),
    }
}
