//! `GET /jobs/{id}/results`: every finished item's result as NDJSON, streamed from storage.

use serde::Deserialize;
use utoipa::ToSchema;
use worker::{web_sys, Env};

use edge_relay::jobs::model::MAX_ITEMS;
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;
use edge_relay::response::Reply;

use super::JobId;

pub const ROUTE: Route = super::reading(get("/jobs/{id}/results", results))
    .summary("A job's finished results, one NDJSON line each, in request order, a bounded number a response")
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::jobs::model::RESULTS_PER_RESPONSE;
    op.description(format!(
        "One line per finished item from index `from` on, in request order: the same result as in GET /jobs/{{id}}'s \
         `results` (`index` first, then the item's `id`, `status`, `body`…). Streamed from storage as the client \
         reads it, in flat memory; while the job runs, the items finished so far. A response holds up to \
         {RESULTS_PER_RESPONSE} lines (each one read from R2, and a request may make only so many such calls); when \
         more follow, its `Link: </jobs/{{id}}/results?from=N>; rel=\"next\"` header names the next response."
    ))
    .ndjson::<edge_relay::jobs::model::JobResult>("200", "The finished items' results, one JSON object per line; `Link` to the next response")
        .problem("404", "No job of the caller's has this id", &ApiError::JobNotFound { id: "nope".into() })
        .problem("503", "The job store failed, or a job from before the results store still has results being moved (Retry-After)", &ApiError::StorageUnavailable { detail: String::new() })
}

#[derive(Deserialize, ToSchema)]
pub struct ResultsFrom {
    /// The first item index to answer from (a `next` link's)
    #[serde(default)]
    from: Int<0, { MAX_ITEMS as i64 }>,
}

pub async fn results(Path(JobId { id }): Path<JobId>, Query(query): Query<ResultsFrom>, caller: Caller, req: web_sys::Request, env: Env, config: Cfg) -> Result<Reply, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let job = jobs.read(&id, &caller.owner).await?;
    jobs.results_stream(&job, u32::from(query.from), &req).await
}
