//! The route table, which serves requests, lists routes (`GET /`) and is the OpenAPI
//! document's list of operations: one source for all three.

pub(crate) mod async_example;
mod diagnostics;
mod external_api;
pub(crate) mod meta;
mod openapi;

use worker::{Request, Response};

use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::response::IntoResponse;

/// What a matched route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Index,
    Healthz,
    OpenApi,
    Docs,
    AsyncExample,
    ExternalApi,
    TestPanic,
    TestEcho,
}

#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub endpoint: Endpoint,
    /// Served only with `ENABLE_TEST_ROUTES=true`, and never documented.
    pub test_only: bool,
}

const fn route(method: &'static str, path: &'static str, summary: &'static str, endpoint: Endpoint) -> Route {
    Route { method, path, summary, endpoint, test_only: false }
}

const fn test_route(method: &'static str, path: &'static str, summary: &'static str, endpoint: Endpoint) -> Route {
    Route { method, path, summary, endpoint, test_only: true }
}

pub const ROUTES: &[Route] = &[
    route("GET", "/", "This index: name, version and routes", Endpoint::Index),
    route("GET", "/healthz", "Liveness check", Endpoint::Healthz),
    route("GET", "/openapi.json", "The OpenAPI 3.1 document of this API", Endpoint::OpenApi),
    route("GET", "/docs", "Interactive API documentation (Swagger UI)", Endpoint::Docs),
    route(
        "GET",
        "/async-example",
        "Awaits a runtime timer of delay_ms (0..=10000) without blocking",
        Endpoint::AsyncExample,
    ),
    route("GET", "/external-api", "Relays the JSON body of the configured upstream (UPSTREAM_URL)", Endpoint::ExternalApi),
    test_route("GET", "/_test/panic", "Panics, to prove panic safety", Endpoint::TestPanic),
    test_route("POST", "/_test/echo", "Validates a JSON body and echoes it", Endpoint::TestEcho),
];

/// The routes this deployment serves.
pub fn served(test_routes: bool) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(move |r| test_routes || !r.test_only)
}

/// Finds the endpoint for a method and path. HEAD is served wherever GET is.
pub fn resolve(method: &str, path: &str, test_routes: bool) -> Result<Endpoint, ApiError> {
    let mut on_path = served(test_routes).filter(|r| r.path == path).peekable();
    if on_path.peek().is_none() {
        return Err(ApiError::NotFound { path: path.to_owned() });
    }
    let lookup = if method == "HEAD" { "GET" } else { method };
    let mut allow = Vec::new();
    for route in on_path {
        if route.method == lookup {
            return Ok(route.endpoint);
        }
        allow.push(route.method);
        if route.method == "GET" {
            allow.push("HEAD");
        }
    }
    Err(ApiError::MethodNotAllowed { method: method.to_owned(), allow })
}

/// Runs the request through its route.
pub async fn dispatch(mut req: Request, config: &Config, ctx: &RequestContext) -> Result<Response, ApiError> {
    let url = req.url()?;
    let response = match resolve(&ctx.method, url.path(), config.test_routes)? {
        Endpoint::Index => meta::index(config).into_response(),
        Endpoint::Healthz => meta::healthz().into_response(),
        Endpoint::OpenApi => openapi::document().into_response(),
        Endpoint::Docs => openapi::docs_page().into_response(),
        Endpoint::AsyncExample => async_example::handle(&QueryParams::parse(url.query())).await?.into_response(),
        Endpoint::ExternalApi => external_api::handle(config, ctx).await?.into_response(),
        Endpoint::TestPanic => diagnostics::panic(),
        Endpoint::TestEcho => diagnostics::echo(&mut req, config).await?.into_response(),
    };
    Ok(response?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_route_for_get_and_head() {
        for route in ROUTES.iter().filter(|r| r.method == "GET") {
            assert_eq!(resolve("GET", route.path, true), Ok(route.endpoint));
            assert_eq!(resolve("HEAD", route.path, true), Ok(route.endpoint));
        }
    }

    #[test]
    fn unknown_path_is_404() {
        for path in ["/nope", "/healthz/", "/HEALTHZ", "/async-example/x"] {
            assert_eq!(resolve("GET", path, false), Err(ApiError::NotFound { path: path.into() }));
        }
    }

    #[test]
    fn test_routes_are_hidden_unless_enabled() {
        assert!(matches!(resolve("GET", "/_test/panic", false), Err(ApiError::NotFound { .. })));
        assert_eq!(resolve("GET", "/_test/panic", true), Ok(Endpoint::TestPanic));
        assert!(served(false).all(|r| !r.path.starts_with("/_test/")));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let err = resolve("POST", "/async-example", false).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "POST".into(), allow: vec!["GET", "HEAD"] });
        let err = resolve("GET", "/_test/echo", true).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "GET".into(), allow: vec!["POST"] });
    }

    #[test]
    fn paths_are_unique_per_method() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(!(a.path == b.path && a.method == b.method), "{} {} twice", a.method, a.path);
            }
        }
    }
}
