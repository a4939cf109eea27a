//! `GET /async-example`: a route that awaits real non-blocking work (a runtime timer).

use edge_relay::executor::sleep;
use edge_relay::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct Delay {
    /// Milliseconds the runtime timer waits
    #[serde(default)]
    delay_ms: Int<0, 10_000>,
}

/// The timer completed
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"message": "Async operation completed"}))]
pub struct Message {
    message: &'static str,
}

pub async fn async_example(Query(query): Query<Delay>) -> Json<Message> {
    sleep(query.delay_ms.into()).await;
    Json(Message { message: "Async operation completed" })
}

pub const ROUTE: Route = get("/async-example", async_example)
    .summary("Awaits a runtime timer of delay_ms without blocking")
    .describe("Waits on the runtime's own timer, so the isolate serves other requests meanwhile, then answers.")
    .tag("examples");
