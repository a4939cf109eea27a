//! `GET /async-example`: a route that awaits real non-blocking work (a runtime timer).

use std::time::Duration;

use serde::Serialize;
use worker::Delay;

use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::response::Json;

/// The longest timer a client may ask for.
pub const MAX_DELAY_MS: u32 = 10_000;

#[derive(Serialize)]
#[cfg_attr(test, derive(utoipa::ToSchema))]
pub struct Message {
    message: &'static str,
}

pub async fn handle(query: &QueryParams) -> Result<Json<Message>, ApiError> {
    let delay_ms = query
        .optional_u32("delay_ms", 0..=MAX_DELAY_MS)
        .map_err(|e| ApiError::Validation(vec![e]))?
        .unwrap_or(0);
    Delay::from(Duration::from_millis(delay_ms.into())).await;
    Ok(Json(Message::completed()))
}

impl Message {
    pub fn completed() -> Self {
        Message { message: "Async operation completed" }
    }
}
