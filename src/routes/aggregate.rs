//! `POST /aggregate`: a batch of upstream GETs fanned out concurrently, one result each.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use worker::Env;

use edge_relay::batch;
use edge_relay::batch::model::{validate_items, Item, ItemResult};
use edge_relay::config::ConfigError;
use edge_relay::context::{ms_since, now_ms};
use edge_relay::error::FieldError;
use edge_relay::extract::Validate;
use edge_relay::prelude::*;

pub const ROUTE: Route = post("/aggregate", aggregate)
    .summary("Calls up to 50 upstream paths concurrently, one result each")
    .tag("upstreams")
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::operation::{example, EXAMPLE_REQUEST_ID};
    use edge_relay::upstream::UpstreamError;
    use serde_json::json;

    edge_relay::batch::model::document_items(op, "AggregateRequest", MAX_ITEMS)
        .description(format!(
            "1 to {MAX_ITEMS} GETs, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), each with its \
             upstream's timeout, retries, breaker and cache; the n-th result answers the n-th request, and carries its \
             `id` when it had one. One failure never fails the batch."
        ))
        .body_example(json!({"requests": [
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
            "Invalid batch: its size, an id's length, unknown upstreams or unsafe paths, all listed",
            &ApiError::Validation(vec![FieldError::body(&["requests", "0", "upstream"], "unknown_upstream", "no upstream named 'nope'; configured: users")]),
        )
}

pub const MAX_ITEMS: usize = 50;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AggregateRequest {
    pub requests: Vec<Item>,
}

impl Validate for AggregateRequest {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        validate_items(&self.requests, MAX_ITEMS, errors);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AggregateResponse {
    /// Wall time of the whole fan-out.
    pub duration_ms: u64,
    /// One result per request, in request order.
    pub results: Vec<ItemResult>,
}

/// Upstream calls one request makes at once (`AGGREGATE_CONCURRENCY`).
pub struct Concurrency(u32);

impl FromVars for Concurrency {
    fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        // Six: the Workers limit on simultaneous open connections per request.
        vars.u32("AGGREGATE_CONCURRENCY", 6, 1..=50).map(Concurrency)
    }
}

pub async fn aggregate(
    Json(request): Json<AggregateRequest>,
    Settings(concurrency): Settings<Concurrency>,
    env: Env,
    config: Cfg,
    ctx: Ctx,
) -> Result<Json<AggregateResponse>, ApiError> {
    let registry = config.upstreams(&env)?;
    let planned = batch::plan(request.requests, registry)?;
    let started = now_ms();
    let results = batch::run(&ctx, planned, concurrency.0).await;
    Ok(Json(AggregateResponse { duration_ms: ms_since(started), results }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_relay::extract::{body_error_locs, parse_json};

    fn errors(json: &str) -> Vec<(String, &'static str)> {
        body_error_locs::<AggregateRequest>(json)
    }

    #[test]
    fn accepts_a_valid_batch() {
        let r = parse_json::<AggregateRequest>(br#"{"requests":[{"id":"a","upstream":"users","path":"/users/1"}]}"#).unwrap();
        assert_eq!(r.requests[0].path, "/users/1");
    }

    #[test]
    fn at_most_fifty_requests() {
        let many = |n: usize| format!(r#"{{"requests":[{}]}}"#, (0..n).map(|i| format!(r#"{{"id":"{i}","upstream":"u","path":"/"}}"#)).collect::<Vec<_>>().join(","));
        assert!(parse_json::<AggregateRequest>(many(50).as_bytes()).is_ok());
        assert_eq!(errors(&many(51)), vec![("body.requests".into(), "length")]);
    }
}
