//! The route table, which serves requests and lists routes (`GET /`) from one source.

mod async_example;
mod external_api;
mod meta;

use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::response::IntoResponse;

/// What a matched route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Index,
    Healthz,
    AsyncExample,
    ExternalApi,
}

#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub endpoint: Endpoint,
}

pub const ROUTES: &[Route] = &[
    Route { method: "GET", path: "/", summary: "This index: name, version and routes", endpoint: Endpoint::Index },
    Route { method: "GET", path: "/healthz", summary: "Liveness check", endpoint: Endpoint::Healthz },
    Route {
        method: "GET",
        path: "/async-example",
        summary: "Awaits a runtime timer of delay_ms (0..=10000) without blocking",
        endpoint: Endpoint::AsyncExample,
    },
    Route {
        method: "GET",
        path: "/external-api",
        summary: "Relays the JSON body of the configured upstream (UPSTREAM_URL)",
        endpoint: Endpoint::ExternalApi,
    },
];

/// Finds the endpoint for a method and path. HEAD is served wherever GET is.
pub fn resolve(method: &str, path: &str) -> Result<Endpoint, ApiError> {
    let mut on_path = ROUTES.iter().filter(|r| r.path == path).peekable();
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

/// Runs the request through its route; every failure becomes a problem response.
pub async fn dispatch(req: Request, env: Env) -> worker::Result<Response> {
    let url = req.url()?;
    let endpoint = match resolve(req.method().as_ref(), url.path()) {
        Ok(endpoint) => endpoint,
        Err(e) => return e.into_response(),
    };
    match endpoint {
        Endpoint::Index => meta::index().into_response(),
        Endpoint::Healthz => meta::healthz().into_response(),
        Endpoint::AsyncExample => async_example::handle(&QueryParams::parse(url.query())).await.into_response(),
        Endpoint::ExternalApi => external_api::handle(&env).await.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_every_route_for_get_and_head() {
        for route in ROUTES {
            assert_eq!(resolve("GET", route.path), Ok(route.endpoint));
            assert_eq!(resolve("HEAD", route.path), Ok(route.endpoint));
        }
    }

    #[test]
    fn unknown_path_is_404() {
        for path in ["/nope", "/healthz/", "/HEALTHZ", "/async-example/x"] {
            assert_eq!(resolve("GET", path), Err(ApiError::NotFound { path: path.into() }));
        }
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let err = resolve("POST", "/async-example").unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "POST".into(), allow: vec!["GET", "HEAD"] });
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
