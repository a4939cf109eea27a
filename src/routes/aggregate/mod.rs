//! `POST /aggregate`: a batch of upstream GETs fanned out concurrently, one result each.

pub(crate) mod model;
pub(crate) mod service;

use model::{AggregateRequest, AggregateResponse};

use worker::web_sys;

use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::extract::json_body;
use crate::response::Json;

pub async fn handle(req: &web_sys::Request, config: &Config, ctx: &RequestContext) -> Result<Json<AggregateResponse>, ApiError> {
    let request: AggregateRequest = json_body(req, config.max_body_bytes).await?;
    let registry = config.upstreams.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    let planned = service::plan(request.requests, registry)?;
    Ok(Json(service::run(ctx, planned, config.aggregate_concurrency).await))
}
