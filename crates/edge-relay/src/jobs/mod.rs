//! Durable jobs: `POST /jobs` stores a job and its items in D1 and hands chunks of items to a
//! Cloudflare Queue; this worker's queue consumer runs them, keeping each result in R2 and its
//! outcome in D1. An ended job reports to its callback (signed, through the same queue) and
//! is deleted with its results once its retention has passed.
//!
//! Delivery is at least once, so every state change is conditional (see `store`). A job whose
//! message is lost (a local runtime restart, a failed send) keeps a lease in D1; once it runs
//! out, the cron sweep or the next `GET /jobs/{id}` re-enqueues the items still pending.

mod callback;
pub(crate) mod consumer;
pub mod cursor;
mod manage;
pub mod model;
mod results;
pub(crate) mod rules;
pub mod store;
mod upkeep;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::{js_sys, Env};

use crate::config::{Config, JobsConfig};
use crate::context::{new_id, now_ms};
use crate::error::{js_error_message, ApiError, AppProblem, FieldError};
use crate::executor;
use crate::trace::Trace;
use crate::upstream::{path, registry::Registry};
use model::{CallbackMessage, JobMessage, JobRequest, JobStatus};
use results::Results;
use rules::chunk_ranges;
use store::{Created, JobRow, NewJob, Store};

/// The D1 database binding of the job store, as wrangler.toml declares it.
pub const DB_BINDING: &str = "JOBS_DB";
/// The queue producer binding jobs are sent on, as wrangler.toml declares it.
pub const QUEUE_BINDING: &str = "JOBS_QUEUE";
/// The R2 bucket binding item results are kept in, as wrangler.toml declares it.
pub const RESULTS_BINDING: &str = "JOBS_RESULTS";
/// Messages per `sendBatch` call (the Queues limit).
const SEND_BATCH_LIMIT: usize = 100;
/// What a caller over its quota is told to wait, in seconds: jobs end at their own pace, so
/// this is a polite interval, not a promise.
pub const QUOTA_RETRY_AFTER_S: u32 = 30;

/// The job store, results bucket and queue, bound from the environment.
pub struct Jobs {
    /// Where jobs and their items' states are kept.
    pub store: Store,
    results: Results,
    /// The queue producer binding, driven through `send_bodies` (workers-rs's `send_batch`
    /// converts messages with serde-wasm-bindgen, which the wasm is smaller without).
    queue: JsValue,
    pub(crate) settings: JobsConfig,
}

#[wasm_bindgen(module = "/src/jobs/queue.mjs")]
extern "C" {
    /// Sends each string as one message's body.
    fn send_bodies(queue: &JsValue, bodies: js_sys::Array) -> js_sys::Promise;
}

/// The binding `name`, if the environment has it.
fn binding(env: &Env, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(env, &name.into()).ok().filter(JsValue::is_object)
}

/// 429 `too-many-jobs`: the caller has `active` jobs queued or running, its quota.
pub fn too_many_jobs(active: u32) -> ApiError {
    AppProblem::new(429, "urn:edge-relay:problem:too-many-jobs", "Too many jobs")
        .detail(format!("{active} of your jobs are queued or running, the most allowed (JOBS_MAX_ACTIVE); submit again once one has ended"))
        .header("Retry-After", QUOTA_RETRY_AFTER_S.to_string())
        .into()
}

/// 409 `job-ended`: the job can no longer be cancelled.
pub fn job_ended(id: &str, status: JobStatus) -> ApiError {
    AppProblem::new(409, "urn:edge-relay:problem:job-ended", "Job already ended")
        .detail(format!("job '{id}' has already ended ({}); only a queued or running job can be cancelled", status.as_str()))
        .into()
}

impl Jobs {
    /// The jobs API of this environment: 503 `not-configured` without the `JOBS_DB`,
    /// `JOBS_QUEUE` or `JOBS_RESULTS` binding.
    pub fn bind(env: &Env, config: &Config) -> Result<Self, ApiError> {
        let missing = |var| ApiError::NotConfigured { feature: "the jobs API", var };
        let db = binding(env, DB_BINDING).ok_or_else(|| missing("the JOBS_DB binding (D1)"))?;
        let queue = binding(env, QUEUE_BINDING).ok_or_else(|| missing("the JOBS_QUEUE binding (a queue producer)"))?;
        let results = binding(env, RESULTS_BINDING).ok_or_else(|| missing("the JOBS_RESULTS binding (an R2 bucket)"))?;
        Ok(Jobs { store: Store::new(db), results: Results::new(results), queue, settings: config.jobs.clone() })
    }

    /// When a lease taken now runs out, `extra_s` later than usual.
    pub(crate) fn lease_from(&self, now: f64, extra_s: u32) -> f64 {
        now + f64::from(self.settings.lease_s + extra_s) * 1000.0
    }

    /// The end times (epoch ms) before which a job has passed its retention.
    pub(crate) fn expired_before(&self) -> f64 {
        now_ms() - f64::from(self.settings.retention_s) * 1000.0
    }

