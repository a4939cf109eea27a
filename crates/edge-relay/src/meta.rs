//! Service metadata: `GET /` (the index) and `GET /healthz` (the liveness check).

use serde::Serialize;

use crate::handler::Cfg;
use crate::response::Json;
use crate::router::{get, App, Route};

/// `GET /`: the app's name, version and routes.
pub const INDEX: Route = get("/", |app: &'static App, config: Cfg| async move { index(app, config.test_routes) })
    .summary("This index: name, version and routes")
    .describe("The API's name and version and every route it serves (method, path, summary), from the same route table dispatch reads.")
    .tag("meta")
    .doc(crate::doc!(|op| {
        let example = op.index.clone();
        op.json::<Index>("200", "The API index", example)
    }));

/// `GET /healthz`: liveness, never rate limited.
pub const HEALTHZ: Route = get("/healthz", || async { healthz() })
    .summary("Liveness check")
    .describe("200 while the worker answers requests; never rate limited, so a prober's own traffic cannot make it fail.")
    .tag("meta")
    .unlimited();

/// The API index: what `GET /` answers.
#[derive(Serialize)]
#[derive(utoipa::ToSchema)]
pub struct Index {
    name: &'static str,
    version: &'static str,
    routes: Vec<RouteInfo>,
}

/// One route of the index.
#[derive(Serialize)]
#[derive(utoipa::ToSchema)]
pub struct RouteInfo {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
}

/// The worker is alive.
#[derive(Serialize)]
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    status: &'static str,
}

/// The index of `app`'s deployment, with or without the test routes.
pub(crate) fn index(app: &'static App, test_routes: bool) -> Json<Index> {
    Json(Index {
        name: app.name,
        version: app.version,
        routes: app.served(test_routes).map(|r| RouteInfo { method: r.method, path: r.path, summary: r.summary }).collect(),
    })
}

pub(crate) fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}
