//! `GET /upstreams`: the upstreams this deployment relays to, so a client can discover them
//! (names and what each allows; never their URLs or headers).

use serde::Serialize;
use utoipa::ToSchema;
use worker::Env;

use edge_relay::prelude::*;

/// Every configured upstream, by name
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"upstreams": [{"name": "users", "methods": ["GET", "HEAD"], "cached": true}]}))]
pub struct UpstreamList {
    upstreams: Vec<UpstreamInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct UpstreamInfo {
    name: String,
    /// The methods `/upstreams/{name}/…` relays.
    methods: Vec<&'static str>,
    /// Whether GETs are answered from a cached copy (`cache_ttl_s` > 0).
    cached: bool,
}

pub async fn upstreams(env: Env, config: Cfg) -> Result<Json<UpstreamList>, ApiError> {
    let registry = config.upstreams(&env)?;
    let upstreams = registry
        .names()
        .filter_map(|name| registry.get(name))
        .map(|u| UpstreamInfo { name: u.name.to_string(), methods: u.methods.clone(), cached: u.cache_ttl_s > 0 })
        .collect();
    Ok(Json(UpstreamList { upstreams }))
}

pub const ROUTE: Route = get("/upstreams", upstreams)
    .summary("The configured upstreams: name, methods, whether cached")
    .describe("What `/upstreams/{name}/…` can reach and how: names and methods only, never a URL or a header.")
    .tag("upstreams");