    /// What this deployment's settings refuse in a request its types accepted: more items than
    /// `JOBS_MAX_ITEMS`, a callback to an unknown upstream or an unsafe path (422), a callback
    /// without `JOBS_WEBHOOK_SECRET` (503).
    pub fn check(&self, request: &JobRequest, registry: &Registry) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        errors.extend(request.over_limit(self.settings.max_items));
        if let Some(callback) = &request.callback {
            // Only an upstream whose config allows POST receives one: the operator's opt-in.
            match registry.get(&callback.upstream).filter(|u| u.methods.contains(&"POST")) {
                None => {
                    let allowing: Vec<&str> = registry.names().filter(|n| registry.get(n).is_some_and(|u| u.methods.contains(&"POST"))).collect();
                    let msg = format!("no upstream named '{}' takes POST; those that do: {}", callback.upstream, allowing.join(", "));
                    errors.push(FieldError::body(&["callback", "upstream"], "unknown_upstream", msg));
                }
                Some(upstream) => {
                    if let Err(reason) = path::join_relative(&upstream.base_url, &callback.path) {
                        errors.push(FieldError::body(&["callback", "path"], "unsafe_path", reason));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        if request.callback.is_some() && self.settings.webhook_secret.is_none() {
            return Err(ApiError::NotConfigured { feature: "job callbacks", var: "JOBS_WEBHOOK_SECRET" });
        }
        Ok(())
    }

    /// Stores a job under its owner's idempotency key, with the submitting request's `trace`
    /// for its items to join, and enqueues it. The same key with the same request returns the
    /// stored job (enqueued again only if its first send failed); with another request it is a
    /// conflict; an owner at `JOBS_MAX_ACTIVE` live jobs gets 429.
    pub async fn submit(&self, owner: &str, key: &str, request: &JobRequest, trace: &Trace) -> Result<JobRow, ApiError> {
        let encode = |e: serde_json::Error| ApiError::Internal { detail: format!("could not encode the job: {e}") };
        let normalised = serde_json::to_string(request).map_err(encode)?;
        let callback = request.callback.as_ref().map(serde_json::to_string).transpose().map_err(encode)?;
        let (id, now) = (new_id(), now_ms());
        let new = NewJob {
            id: &id,
            owner,
            idempotency_key: key,
            request: &normalised,
            total: request.requests.len() as u32,
            now,
            lease_until: self.lease_from(now, 0),
            traceparent: &trace.as_parent(),
            tracestate: trace.state.as_deref(),
            callback: callback.as_deref(),
            max_active: self.settings.max_active,
        };
        let job = match self.store.create(&new).await? {
            Created::Job(job) => job,
            Created::QuotaFull(active) => return Err(too_many_jobs(active)),
        };
        if job.request != normalised {
            return Err(ApiError::IdempotencyConflict { key: key.to_owned() });
        }
        if job.enqueued_at.is_none() && job.status == JobStatus::Queued {
            let all: Vec<u32> = (0..job.total).collect();
            self.enqueue(&job, &all).await?;
        }
        Ok(job)
    }

    /// Sends one message per chunk of `job` that still has `pending` items, each with the
    /// job's trace.
    async fn enqueue(&self, job: &JobRow, pending: &[u32]) -> Result<(), ApiError> {
        let message = |(start, end)| JobMessage { job: job.id.clone(), start, end, traceparent: job.traceparent.clone(), tracestate: job.tracestate.clone() };
        let messages: Vec<String> =
            chunk_ranges(pending, self.settings.chunk_size, job.total).into_iter().filter_map(|range| serde_json::to_string(&message(range)).ok()).collect();
        self.send(&job.id, messages).await?;
        self.store.mark_enqueued(&job.id, now_ms()).await
    }

    /// Sends the message that delivers `job`'s completion callback, if it names one.
    pub(crate) async fn enqueue_callback(&self, job: &JobRow) -> Result<(), ApiError> {
        if job.callback.is_none() {
            return Ok(());
        }
        let message = CallbackMessage { callback: job.id.clone(), traceparent: job.traceparent.clone(), tracestate: job.tracestate.clone() };
        self.send(&job.id, serde_json::to_string(&message).into_iter().collect()).await
    }

    async fn send(&self, job: &str, bodies: Vec<String>) -> Result<(), ApiError> {
        for batch in bodies.chunks(SEND_BATCH_LIMIT) {
            let sent = executor::settled(&send_bodies(&self.queue, batch.iter().map(|b| JsValue::from(b.as_str())).collect()));
            sent.await.map_err(|e| ApiError::StorageUnavailable { detail: format!("the jobs queue did not take job {job}: {}", js_error_message(&e)) })?;
        }
        Ok(())
    }

    /// Re-enqueues a live job whose lease ran out; false if another caller got there first.
    pub async fn resume(&self, job: &JobRow) -> Result<bool, ApiError> {
        let now = now_ms();
        if !self.store.claim(&job.id, job.lease_until, now, self.lease_from(now, 0)).await? {
            return Ok(false);
        }
        let pending = self.store.pending(&job.id, None).await?;
        if pending.is_empty() {
            // Every item finished but the job was never closed (a crash in between).
            self.finish_if_done(job).await?;
        } else {
            self.enqueue(job, &pending).await?;
        }
        Ok(true)
    }

    /// Ends `job` as succeeded if no item is pending, and sends its callback if this call
    /// ended it.
    pub(crate) async fn finish_if_done(&self, job: &JobRow) -> Result<(), ApiError> {
        let now = now_ms();
        if self.store.finish_if_done(&job.id, now, self.lease_from(now, 0)).await? {
            self.enqueue_callback(job).await?;
        }
        Ok(())
    }
}
