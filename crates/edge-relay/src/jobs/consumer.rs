//! The queue consumer: runs one message's items, keeping each result as it finishes, or
//! delivers a job's completion callback, and decides between ack and a delayed retry.
//! Messages that exhaust the queue's retries arrive on the dead-letter queue, which marks
//! their job (or its callback) failed.

use std::cell::Cell;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{console_error, console_log, js_sys, worker_sys, Env};

use super::callback::Delivery;
use super::model::{JobMessage, JobRequest, QueueMessage};
use super::rules::{classify, describe_failure, retry_delay_s, storable, ItemOutcome};
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

/// Result bytes the items in flight of one message may hold between them: fewer items run at
/// once where `JOBS_MAX_RESULT_BYTES` is large, so a message stays within the isolate's memory.
const IN_FLIGHT_RESULT_BYTES: u32 = 32 * 1024 * 1024;

/// What became of one message.
enum Handled {
    /// Every item in it has finished (or its callback was delivered): ack.
    Done,
    /// Some items failed transiently: retry the message later.
    Retry(String),
    /// The job had already ended or does not exist: ack, nothing to do.
    Skipped,
    /// The job ended (cancelled, or failed by another message) while its items ran: ack; no
    /// further item started.
    Ended,
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
    /// A chunk's items; absent for a callback's delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<u32>,
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

/// The facts of one message that its handling and log line need.
struct Parsed {
    /// The job it is about.
    job: String,
    /// A chunk's items, or `None` for a callback.
    range: Option<(u32, u32)>,
    traceparent: Option<String>,
    tracestate: Option<String>,
}

fn parse(body: &str) -> Option<(Parsed, QueueMessage)> {
    let message = QueueMessage::parse(body)?;
    let parsed = match &message {
        QueueMessage::Chunk(m) => Parsed { job: m.job.clone(), range: Some((m.start, m.end)), traceparent: m.traceparent.clone(), tracestate: m.tracestate.clone() },
        QueueMessage::Callback(m) => Parsed { job: m.callback.clone(), range: None, traceparent: m.traceparent.clone(), tracestate: m.tracestate.clone() },
    };
    Some((parsed, message))
}

async fn handle(jobs: &Jobs, env: &Env, config: &Config, message: &worker_sys::Message, dead_letters: bool, runtime: &worker_sys::Context) {
    let started = now_ms();
    let attempt = js_sys::Reflect::get(message, &JsValue::from_str("attempts")).ok().and_then(|v| v.as_f64()).unwrap_or(1.0) as u32;
    let body = message.body().ok().and_then(|b| b.as_string()).unwrap_or_default();
    let Some((msg, queued)) = parse(&body) else {
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
            event: if msg.range.is_some() { "job_chunk" } else { "job_callback" },
            job: &msg.job,
            trace_id: ctx.trace.trace_id,
            span_id: ctx.trace.span_id,
            parent_span_id: ctx.trace.parent_id,
            start: msg.range.map(|r| r.0),
            end: msg.range.map(|r| r.1),
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
        let given_up = panics::catch(give_up(jobs, &msg)).await.unwrap_or_else(|panic| Err(ApiError::Internal { detail: panic }));
        match given_up {
            Ok(reason) => {
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
    let work = async {
        match &queued {
            QueueMessage::Chunk(chunk) => run(jobs, env, config, chunk, &ctx).await,
            QueueMessage::Callback(callback) => match jobs.deliver_callback(env, config, callback, &ctx).await? {
                Delivery::Delivered => Ok(Handled::Done),
                Delivery::Nothing => Ok(Handled::Skipped),
                Delivery::Failed(reason) => Ok(Handled::Retry(reason)),
            },
        }
    };
    let outcome = panics::catch(work).await.unwrap_or_else(|panic| {
        log("panicked", None, Some(&panic));
        let what = msg.range.map_or_else(|| "its callback".to_owned(), |(start, end)| format!("items {start}..{end}"));
        Ok(Handled::Retry(format!("an internal error interrupted {what}; it is logged under job {}", msg.job)))
    });
    match outcome {
        Ok(Handled::Done) => {
            let _ = message.ack();
            log(if msg.range.is_some() { "done" } else { "delivered" }, None, None);
        }
        Ok(Handled::Skipped) => {
            let _ = message.ack();
            log("skipped", None, None);
        }
        Ok(Handled::Ended) => {
            let _ = message.ack();
            log("job_ended", None, None);
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

/// A dead-lettered message: its job fails (and reports to its callback), or its callback is
/// given up; the reason, for the log.
async fn give_up(jobs: &Jobs, msg: &Parsed) -> Result<String, ApiError> {
    let Some((start, end)) = msg.range else {
        jobs.store.callback_failed(&msg.job, now_ms()).await?;
        return Ok("the callback's deliveries kept failing past the queue's retries".to_owned());
    };
    let job = jobs.store.get(&msg.job).await?;
    let last = job.as_ref().and_then(|j| j.last_error.as_deref()).unwrap_or("processing failed");
    let reason = format!("items {start}..{end} still failing after the queue's retries: {last}");
    let now = now_ms();
    if jobs.store.fail(&msg.job, &reason, now, jobs.lease_from(now, 0)).await? {
        if let Some(job) = &job {
            jobs.enqueue_callback(job).await?;
        }
    }
    Ok(reason)
}

/// Schedules the message's next attempt with exponential backoff and notes why on the job
/// (or on its callback).
async fn retry(jobs: &Jobs, message: &worker_sys::Message, msg: &Parsed, attempt: u32, reason: &str, log: &impl Fn(&'static str, Option<u32>, Option<&str>)) {
    let delay_s = retry_delay_s(attempt, jobs.settings.retry_delay_s);
    let (now, lease) = (now_ms(), jobs.lease_from(now_ms(), delay_s));
    // Best effort: the retry itself must happen even if the note cannot be written.
    let _ = match msg.range {
        Some(_) => jobs.store.note_retry(&msg.job, reason, now, lease).await,
        None => jobs.store.callback_retry(&msg.job, reason, now, lease).await,
    };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &JsValue::from_str("delaySeconds"), &JsValue::from(delay_s));
    let _ = message.retry(options.into());
    log("retry", Some(delay_s), Some(reason));
}

/// Runs the message's still-pending items, at most `concurrency` at once, as calls of `ctx`
/// (the chunk's span of the job's trace), keeping each final result as soon as it arrives.
/// No item starts once the job is seen ended (cancelled): every recorded item tells whether it is.
async fn run(jobs: &Jobs, env: &Env, config: &Config, msg: &JobMessage, ctx: &RequestContext) -> Result<Handled, ApiError> {
    let now = now_ms();
    let Some(job) = jobs.store.start_chunk(&msg.job, now, jobs.lease_from(now, 0)).await? else {
        return Ok(Handled::Skipped);
    };
    let request: JobRequest = serde_json::from_str(&job.request)
        .map_err(|e| ApiError::Internal { detail: format!("job {} has an unreadable request: {e}", job.id) })?;
    let registry = config.upstreams(env)?;
    let pending = jobs.store.pending(&job.id, Some((msg.start, msg.end))).await?;
    let live = Cell::new(true);
    let calls = pending.into_iter().filter_map(|idx| Some((idx, request.requests.get(idx as usize)?.clone()))).map(|(idx, item)| {
        let live = &live;
        async move {
            if !live.get() {
                return None;
            }
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
            Some((idx, result))
        }
    });
    let max_bytes = jobs.settings.max_result_bytes;
    let concurrency = jobs.settings.concurrency.min((IN_FLIGHT_RESULT_BYTES / max_bytes).max(1));
    let mut results = stream::iter(calls).buffer_unordered(concurrency as usize);
    let mut transient = None;
    while let Some(finished) = results.next().await {
        let Some((idx, result)) = finished else { continue };
        if classify(&result) == ItemOutcome::Transient {
            transient.get_or_insert_with(|| describe_failure(idx, &result));
            live.set(jobs.store.is_live(&job.id).await?);
            continue;
        }
        let (outcome, line) = storable(result, idx, &job.id, max_bytes as usize);
        jobs.results.put(&job.id, idx, &line).await?;
        let now = now_ms();
        live.set(jobs.store.record_item(&job.id, idx, outcome.as_str(), line.len(), now, jobs.lease_from(now, 0)).await?);
    }
    if !live.get() {
        return Ok(Handled::Ended);
    }
    if let Some(reason) = transient {
        return Ok(Handled::Retry(reason));
    }
    jobs.finish_if_done(&job).await?;
    Ok(Handled::Done)
}

/// The cron trigger's sweep (see `Jobs::sweep`), logged; a panic is logged as a failed
/// sweep, and the next cron tick tries again.
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
        Ok(swept) => {
            let line = serde_json::json!({"event": "jobs_sweep", "resumed": swept.resumed, "callbacks": swept.callbacks,
                "deleted": swept.deleted, "failed": swept.failed, "error": swept.error});
            if swept.failed > 0 {
                console_error!("{line}");
            } else {
                console_log!("{line}");
            }
        }
        Err(e) => console_error!("{}", serde_json::json!({"level": "error", "event": "jobs_sweep", "error": e.log_detail()})),
    }
}
