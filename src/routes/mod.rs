//! The route table: one line per route, each declared whole in its own module — method,
//! path, summary, tag, guard, handler and (host-only) its documented operation side by side.
//! Dispatch, `GET /` and the OpenAPI document all read this table; adding an endpoint is one
//! module and one line here.

pub(crate) mod aggregate;
pub(crate) mod async_example;
pub(crate) mod events;
#[cfg(feature = "diagnostics")]
mod diagnostics;
mod external_api;
mod jobs;
pub(crate) mod meta;
mod openapi;
mod upstream_list;
mod upstreams;

use std::future::Future;
use std::pin::Pin;

use worker::{web_sys, Env, Headers};

use crate::auth::{Caller, Guard};
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::response::Reply;
#[cfg(test)]
use openapi::op::Op;

/// What a handler gets: the request and everything the middleware established for it.
pub struct Call<'a> {
    pub req: web_sys::Request,
    pub headers: &'a Headers,
    pub env: &'a Env,
    pub config: &'a Config,
    pub ctx: &'a RequestContext,
    /// The path's `{…}` values, in order.
    pub params: &'a [String],
    /// Who is calling, when the route's guard asked.
    pub caller: Option<&'a Caller>,
}

impl Call<'_> {
    pub fn param(&self, index: usize) -> &str {
        self.params.get(index).map_or("", String::as_str)
    }

    /// The caller of a guarded route. A route whose guard applies always has one; without,
    /// the request is refused rather than served as nobody.
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller.ok_or(ApiError::Unauthorized { reason: "send Authorization: Bearer <token>" })
    }
}

/// A handler's answer, boxed so that one table can hold every route.
pub type Handled<'a> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + 'a>>;

#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    /// Literal segments, `{name}` (one segment) and a final `{*name}` (the rest, maybe empty).
    pub path: &'static str,
    pub summary: &'static str,
    /// The group it is listed under in `/docs`.
    pub tag: &'static str,
    /// Who may call it; checked (and the caller identified) before the handler runs.
    pub guard: Guard,
    pub handler: for<'a> fn(Call<'a>) -> Handled<'a>,
    /// Its operation in the OpenAPI document, beyond method, path, summary, tag and guard.
    #[cfg(test)]
    pub doc: fn(&Route, Op) -> Op,
}

impl PartialEq for Route {
    fn eq(&self, other: &Route) -> bool {
        (self.method, self.path) == (other.method, other.path)
    }
}

fn unrouted(_: Call<'_>) -> Handled<'_> {
    Box::pin(async { Err(ApiError::Internal { detail: "a route without a handler".into() }) })
}

impl Route {
    /// What a route declaration leaves out.
    pub const DEFAULT: Route = Route {
        method: "GET",
        path: "/",
        summary: "",
        tag: "meta",
        guard: Guard::Open,
        handler: unrouted,
        #[cfg(test)]
        doc: |_, op| op,
    };
}

pub const ROUTES: &[Route] = &[
    meta::INDEX,
    meta::HEALTHZ,
    openapi::SPEC,
    openapi::DOCS,
    async_example::ROUTE,
    external_api::ROUTE,
    upstream_list::ROUTE,
    upstreams::GET,
    upstreams::POST,
    upstreams::PUT,
    upstreams::PATCH,
    upstreams::DELETE,
    aggregate::ROUTE,
    events::ROUTE,
    jobs::SUBMIT,
    jobs::STATUS,
];

/// Diagnostic routes, compiled only into test builds (the `diagnostics` feature) and served
/// there only with `ENABLE_TEST_ROUTES=true`; never documented. The wasm that is deployed has none.
#[cfg(feature = "diagnostics")]
const TEST_ROUTES: &[Route] = &diagnostics::ROUTES;
#[cfg(not(feature = "diagnostics"))]
const TEST_ROUTES: &[Route] = &[];

/// The routes this deployment serves.
pub fn served(test_routes: bool) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().chain(TEST_ROUTES.iter().filter(move |_| test_routes))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(resolved: Result<(&'static Route, Vec<String>), ApiError>) -> Result<((&'static str, &'static str), Vec<String>), ApiError> {
        resolved.map(|(route, params)| ((route.method, route.path), params))
    }

    #[test]
    fn resolves_every_route_for_get_and_head() {
        for route in ROUTES.iter().filter(|r| r.method == "GET" && !r.path.contains('{')) {
            assert_eq!(endpoint(resolve("GET", route.path, true)), Ok(((route.method, route.path), vec![])));
            assert_eq!(endpoint(resolve("HEAD", route.path, true)), Ok(((route.method, route.path), vec![])));
        }
        let proxy = (("GET", upstreams::PATH), vec!["users".to_owned(), "v1/users/1".to_owned()]);
        assert_eq!(endpoint(resolve("HEAD", "/upstreams/users/v1/users/1", false)), Ok(proxy));
    }

    #[test]
    fn unknown_path_is_404() {
        for path in ["/nope", "/healthz/", "/HEALTHZ", "/async-example/x"] {
            assert_eq!(resolve("GET", path, false), Err(ApiError::NotFound { path: path.into() }));
        }
    }

    #[cfg(feature = "diagnostics")]
    #[test]
    fn test_routes_are_hidden_unless_enabled() {
        assert!(matches!(resolve("GET", "/_test/panic", false), Err(ApiError::NotFound { .. })));
        assert_eq!(endpoint(resolve("GET", "/_test/panic", true)), Ok((("GET", "/_test/panic"), vec![])));
        assert!(served(false).all(|r| !r.path.starts_with("/_test/")));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let err = resolve("POST", "/async-example", false).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "POST".into(), allow: vec!["GET", "HEAD"] });
        let err = resolve("GET", "/aggregate", false).unwrap_err();
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
    fn every_route_has_a_summary_and_tag() {
        for route in ROUTES {
            assert!(!route.summary.is_empty() && !route.tag.is_empty(), "{} {}", route.method, route.path);
        }
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
