//! `GET /async-example`: a route that awaits real non-blocking work (a runtime timer).

use serde::{Deserialize, Serialize};

use edge_relay::executor::sleep;
use edge_relay::handler::{handler, Int, Json, Query};
use edge_relay::router::Route;
#[cfg(feature = "openapi")]
use edge_relay::openapi::op::{example, Op};

pub const ROUTE: Route = Route {
    path: "/async-example",
    summary: "Awaits a runtime timer of delay_ms (0..=10000) without blocking",
    tag: "examples",
    handler: handler(async_example),
    #[cfg(feature = "openapi")]
    doc: document,
    ..Route::DEFAULT
};

/// Milliseconds the runtime timer waits: the range is the type's, for the validator and the document.
type DelayMs = Int<0, 10_000>;

#[derive(Deserialize)]
pub struct Delay {
    #[serde(default)]
    delay_ms: DelayMs,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    message: &'static str,
}

const COMPLETED: Message = Message { message: "Async operation completed" };

pub async fn async_example(Query(query): Query<Delay>) -> Json<Message> {
    sleep(query.delay_ms.into()).await;
    Json(COMPLETED)
}

#[cfg(feature = "openapi")]
fn document(_: &Route, op: Op) -> Op {
    use edge_relay::error::{ApiError, FieldError};
    op.query_int("delay_ms", "Milliseconds the runtime timer waits", DelayMs::RANGE, Some(0))
        .json::<Message>("200", "The timer completed", example(COMPLETED))
        .problem(
            "422",
            "`delay_ms` is not an integer in range",
            &ApiError::Validation(vec![FieldError::query("delay_ms", "int_parsing", "must be a whole number", Some("abc"))]),
        )
}
