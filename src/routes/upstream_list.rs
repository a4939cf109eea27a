//! `GET /upstreams`: the upstreams this deployment relays to, so a client can discover them
//! (names and what each allows; never their URLs or headers).

use serde::Serialize;
use worker::Env;

use edge_relay::error::ApiError;
use edge_relay::handler::{handler, Cfg, Json};
use edge_relay::router::Route;

pub const ROUTE: Route = Route {
    path: "/upstreams",
    summary: "The configured upstreams: name, methods, whether cached",
    tag: "upstreams",
    handler: handler(upstreams),
    #[cfg(feature = "openapi")]
    doc: |_, op| {
        let example = serde_json::json!({"upstreams": [{"name": "users", "methods": ["GET", "HEAD"], "cached": true}]});
        op.json::<UpstreamList>("200", "Every configured upstream, by name", example)
    },
    ..Route::DEFAULT
};

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpstreamList {
    upstreams: Vec<UpstreamInfo>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
