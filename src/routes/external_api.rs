//! `GET /external-api`: relays the JSON body of the `default` upstream.

use worker::Env;

use edge_relay::config::ConfigError;
use edge_relay::prelude::*;
use edge_relay::response::Relayed;
use edge_relay::upstream::{self, registry::DEFAULT_UPSTREAM};

pub async fn external_api(env: Env, config: Cfg, ctx: Ctx) -> Result<Relayed, ApiError> {
    let registry = config.upstreams(&env)?;
    let upstream = registry.get(DEFAULT_UPSTREAM).ok_or(ConfigError::Missing { var: "UPSTREAM_URL" })?;
    let answer = upstream::get(&ctx, upstream, &upstream.base_url, &[]).await?;
    upstream::check_json(&answer.response)?;
    Ok(Relayed { status: 200, content_type: Some("application/json".to_owned()), ..answer.into() })
}

pub const ROUTE: Route = get("/external-api", external_api)
    .summary("Relays the JSON body of the configured upstream (UPSTREAM_URL)")
    .describe("GETs the `default` upstream under its timeout, retries, breaker and cache; identical calls in flight share one upstream request.")
    .tag("upstreams")
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::upstream::UpstreamError;
    op.json_value("200", "The upstream's JSON body, as it sent it", "UpstreamJson", "Whatever JSON the upstream answered.")
        .problem("502", "The upstream failed: error status, invalid JSON, or connection failure", &ApiError::Upstream(UpstreamError::BadStatus { status: 503 }))
        .problem("504", "The upstream did not answer within UPSTREAM_TIMEOUT_MS", &ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5000 }))
}
