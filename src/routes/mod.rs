//! The route table, which serves requests, lists routes (`GET /`) and is the OpenAPI
//! document's list of operations: one source for all three.

pub(crate) mod aggregate;
pub(crate) mod async_example;
pub(crate) mod events;
mod diagnostics;
mod external_api;
mod jobs;
pub(crate) mod meta;
mod openapi;
mod upstreams;

use worker::{web_sys, Env, Headers};

use crate::auth::{Caller, Guard};
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::response::{IntoResponse, Reply};

/// What a matched route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Index,
    Healthz,
    OpenApi,
    Docs,
    AsyncExample,
    ExternalApi,
    UpstreamProxy,
    Aggregate,
    Events,
    SubmitJob,
    JobStatus,
    TestPanic,
    TestAbort,
    TestEcho,
}

#[derive(Debug, PartialEq)]
pub struct Route {
    pub method: &'static str,
    /// Literal segments, `{name}` (one segment) and a final `{*name}` (the rest, maybe empty).
    pub path: &'static str,
    pub summary: &'static str,
    pub endpoint: Endpoint,
    /// Who may call it; checked (and the caller identified) before the handler runs.
    pub guard: Guard,
    /// Served only with `ENABLE_TEST_ROUTES=true`, and never documented.
    pub test_only: bool,
}

const fn route(method: &'static str, path: &'static str, summary: &'static str, endpoint: Endpoint) -> Route {
    Route { method, path, summary, endpoint, guard: Guard::Open, test_only: false }
}

const fn test_route(method: &'static str, path: &'static str, summary: &'static str, endpoint: Endpoint) -> Route {
    Route { method, path, summary, endpoint, guard: Guard::Open, test_only: true }
}

impl Route {
    const fn guarded(self, guard: Guard) -> Route {
        Route { guard, ..self }
    }
}

/// The relay's path: every method reaches it; each upstream's `methods` decides.
const UPSTREAM_PATH: &str = "/upstreams/{name}/{*path}";

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
    route("GET", UPSTREAM_PATH, "Relays a GET to a configured upstream (base_url + path + query), streaming its answer", Endpoint::UpstreamProxy),
    route("POST", UPSTREAM_PATH, "Relays a POST, streaming the body both ways, where the upstream's methods allow it", Endpoint::UpstreamProxy),
    route("PUT", UPSTREAM_PATH, "Relays a PUT, streaming the body both ways, where the upstream's methods allow it", Endpoint::UpstreamProxy),
    route("PATCH", UPSTREAM_PATH, "Relays a PATCH, streaming the body both ways, where the upstream's methods allow it", Endpoint::UpstreamProxy),
    route("DELETE", UPSTREAM_PATH, "Relays a DELETE where the upstream's methods allow it", Endpoint::UpstreamProxy),
    route("POST", "/aggregate", "Calls up to 50 upstream paths concurrently, one result each", Endpoint::Aggregate),
    route("POST", "/events", "Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background", Endpoint::Events)
        .guarded(Guard::ScopeWhenJwt("events:write")),
    route("POST", "/jobs", "Queues a durable job of up to 1000 upstream GETs (202; Idempotency-Key)", Endpoint::SubmitJob)
        .guarded(Guard::Scope("jobs:write")),
    route("GET", "/jobs/{id}", "One of the caller's jobs: status, progress and, once it has ended, its results", Endpoint::JobStatus)
        .guarded(Guard::Scope("jobs:read")),
    test_route("GET", "/_test/panic", "Panics (?in=background: in a background task), to prove panic isolation", Endpoint::TestPanic),
    test_route("GET", "/_test/abort", "Aborts the wasm instance (?at=start: before the first await), to prove recovery", Endpoint::TestAbort),
    test_route("POST", "/_test/echo", "Validates a JSON body and echoes it", Endpoint::TestEcho),
];

/// The routes this deployment serves.
pub fn served(test_routes: bool) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(move |r| test_routes || !r.test_only)
}

/// A path's values for a template's `{…}` segments, in order; `None` if it does not match.
pub fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let mut segments = path.strip_prefix('/')?.split('/');
    for part in template.strip_prefix('/')?.split('/') {
        if part.starts_with("{*") {
            params.push(segments.by_ref().collect::<Vec<_>>().join("/"));
            return Some(params);
        }
        let segment = segments.next()?;
        if part.starts_with('{') {
            if segment.is_empty() {
                return None;
            }
            params.push(segment.to_owned());
        } else if part != segment {
            return None;
        }
    }
    segments.next().is_none().then_some(params)
}

