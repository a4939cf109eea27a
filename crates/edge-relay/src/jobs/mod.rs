//! Durable jobs: `POST /jobs` stores a job and its items in D1 and hands chunks of items to a
//! Cloudflare Queue; this worker's queue consumer runs them and records each result.
//!
//! Delivery is at least once, so every state change is conditional (see `store`). A job whose
//! message is lost (a local runtime restart, a failed send) keeps a lease in D1; once it runs
//! out, the cron sweep or the next `GET /jobs/{id}` re-enqueues the items still pending.

pub(crate) mod consumer;
pub mod model;
pub mod store;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::{js_sys, Env};

use crate::config::{Config, JobsConfig};
use crate::context::{new_id, now_ms};
use crate::error::{js_error_message, ApiError};
use crate::executor;
use crate::trace::Trace;
use model::{chunk_ranges, JobMessage, JobRequest, JobStatus};
use store::{JobRow, NewJob, Store};

/// The D1 database binding of the job store, as wrangler.toml declares it.
pub const DB_BINDING: &str = "JOBS_DB";
/// The queue producer binding jobs are sent on, as wrangler.toml declares it.
pub const QUEUE_BINDING: &str = "JOBS_QUEUE";
/// Jobs one sweep re-enqueues at most.
const SWEEP_LIMIT: u32 = 100;
/// Messages per `sendBatch` call (the Queues limit).
const SEND_BATCH_LIMIT: usize = 100;

/// The job store and queue, bound from the environment.
pub struct Jobs {
    /// Where jobs, their items and results are kept: what `GET /jobs/{id}` reads.
    pub store: Store,
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

impl Jobs {
    /// The jobs API of this environment: 503 `not-configured` without the `JOBS_DB` or
    /// `JOBS_QUEUE` binding.
    pub fn bind(env: &Env, config: &Config) -> Result<Self, ApiError> {
        let missing = |var| ApiError::NotConfigured { feature: "the jobs API", var };
        let db = binding(env, DB_BINDING).ok_or_else(|| missing("the JOBS_DB binding (D1)"))?;
        let queue = binding(env, QUEUE_BINDING).ok_or_else(|| missing("the JOBS_QUEUE binding (a queue producer)"))?;
        Ok(Jobs { store: Store::new(db), queue, settings: config.jobs.clone() })
    }

    /// When a lease taken now runs out, `extra_s` later than usual.
    pub(crate) fn lease_from(&self, now: f64, extra_s: u32) -> f64 {
        now + f64::from(self.settings.lease_s + extra_s) * 1000.0
    }

    /// Stores a job under its owner's idempotency key, with the submitting request's `trace`
    /// for its items to join, and enqueues it. The same key with the same request returns the
    /// stored job (enqueued again only if its first send failed); with another request it is a
    /// conflict.
    pub async fn submit(&self, owner: &str, key: &str, request: &JobRequest, trace: &Trace) -> Result<JobRow, ApiError> {
        let normalised = serde_json::to_string(request).map_err(|e| ApiError::Internal { detail: format!("could not encode the job: {e}") })?;
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
        };
        let job = self.store.create(&new).await?;
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
        let id = &job.id;
        let message = |(start, end)| JobMessage {
            job: id.clone(),
            start,
            end,
            traceparent: job.traceparent.clone(),
            tracestate: job.tracestate.clone(),
        };
        let messages: Vec<JsValue> = chunk_ranges(pending, self.settings.chunk_size, job.total)
            .into_iter()
            .filter_map(|range| serde_json::to_string(&message(range)).ok())
            .map(JsValue::from)
            .collect();
        for batch in messages.chunks(SEND_BATCH_LIMIT) {
            let sent = executor::settled(&send_bodies(&self.queue, batch.iter().collect()));
            sent.await.map_err(|e| ApiError::StorageUnavailable {
                detail: format!("the jobs queue did not take job {id}: {}", js_error_message(&e)),
            })?;
        }
        self.store.mark_enqueued(id, now_ms()).await
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
            self.store.finish_if_done(&job.id, now).await?;
        } else {
            self.enqueue(job, &pending).await?;
        }
        Ok(true)
    }

    /// Resumes every stale job (the cron trigger); how many were resumed.
    pub(crate) async fn sweep(&self) -> Result<u32, ApiError> {
        let mut resumed = 0;
        for job in self.store.stale(now_ms(), SWEEP_LIMIT).await? {
            resumed += u32::from(self.resume(&job).await?);
        }
        Ok(resumed)
    }
}
