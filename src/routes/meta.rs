//! Service metadata: the index and the liveness check.

use serde::Serialize;

use super::served;
use crate::config::Config;
use crate::response::Json;

#[derive(Serialize)]
#[cfg_attr(test, derive(utoipa::ToSchema))]
pub struct Index {
    name: &'static str,
    version: &'static str,
    routes: Vec<RouteInfo>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(utoipa::ToSchema))]
pub struct RouteInfo {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(utoipa::ToSchema))]
pub struct Health {
    status: &'static str,
}

pub fn index(config: &Config) -> Json<Index> {
    Json(index_for(config.test_routes))
}

/// The index of a deployment with or without the test routes.
pub fn index_for(test_routes: bool) -> Index {
    Index {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        routes: served(test_routes)
            .map(|r| RouteInfo { method: r.method, path: r.path, summary: r.summary })
            .collect(),
    }
}

pub fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