/// Finds the route and path parameters for a method and path. HEAD is served wherever
/// GET is.
pub fn resolve(method: &str, path: &str, test_routes: bool) -> Result<(&'static Route, Vec<String>), ApiError> {
    let mut on_path = served(test_routes).filter_map(|r| Some((r, match_template(r.path, path)?))).peekable();
    if on_path.peek().is_none() {
        return Err(ApiError::NotFound { path: path.to_owned() });
    }
    let lookup = if method == "HEAD" { "GET" } else { method };
    let mut allow = Vec::new();
    for (route, params) in on_path {
        if route.method == lookup {
            return Ok((route, params));
        }
        allow.push(route.method);
        if route.method == "GET" {
            allow.push("HEAD");
        }
    }
    Err(ApiError::MethodNotAllowed { method: method.to_owned(), allow })
}

/// Who a guarded handler serves. A route whose guard applies always has one; without, the
/// request is refused rather than served as nobody.
fn caller(caller: Option<&Caller>) -> Result<&Caller, ApiError> {
    caller.ok_or(ApiError::Unauthorized { reason: "send Authorization: Bearer <token>" })
}

/// Runs the request through its route (resolved, and its guard passed, by the middleware).
pub async fn dispatch(
    endpoint: Endpoint,
    params: &[String],
    who: Option<&Caller>,
    req: web_sys::Request,
    headers: &Headers,
    env: &Env,
    config: &Config,
    ctx: &RequestContext,
) -> Result<Reply, ApiError> {
    match endpoint {
        Endpoint::Index => meta::index(config).into_response(),
        Endpoint::Healthz => meta::healthz().into_response(),
        Endpoint::OpenApi => openapi::document().into_response(),
        Endpoint::Docs => openapi::docs_page().into_response(),
        Endpoint::AsyncExample => async_example::handle(&ctx.query_params()).await?.into_response(),
        Endpoint::ExternalApi => external_api::handle(config, ctx).await?.into_response(),
        Endpoint::UpstreamProxy => upstreams::proxy(&req, headers, config, ctx, &params[0], &params[1]).await,
        Endpoint::Aggregate => aggregate::handle(&req, config, ctx).await?.into_response(),
        Endpoint::Events => events::accept(&req, config, ctx).await?.into_response(),
        Endpoint::SubmitJob => jobs::submit(&req, headers, env, config, caller(who)?).await?.into_response(),
        Endpoint::JobStatus => jobs::status(env, config, ctx, caller(who)?, &params[0]).await?.into_response(),
        Endpoint::TestPanic => diagnostics::panic(&ctx.query_params(), ctx),
        Endpoint::TestAbort => diagnostics::abort(&ctx.query_params()).await,
        Endpoint::TestEcho => diagnostics::echo(&req, config).await?.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(resolved: Result<(&Route, Vec<String>), ApiError>) -> Result<(Endpoint, Vec<String>), ApiError> {
        resolved.map(|(route, params)| (route.endpoint, params))
    }

    #[test]
    fn resolves_every_route_for_get_and_head() {
        for route in ROUTES.iter().filter(|r| r.method == "GET" && !r.path.contains('{')) {
            assert_eq!(endpoint(resolve("GET", route.path, true)), Ok((route.endpoint, vec![])));
            assert_eq!(endpoint(resolve("HEAD", route.path, true)), Ok((route.endpoint, vec![])));
        }
        let proxy = (Endpoint::UpstreamProxy, vec!["users".to_owned(), "v1/users/1".to_owned()]);
        assert_eq!(endpoint(resolve("HEAD", "/upstreams/users/v1/users/1", false)), Ok(proxy));
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
        assert_eq!(endpoint(resolve("GET", "/_test/panic", true)), Ok((Endpoint::TestPanic, vec![])));
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
    fn templates_match_segments() {
        let t = "/upstreams/{name}/{*path}";
        assert_eq!(match_template(t, "/upstreams/users/a/b"), Some(vec!["users".into(), "a/b".into()]));
        assert_eq!(match_template(t, "/upstreams/users/"), Some(vec!["users".into(), "".into()]));
        assert_eq!(match_template(t, "/upstreams/users"), Some(vec!["users".into(), "".into()]));
        assert_eq!(match_template(t, "/upstreams//a"), None);
        assert_eq!(match_template(t, "/upstreams"), None);
        assert_eq!(match_template("/", "/"), Some(vec![]));
        assert_eq!(match_template("/healthz", "/healthz/"), None);
        assert_eq!(match_template("/a/{id}", "/a/1/2"), None);
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
