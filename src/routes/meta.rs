//! Service metadata: `GET /` (the index) and `GET /healthz` (the liveness check).

use serde::Serialize;

use super::{served, Route};
use crate::config::Config;
use crate::response::{IntoResponse, Json};
#[cfg(test)]
use super::openapi::op::example;

pub const INDEX: Route = Route {
    path: "/",
    summary: "This index: name, version and routes",
    handler: |call| Box::pin(async move { index(call.config).into_response() }),
    #[cfg(test)]
    doc: |_, op| op.json::<Index>("200", "The API index", example(index_for(false))),
    ..Route::DEFAULT
};

pub const HEALTHZ: Route = Route {
    path: "/healthz",
    summary: "Liveness check",
    handler: |_| Box::pin(async { healthz().into_response() }),
    #[cfg(test)]
    doc: |_, op| op.json::<Health>("200", "The worker is alive", example(healthz().0)),
    ..Route::DEFAULT
};

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
