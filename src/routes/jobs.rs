//! `POST /jobs` and `GET /jobs/{id}`: durable jobs, each owned by the caller that submitted
//! it (see `edge_relay::jobs`; the caller was authenticated by the route's guard).

use serde::Deserialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use worker::{Env, Headers};

use edge_relay::background;
use edge_relay::batch::plan;
use edge_relay::context::now_ms;
use edge_relay::jobs::model::{self, is_job_id, rfc3339, JobAccepted, JobRequest, JobView, DEFAULT_PAGE, MAX_ITEMS, MAX_PAGE};
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;

/// The jobs group's layers: a job's state is its owner's and changes, so no cache keeps it.
const JOBS: &[Layer] = &[no_store];

fn no_store(call: Call, next: Next) -> Handled {
    next.then(call, |reply| reply.header("Cache-Control", "no-store"))
}

pub const SUBMIT: Route = post("/jobs", submit)
    .summary("Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)")
    .tag("jobs")
    .group(JOBS)
    .guard(Guard::Scope("jobs:write"))
    .doc(edge_relay::doc!(document_submit));

pub const STATUS: Route = get("/jobs/{id}", status)
    .summary("One of the caller's jobs: status, progress and, once it has ended, its results")
    .describe("Only the caller that submitted the job can read it; to anyone else it does not exist (404).")
    .tag("jobs")
    .group(JOBS)
    .guard(Guard::Scope("jobs:read"))
    .doc(edge_relay::doc!(document_status));

#[cfg(feature = "openapi")]
const EXAMPLE_JOB: &str = "5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60";

#[cfg(feature = "openapi")]
fn document_submit(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::operation::example;
    use edge_relay::error::FieldError;
    use edge_relay::jobs::model::{JobStatus, IDEMPOTENCY_KEY_CHARS};
    use serde_json::json;
    let accepted = JobAccepted { id: EXAMPLE_JOB.into(), status: JobStatus::Queued, status_url: format!("/jobs/{EXAMPLE_JOB}") };
    edge_relay::batch::model::document_items(op, "JobRequest", MAX_ITEMS)
        .description(format!(
            "Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them \
             (JOBS_CONCURRENCY at once), recording every result. Upstream timeouts, unreachable upstreams, 429 and \
             5xx answers are retried with the message (exponential backoff from JOBS_RETRY_DELAY_S) until the \
             queue's max_retries, then the job fails via the dead-letter queue. Same Idempotency-Key and body → \
             the same job; same key, other body → 409. 1 to {MAX_ITEMS} requests in /aggregate's format."
        ))
        .header_param("Idempotency-Key", "Names the job for this caller: sent again with the same body it answers that job (202), with another body 409", IDEMPOTENCY_KEY_CHARS)
        .body_example(json!({"requests": [
            {"id": "user-1", "upstream": "users", "path": "/users/1"},
            {"id": "user-2", "upstream": "users", "path": "/users/2"}
        ]}))
        .json_linked::<JobAccepted>(
            "202",
            "Queued (or the job this key already named)",
            example(accepted),
            &[("GetJob", "jobs_id", "id", "$response.body#/id")],
        )
        .problem("409", "The Idempotency-Key was used with a different body", &ApiError::IdempotencyConflict { key: "order-42".into() })
        .problem(
            "422",
            "Missing Idempotency-Key, or an invalid batch (as for /aggregate)",
            &ApiError::Validation(vec![FieldError::header("idempotency-key", "missing", "POST /jobs needs an Idempotency-Key header", None)]),
        )
        .problem(
            "503",
            "Neither API_KEYS nor JWT_ISSUER is configured (the route is closed), the issuer's keys cannot \
             be fetched, or the store/queue failed",
            &ApiError::NotConfigured { feature: "authentication", var: "API_KEYS or JWT_ISSUER" },
        )
}

