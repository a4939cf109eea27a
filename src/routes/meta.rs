//! Service metadata: the index and the liveness check.

use serde::Serialize;

use super::served;
use crate::config::Config;
use crate::response::Json;

#[derive(Serialize)]
pub struct Index {
    name: &'static str,
    version: &'static str,
    routes: Vec<RouteInfo>,
}

#[derive(Serialize)]
pub struct RouteInfo {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
}

pub fn index(config: &Config) -> Json<Index> {
    Json(Index {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        routes: served(config.test_routes)
            .map(|r| RouteInfo { method: r.method, path: r.path, summary: r.summary })
            .collect(),
    })
}

pub fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
