//! `POST /jobs` and `GET /jobs/{id}`: durable jobs, each owned by the caller that submitted
//! it (see `crate::jobs`; the caller was authenticated by the route's guard).

use serde_json::value::RawValue;
use worker::{web_sys, Env, Headers};

use crate::auth::Caller;
use crate::background;
use crate::config::Config;
use crate::context::{now_ms, RequestContext};
use crate::error::ApiError;
use crate::extract::json_body;
use crate::jobs::model::{self, is_job_id, rfc3339, JobAccepted, JobRequest, JobView, DEFAULT_PAGE, MAX_ITEMS, MAX_PAGE};
use crate::jobs::Jobs;
use crate::response::{Accepted, Json};
use crate::routes::aggregate::service::plan;

fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

pub async fn submit(req: &web_sys::Request, headers: &Headers, env: &Env, config: &Config, caller: &Caller) -> Result<Accepted<JobAccepted>, ApiError> {
    let jobs = Jobs::bind(env, config)?;
    let key = model::idempotency_key(header(headers, "Idempotency-Key").as_deref()).map_err(|e| ApiError::Validation(vec![e]))?;
    let request: JobRequest = json_body(req, config.max_body_bytes).await?;
    // Unknown upstreams and unsafe paths are refused now, not discovered by the consumer.
    let registry = config.upstreams.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    plan(request.requests.clone(), registry)?;
    let job = jobs.submit(&caller.owner, &key, &request).await?;
    Ok(Accepted(JobAccepted { status_url: format!("/jobs/{}", job.id), id: job.id, status: job.status }))
}

pub async fn status(env: &Env, config: &Config, ctx: &RequestContext, caller: &Caller, id: &str) -> Result<Json<JobView>, ApiError> {
    let jobs = Jobs::bind(env, config)?;
    let query = ctx.query_params();
    let offset = query.optional_u32("offset", 0..=MAX_ITEMS as u32);
    let limit = query.optional_u32("limit", 1..=MAX_PAGE);
    let (offset, limit) = match (offset, limit) {
        (Ok(offset), Ok(limit)) => (offset.unwrap_or(0), limit.unwrap_or(DEFAULT_PAGE)),
        (offset, limit) => return Err(ApiError::Validation([offset.err(), limit.err()].into_iter().flatten().collect())),
    };
    let not_found = || ApiError::JobNotFound { id: id.to_owned() };
    if !is_job_id(id) {
        return Err(not_found());
    }
    // Another caller's job is as unknown as one that does not exist.
    let (job, progress) = jobs.store.get_with_progress(id, &caller.owner).await?.ok_or_else(not_found)?;
    let (mut results, mut next) = (None, None);
    if job.status.is_terminal() {
        let page = jobs.store.results(id, offset, limit).await?;
        let shown = offset + page.len() as u32;
        if shown < progress.succeeded + progress.failed {
            next = Some(format!("/jobs/{id}?offset={shown}&limit={limit}"));
        }
        let parsed: Result<Vec<Box<RawValue>>, _> = page.into_iter().map(RawValue::from_string).collect();
        results = Some(parsed.map_err(|e| ApiError::Internal { detail: format!("a stored result is not JSON: {e}") })?);
    } else if job.lease_until < now_ms() {
        // Its message was lost (e.g. the runtime restarted): put the pending items back on the queue.
        let stale = job.clone();
        background::spawn(ctx, "resume_job", async move {
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
