//! Durable jobs, each owned by the caller that submitted it (see `edge_relay::jobs`; the
//! caller was authenticated by each route's guard): submit, list, read, stream the results,
//! cancel. One module per route; the group's layer and the document's example id live here.

mod cancel;
mod list;
mod read;
mod results;
mod submit;

pub use cancel::ROUTE as CANCEL;
pub use list::ROUTE as LIST;
pub use read::ROUTE as STATUS;
pub use results::ROUTE as RESULTS;
pub use submit::ROUTE as SUBMIT;

use serde::Deserialize;
use utoipa::ToSchema;

use edge_relay::prelude::*;

/// The jobs group's layers: a job's state is its owner's and changes, so no cache keeps it.
const JOBS: &[Layer] = &[no_store];

fn no_store(call: Call, next: Next) -> Handled {
    next.then(call, |reply| reply.header("Cache-Control", "no-store"))
}

/// A jobs route that reads: the group's layers, and the scope `jobs:read`.
const fn reading(route: Route) -> Route {
    route.tag("jobs").group(JOBS).guard(Guard::Scope("jobs:read"))
}

/// A jobs route that writes: the group's layers, and the scope `jobs:write`.
const fn writing(route: Route) -> Route {
    route.tag("jobs").group(JOBS).guard(Guard::Scope("jobs:write"))
}

/// The id of a job in the document's examples.
#[cfg(feature = "openapi")]
const EXAMPLE_JOB: &str = "5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60";

/// A job's path parameter.
#[derive(Deserialize, ToSchema)]
pub struct JobId {
    /// The job id POST /jobs returned
    id: String,
}

/// The document's example of a job that ended.
#[cfg(feature = "openapi")]
fn example_job(status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": EXAMPLE_JOB, "status": status,
        "progress": {"total": 2, "pending": 0, "succeeded": 1, "failed": 1},
        "created_at": "2026-11-25T18:00:00.000Z", "started_at": "2026-11-25T18:00:00.120Z",
        "finished_at": "2026-11-25T18:00:00.480Z",
        "callback": {"upstream": "hooks", "path": "/jobs/done", "state": "delivered", "attempts": 1}
    })
}