#[cfg(feature = "openapi")]
fn document_status(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use serde_json::json;
    op.json::<JobView>(
            "200",
            "The job; `results` once it has ended, `next` while more pages remain",
            json!({
                "id": EXAMPLE_JOB, "status": "succeeded",
                "progress": {"total": 2, "pending": 0, "succeeded": 1, "failed": 1},
                "created_at": "2026-11-25T18:00:00.000Z", "started_at": "2026-11-25T18:00:00.120Z",
                "finished_at": "2026-11-25T18:00:00.480Z",
                "results": [
                    {"id": "user-1", "status": 200, "body": {"id": 1, "name": "Ada"}, "duration_ms": 105},
                    {"id": "user-2", "status": 404, "body": {"error": "no such user"}, "duration_ms": 98}
                ]
            }),
        )
        .problem("404", "No job has this id", &ApiError::JobNotFound { id: "nope".into() })
}

fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

pub async fn submit(Json(request): Json<JobRequest>, headers: Headers, caller: Caller, env: Env, config: Cfg, ctx: Ctx) -> Result<Accepted<JobAccepted>, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let key = model::idempotency_key(header(&headers, "Idempotency-Key").as_deref()).map_err(|e| ApiError::Validation(vec![e]))?;
    // Unknown upstreams and unsafe paths are refused now, not discovered by the consumer.
    let registry = config.upstreams(&env)?;
    plan(request.requests.clone(), registry)?;
    let job = jobs.submit(&caller.owner, &key, &request, &ctx.trace).await?;
    Ok(Accepted(JobAccepted { status_url: format!("/jobs/{}", job.id), id: job.id, status: job.status }))
}

#[derive(Deserialize, ToSchema)]
pub struct JobId {
    /// The job id POST /jobs returned
    id: String,
}

#[derive(Deserialize, ToSchema)]
pub struct Page {
    /// Results to skip
    #[serde(default)]
    offset: Int<0, { MAX_ITEMS as i64 }>,
    /// Results per page
    #[schema(default = json!(DEFAULT_PAGE))]
    limit: Option<Int<1, { MAX_PAGE as i64 }>>,
}

pub async fn status(Path(JobId { id }): Path<JobId>, Query(page): Query<Page>, caller: Caller, env: Env, config: Cfg, ctx: Ctx) -> Result<Json<JobView>, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let (offset, limit) = (u32::from(page.offset), page.limit.map_or(DEFAULT_PAGE, u32::from));
    let not_found = || ApiError::JobNotFound { id: id.clone() };
    if !is_job_id(&id) {
        return Err(not_found());
    }
    // Another caller's job is as unknown as one that does not exist.
    let (job, progress) = jobs.store.get_with_progress(&id, &caller.owner).await?.ok_or_else(not_found)?;
    let (mut results, mut next) = (None, None);
    if job.status.is_terminal() {
        let page = jobs.store.results(&id, offset, limit).await?;
        let shown = offset + page.len() as u32;
        if shown < progress.succeeded + progress.failed {
            next = Some(format!("/jobs/{id}?offset={shown}&limit={limit}"));
        }
        let parsed: Result<Vec<Box<RawValue>>, _> = page.into_iter().map(RawValue::from_string).collect();
        results = Some(parsed.map_err(|e| ApiError::Internal { detail: format!("a stored result is not JSON: {e}") })?);
    } else if job.lease_until < now_ms() {
        // Its message was lost (e.g. the runtime restarted): put the pending items back on the queue.
        let stale = job.clone();
        background::spawn(&ctx, "resume_job", move |_| async move {
            jobs.resume(&stale).await.map(drop).map_err(|e| e.log_detail())
        });
    }
    Ok(Json(JobView {
        id: job.id,
        status: job.status,
        progress,
        created_at: rfc3339(job.created_at),
        started_at: job.started_at.map(rfc3339),
        finished_at: job.finished_at.map(rfc3339),
        error: job.error,
        last_error: job.last_error.filter(|_| !job.status.is_terminal()),
        results,
        next,
    }))
}
