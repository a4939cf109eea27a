//! Service metadata: `GET /` (the index) and `GET /healthz` (the liveness check).

use serde::Serialize;

use crate::response::{IntoResponse, Json};
use crate::router::{App, Route};
#[cfg(feature = "openapi")]
use crate::openapi::op::example;

pub const INDEX: Route = Route {
    path: "/",
    summary: "This index: name, version and routes",
    handler: |call| Box::pin(async move { index(call.app, call.config.test_routes).into_response() }),
    #[cfg(feature = "openapi")]
    doc: |_, op| {
        let example = op.index.clone();
        op.json::<Index>("200", "The API index", example)
    },
    ..Route::DEFAULT
};

pub const HEALTHZ: Route = Route {
    path: "/healthz",
    summary: "Liveness check",
    // A liveness probe must not be refused for the prober's own traffic.
    rate_limited: false,
    handler: |_| Box::pin(async { healthz().into_response() }),
    #[cfg(feature = "openapi")]
    doc: |_, op| op.json::<Health>("200", "The worker is alive", example(healthz().0)),
    ..Route::DEFAULT
};

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Index {
    name: &'static str,
    version: &'static str,
    routes: Vec<RouteInfo>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteInfo {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    status: &'static str,
}

/// The index of `app`'s deployment, with or without the test routes.
pub fn index(app: &'static App, test_routes: bool) -> Json<Index> {
    Json(Index {
        name: app.name,
        version: app.version,
        routes: app.served(test_routes).map(|r| RouteInfo { method: r.method, path: r.path, summary: r.summary }).collect(),
    })
}

pub fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
