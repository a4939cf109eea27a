//! `GET /jobs/{id}/results`: every finished item's result as NDJSON, streamed from storage.

use worker::{web_sys, Env};

use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;
use edge_relay::response::Reply;

use super::JobId;

pub const ROUTE: Route = get("/jobs/{id}/results", results)
    .summary("All of a job's finished results, one NDJSON line each, in request order")
    .describe(
        "One line per finished item, in request order: the same result as in GET /jobs/{id}'s `results` (`index` \
         first, then the item's `id`, `status`, `body`…). Streamed from storage as the client reads it, so any job's \
         results come whole in flat memory; while the job runs, the items finished so far.",
    )
    .tag("jobs")
    .group(super::JOBS)
    .guard(Guard::Scope("jobs:read"))
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    op.ndjson::<edge_relay::jobs::model::JobResult>("200", "The finished items' results, one JSON object per line")
        .problem("404", "No job of the caller's has this id", &ApiError::JobNotFound { id: "nope".into() })
}

pub async fn results(Path(JobId { id }): Path<JobId>, caller: Caller, req: web_sys::Request, env: Env, config: Cfg) -> Result<Reply, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let job = jobs.read(&id, &caller.owner).await?;
    jobs.results_stream(&job, &req).await
}
