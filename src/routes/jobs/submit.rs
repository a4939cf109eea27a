//! `POST /jobs`: queues a durable job of upstream GETs under the caller's Idempotency-Key.

use worker::{Env, Headers};

use edge_relay::batch::plan;
use edge_relay::jobs::model::{self, JobAccepted, JobRequest};
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;

pub const ROUTE: Route = super::writing(post("/jobs", submit))
    .summary("Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)")
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::error::FieldError;
    use edge_relay::jobs::model::{JobStatus, DEFAULT_MAX_ITEMS, IDEMPOTENCY_KEY_CHARS, MAX_ITEMS};
    use edge_relay::operation::example;
    use serde_json::json;
    let id = super::EXAMPLE_JOB;
    let accepted = JobAccepted { id: id.into(), status: JobStatus::Queued, status_url: format!("/jobs/{id}") };
    edge_relay::batch::model::document_items(op, "JobRequest", DEFAULT_MAX_ITEMS as usize)
        .description(format!(
            "Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them \
             (JOBS_CONCURRENCY at once), keeping every result in R2 (up to JOBS_MAX_RESULT_BYTES each). Upstream \
             timeouts, unreachable upstreams, 429 and 5xx answers are retried with the message (exponential backoff \
             from JOBS_RETRY_DELAY_S) until the queue's max_retries, then the job fails via the dead-letter queue. \
             Same Idempotency-Key and body → the same job; same key, other body → 409. 1 to {DEFAULT_MAX_ITEMS} \
             requests in /aggregate's format (JOBS_MAX_ITEMS may allow up to {MAX_ITEMS}). A caller may have \
             JOBS_MAX_ACTIVE jobs queued or running (429 past it). `callback` names a configured upstream and path \
             that receives one POST when the job ends, signed per the Standard Webhooks spec with JOBS_WEBHOOK_SECRET."
        ))
        .constrain("Callback", "/properties/path", edge_relay::operation::length(&edge_relay::batch::model::PATH_CHARS))
        .constrain("Callback", "/properties/path", json!({"pattern": edge_relay::upstream::path::ITEM_PATH_PATTERN}))
        .constrain("Callback", "/properties/upstream", json!({edge_relay::openapi::UPSTREAM_NAMES: "POST"}))
        .header_param("Idempotency-Key", "Names the job for this caller: sent again with the same body it answers that job (202), with another body 409", IDEMPOTENCY_KEY_CHARS)
        .body_example(json!({
            "requests": [
                {"id": "user-1", "upstream": "users", "path": "/users/1"},
                {"id": "user-2", "upstream": "users", "path": "/users/2"}
            ],
            "callback": {"upstream": "hooks", "path": "/jobs/done"}
        }))
        .json_linked::<JobAccepted>(
            "202",
            "Queued (or the job this key already named)",
            example(accepted),
            &[("GetJob", "jobs_id", "id", "$response.body#/id"), ("GetJobResults", "jobs_id_results", "id", "$response.body#/id")],
        )
        .problem("409", "The Idempotency-Key was used with a different body", &ApiError::IdempotencyConflict { key: "order-42".into() })
        .problem(
            "422",
            "Missing Idempotency-Key, or an invalid batch (as for /aggregate) or callback",
            &ApiError::Validation(vec![FieldError::header("idempotency-key", "missing", "POST /jobs needs an Idempotency-Key header", None)]),
        )
        .problem("429", "The caller already has JOBS_MAX_ACTIVE jobs queued or running (Retry-After)", &edge_relay::jobs::too_many_jobs(10))
        .problem(
            "503",
            "Neither API_KEYS nor JWT_ISSUER is configured (the route is closed), the issuer's keys cannot \
             be fetched, the store/queue failed, or a callback was asked for without JOBS_WEBHOOK_SECRET",
            &ApiError::NotConfigured { feature: "authentication", var: "API_KEYS or JWT_ISSUER" },
        )
}

pub async fn submit(Json(request): Json<JobRequest>, headers: Headers, caller: Caller, env: Env, config: Cfg, ctx: Ctx) -> Result<Accepted<JobAccepted>, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let key = model::idempotency_key(headers.get("Idempotency-Key").ok().flatten().as_deref()).map_err(|e| ApiError::Validation(vec![e]))?;
    // Unknown upstreams and unsafe paths are refused now, not discovered by the consumer.
    let registry = config.upstreams(&env)?;
    plan(request.requests.clone(), registry)?;
    jobs.check(&request, registry)?;
    let job = jobs.submit(&caller.owner, &key, &request, &ctx.trace).await?;
    Ok(Accepted(JobAccepted { status_url: format!("/jobs/{}", job.id), id: job.id, status: job.status }))
}
