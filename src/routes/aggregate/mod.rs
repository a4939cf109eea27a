//! `POST /aggregate`: a batch of upstream GETs fanned out concurrently, one result each.

pub(crate) mod model;
pub(crate) mod service;

use model::{AggregateRequest, AggregateResponse};

use worker::{web_sys, Env, Headers};

use super::Route;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::extract::json_body;
use crate::response::{IntoResponse, Json};

pub const ROUTE: Route = Route {
    method: "POST",
    path: "/aggregate",
    summary: "Calls up to 50 upstream paths concurrently, one result each",
    tag: "upstreams",
    handler: |call| Box::pin(async move { handle(&call.req, call.headers, call.env, call.config, call.ctx).await?.into_response() }),
    #[cfg(test)]
    doc: document,
    ..Route::DEFAULT
};

#[cfg(test)]
fn document(_: &Route, op: super::openapi::op::Op) -> super::openapi::op::Op {
    use super::openapi::op::{example, EXAMPLE_REQUEST_ID};
    use crate::error::FieldError;
    use crate::upstream::UpstreamError;
    use model::MAX_ITEMS;
    use serde_json::json;

    model::document_items(op, "AggregateRequest", MAX_ITEMS)
        .description(format!(
            "1 to {MAX_ITEMS} GETs with unique ids, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), \
             each with its upstream's timeout, retries, breaker and cache. One failure never fails the batch."
        ))
        .json_body::<AggregateRequest>(json!({"requests": [
            {"id": "user", "upstream": "users", "path": "/users/1"},
            {"id": "orders", "upstream": "orders", "path": "/orders?user=1"}
        ]}))
        .json::<AggregateResponse>(
            "200",
            "Every request's result, in order",
            json!({"duration_ms": 312, "results": [
                {"id": "user", "status": 200, "body": {"id": 1, "name": "Ada"}, "duration_ms": 305},
                {"id": "orders", "error": example(ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 300 })
                    .to_problem(EXAMPLE_REQUEST_ID)), "duration_ms": 300}
            ]}),
        )
        .problem(
            "422",
            "Invalid batch: size, ids, unknown upstreams or unsafe paths, all listed",
            &ApiError::Validation(vec![FieldError::body(&["requests", "0", "upstream"], "unknown_upstream", "no upstream named 'nope'; configured: users")]),
        )
}

pub async fn handle(req: &web_sys::Request, headers: &Headers, env: &Env, config: &Config, ctx: &RequestContext) -> Result<Json<AggregateResponse>, ApiError> {
    let request: AggregateRequest = json_body(req, headers, config.max_body_bytes).await?;
    let registry = config.upstreams(env)?;
    let planned = service::plan(request.requests, registry)?;
    Ok(Json(service::run(ctx, planned, config.aggregate_concurrency).await))
}
