//! `GET /jobs/{id}`: one of the caller's jobs, with a page of its results once it has ended.

use serde::Deserialize;
use utoipa::ToSchema;
use worker::Env;

use edge_relay::background;
use edge_relay::context::now_ms;
use edge_relay::jobs::model::{JobView, DEFAULT_PAGE, MAX_ITEMS, MAX_PAGE};
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;

use super::JobId;

pub const ROUTE: Route = super::reading(get("/jobs/{id}", status))
    .summary("One of the caller's jobs: status, progress and, once it has ended, its results")
    .describe(
        "Only the caller that submitted the job can read it; to anyone else it does not exist (404), nor does a job \
         JOBS_RETENTION_S after it ended (it is deleted with its results). A page holds `limit` results, fewer \
         where they would pass 16 MiB; `next` reads on. All results at once: GET /jobs/{id}/results.",
    )
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    let mut job = super::example_job("succeeded");
    job["results"] = serde_json::json!([
        {"index": 0, "id": "user-1", "status": 200, "body": {"id": 1, "name": "Ada"}, "duration_ms": 105},
        {"index": 1, "id": "user-2", "status": 404, "body": {"error": "no such user"}, "duration_ms": 98}
    ]);
    op.json::<JobView>("200", "The job; `results` once it has ended, `next` while more pages remain", job)
        .problem("404", "No job of the caller's has this id", &ApiError::JobNotFound { id: "nope".into() })
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
    let job = jobs.read(&id, &caller.owner).await?;
    if job.status.is_terminal() {
        let (offset, limit) = (u32::from(page.offset), page.limit.map_or(DEFAULT_PAGE, u32::from));
        return Ok(Json(jobs.view_with_results(&job, offset, limit).await?));
    }
    if job.lease_until < now_ms() {
        // Its message was lost (e.g. the runtime restarted): put the pending items back on the queue.
        let stale = job.clone();
        background::spawn(&ctx, "resume_job", move |_| async move { jobs.resume(&stale).await.map(drop).map_err(|e| e.log_detail()) });
    }
    Ok(Json(job.view()))
}
