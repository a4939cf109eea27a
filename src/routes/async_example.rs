//! `GET /async-example`: a route that awaits real non-blocking work (a runtime timer).

use serde::Serialize;

use edge_relay::router::Route;
use edge_relay::error::ApiError;
use edge_relay::executor;
use edge_relay::extract::QueryParams;
use edge_relay::response::{IntoResponse, Json};
#[cfg(feature = "openapi")]
use edge_relay::openapi::op::{example, Op};
#[cfg(feature = "openapi")]
use edge_relay::error::FieldError;

/// The longest timer a client may ask for.
pub const MAX_DELAY_MS: u32 = 10_000;

pub const ROUTE: Route = Route {
    path: "/async-example",
    summary: "Awaits a runtime timer of delay_ms (0..=10000) without blocking",
    tag: "examples",
    handler: |call| Box::pin(async move { handle(&call.ctx.query_params()).await?.into_response() }),
    #[cfg(feature = "openapi")]
    doc: document,
    ..Route::DEFAULT
};

#[cfg(feature = "openapi")]
fn document(_: &Route, op: Op) -> Op {
    op.query_int("delay_ms", "Milliseconds the runtime timer waits", 0..=MAX_DELAY_MS, Some(0))
        .json::<Message>("200", "The timer completed", example(Message::completed()))
        .problem(
            "422",
            "`delay_ms` is not an integer in range",
            &ApiError::Validation(vec![FieldError::query("delay_ms", "int_parsing", "must be a whole number", Some("abc"))]),
        )
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    message: &'static str,
}

pub async fn handle(query: &QueryParams) -> Result<Json<Message>, ApiError> {
    let delay_ms = query
        .optional_u32("delay_ms", 0..=MAX_DELAY_MS)
        .map_err(|e| ApiError::Validation(vec![e]))?
        .unwrap_or(0);
    executor::sleep(delay_ms).await;
    Ok(Json(Message::completed()))
}

impl Message {
    pub fn completed() -> Self {
        Message { message: "Async operation completed" }
    }
}
