//! `DELETE /jobs/{id}`: cancels one of the caller's queued or running jobs.

use worker::Env;

use edge_relay::jobs::model::JobView;
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;

use super::JobId;

pub const ROUTE: Route = super::writing(delete("/jobs/{id}", cancel))
    .summary("Cancels one of the caller's queued or running jobs")
    .describe(
        "Pending items never run (a consumer holding a message for the job stops before its next item); items already \
         running may finish and are kept. The answer is the job, `cancelled`, with the results it has; its callback, \
         if it named one, is sent. An ended job → 409.",
    )
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::jobs::model::JobStatus;
    let mut job = super::example_job("cancelled");
    job["progress"] = serde_json::json!({"total": 40, "pending": 37, "succeeded": 3, "failed": 0});
    job["results"] = serde_json::json!([{"index": 0, "status": 200, "body": {"id": 1}, "duration_ms": 85}]);
    op.json::<JobView>("200", "The job, cancelled", job)
        .problem("404", "No job of the caller's has this id", &ApiError::JobNotFound { id: "nope".into() })
        .problem("409", "The job has already ended", &edge_relay::jobs::job_ended(super::EXAMPLE_JOB, JobStatus::Succeeded))
        .problem("503", "The job store failed (Retry-After)", &ApiError::StorageUnavailable { detail: String::new() })
}

pub async fn cancel(Path(JobId { id }): Path<JobId>, caller: Caller, env: Env, config: Cfg) -> Result<Json<JobView>, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    Ok(Json(jobs.cancel(&id, &caller.owner).await?))
}
