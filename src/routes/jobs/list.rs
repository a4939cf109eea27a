//! `GET /jobs`: the caller's own jobs, newest first.

use serde::Deserialize;
use utoipa::ToSchema;
use worker::Env;

use edge_relay::jobs::cursor::ListCursor;
use edge_relay::jobs::model::{JobList, JobStatus, DEFAULT_LIST_PAGE, MAX_PAGE};
use edge_relay::jobs::Jobs;
use edge_relay::prelude::*;

pub const ROUTE: Route = super::reading(get("/jobs", list))
    .summary("The caller's jobs, newest first, by status, a page at a time")
    .describe("Only the caller's own jobs, without their results; `next` (with an opaque cursor) reads the following page.")
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    let example = serde_json::json!({
        "jobs": [super::example_job("succeeded")],
        "next": format!("/jobs?limit=1&cursor=1795634096789_{}", super::EXAMPLE_JOB)
    });
    op.json::<JobList>("200", "A page of the caller's jobs", example)
        .problem("503", "The job store failed (Retry-After)", &ApiError::StorageUnavailable { detail: String::new() })
}

#[derive(Deserialize, ToSchema)]
pub struct ListQuery {
    /// Only jobs with this status
    status: Option<JobStatus>,
    /// Jobs per page
    #[schema(default = json!(DEFAULT_LIST_PAGE))]
    limit: Option<Int<1, { MAX_PAGE as i64 }>>,
    /// Where the page starts: the `cursor` of a `next` link
    cursor: Option<ListCursor>,
}

pub async fn list(Query(query): Query<ListQuery>, caller: Caller, env: Env, config: Cfg) -> Result<Json<JobList>, ApiError> {
    let jobs = Jobs::bind(&env, &config)?;
    let limit = query.limit.map_or(DEFAULT_LIST_PAGE, u32::from);
    Ok(Json(jobs.list(&caller.owner, query.status, limit, query.cursor.as_ref()).await?))
}
