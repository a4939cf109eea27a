//! The app's route table: one line per route, each declared whole in its own module — method,
//! path, summary, tag, guard, handler and (host-only) its documented operation side by side —
//! or taken from the library (the index, liveness, the document and its UI). Dispatch, `GET /`
//! and the OpenAPI document all read this table; adding an endpoint is one module and one line
//! here.

mod aggregate;
mod async_example;
mod dashboard;
mod events;
mod external_api;
mod jobs;
#[cfg(feature = "openapi")]
mod openapi;
mod upstream_list;
mod upstreams;

use edge_relay::router::Route;
use edge_relay::{meta, openapi as docs, App};

pub static APP: App = App {
    name: "edge-relay",
    version: env!("CARGO_PKG_VERSION"),
    description: env!("CARGO_PKG_DESCRIPTION"),
    routes: ROUTES,
    test_routes: edge_relay::diagnostics::ROUTES,
    tags: &[
        ("examples", "Async patterns on the runtime"),
        ("upstreams", "Named upstreams: relaying, fan-out"),
        ("events", "Background delivery"),
        ("jobs", "Durable jobs on a queue, owned by their caller"),
    ],
    layers: &[],
    document: edge_relay::openapi_document!("openapi.json"),
};

const ROUTES: &[Route] = &[
    meta::INDEX,
    meta::HEALTHZ,
    docs::SPEC,
    docs::DOCS,
    async_example::ROUTE,
    external_api::ROUTE,
    upstream_list::ROUTE,
    upstreams::GET,
    upstreams::POST,
    upstreams::PUT,
    upstreams::PATCH,
    upstreams::DELETE,
    aggregate::ROUTE,
    dashboard::ROUTE,
    events::ROUTE,
    jobs::SUBMIT,
    jobs::LIST,
    jobs::STATUS,
    jobs::CANCEL,
    jobs::RESULTS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_summary_and_tag() {
        for route in APP.served(true) {
            assert!(!route.summary.is_empty() && !route.tag.is_empty(), "{} {}", route.method, route.path);
        }
    }

    #[test]
    fn paths_are_unique_per_method() {
        let routes: Vec<&Route> = APP.served(true).collect();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(!(a.path == b.path && a.method == b.method), "{} {} twice", a.method, a.path);
            }
        }
    }

    #[test]
    fn the_relay_takes_its_upstream_and_the_rest_of_the_path() {
        let (route, params) = APP.resolve("HEAD", "/upstreams/users/v1/users/1", false).unwrap();
        assert_eq!((route.method, route.path), ("GET", upstreams::PATH));
        assert_eq!(params, ["users", "v1/users/1"]);
    }
}
