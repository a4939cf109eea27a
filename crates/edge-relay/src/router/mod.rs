//! An app and its route table: dispatch, `GET /` and the OpenAPI document all read it. One
//! route is declared in one place ([`get`] and its kin: `get("/x", handler).summary("…")`).

mod route;

pub use route::{delete, get, patch, post, put, Doc, Handled, HandlerFn, Layer, Next, Route};

use std::rc::Rc;

use worker::{web_sys, Env, Headers};

use crate::auth::Caller;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;

/// An app: its name and version (the index and the document show them), its routes, the
/// groups of its document, and the document itself, checked in and embedded (see
/// [`crate::openapi_document!`]). The library's own routes are the app's to list:
/// [`crate::meta::INDEX`], [`crate::meta::HEALTHZ`], [`crate::openapi::SPEC`],
/// [`crate::openapi::DOCS`].
pub struct App {
    /// The API's name: the index's `name`, the document's `info.title`.
    pub name: &'static str,
    /// Its version (the index's and the document's), usually `env!("CARGO_PKG_VERSION")`.
    pub version: &'static str,
    /// One paragraph: the document's `info.description`.
    pub description: &'static str,
    /// Every route it serves, in the order the index and the document list them.
    pub routes: &'static [Route],
    /// Served only with `ENABLE_TEST_ROUTES=true`, never documented:
    /// [`crate::diagnostics::ROUTES`], which only a build with the `diagnostics` feature has.
    pub test_routes: &'static [Route],
    /// `(name, description)` of each tag the routes use, in the order `/docs` shows them; the
    /// library's own routes are tagged `meta`.
    pub tags: &'static [(&'static str, &'static str)],
    /// Layers around every route's handler, outermost first (see [`Layer`]).
    pub layers: &'static [Layer],
    /// The OpenAPI document as served: minified JSON.
    pub document: &'static [u8],
}

/// What a handler gets: the request and everything the middleware established for it, owned,
/// so that a handler's future borrows nothing.
pub struct Call {
    /// The runtime's request, its body unread.
    pub req: web_sys::Request,
    /// The request's headers.
    pub headers: Headers,
    /// The worker's bindings and vars.
    pub env: Env,
    /// The isolate's configuration.
    pub config: Rc<Config>,
    /// The request's own state.
    pub ctx: Rc<RequestContext>,
    /// The app being served.
    pub app: &'static App,
    /// The route being served.
    pub route: &'static Route,
    /// The path's `{…}` values, in order.
    pub params: Vec<String>,
    /// Who is calling, when the route's guard asked.
    pub caller: Option<Caller>,
}

impl Call {
    /// The path's `index`-th `{…}` value (`""` if there is none), for a layer: a handler
    /// takes [`crate::handler::Path`].
    pub fn param(&self, index: usize) -> &str {
        self.params.get(index).map_or("", String::as_str)
    }

    /// The caller of a guarded route. A route whose guard applies always has one; without,
    /// the request is refused rather than served as nobody.
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        self.caller.as_ref().ok_or(ApiError::Unauthorized { reason: "send Authorization: Bearer <token>" })
    }
}

impl App {
    /// The routes this deployment serves.
    pub fn served(&'static self, test_routes: bool) -> impl Iterator<Item = &'static Route> {
        self.routes.iter().chain(self.test_routes.iter().filter(move |_| test_routes))
    }

    /// Finds the route and path parameters for a method and path. HEAD is served wherever
    /// GET is; a method no route of the path declares goes to one that answers any method,
    /// else it is a 405 whose `Allow` lists the path's methods.
    pub fn resolve(&'static self, method: &str, path: &str, test_routes: bool) -> Result<(&'static Route, Vec<String>), ApiError> {
        let mut on_path = self.served(test_routes).filter_map(|r| Some((r, match_template(r.path, path)?))).peekable();
        if on_path.peek().is_none() {
            return Err(ApiError::NotFound { path: path.to_owned() });
        }
        let lookup = if method == "HEAD" { "GET" } else { method };
        let mut allow = Vec::new();
        let mut fallback = None;
        for (route, params) in on_path {
            if route.method == lookup {
                return Ok((route, params));
            }
            allow.push(route.method);
            if route.method == "GET" {
                allow.push("HEAD");
            }
            if route.any_method && fallback.is_none() {
                fallback = Some((route, params));
            }
        }
        fallback.ok_or_else(|| ApiError::MethodNotAllowed { method: method.to_owned(), allow })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    static APP: App = App {
        name: "test",
        version: "0.0.0",
        description: "",
        routes: &[
            Route { path: "/", summary: "an index", ..Route::DEFAULT },
            Route { path: "/async-example", summary: "a timer", ..Route::DEFAULT },
            Route { method: "POST", path: "/aggregate", summary: "a fan-out", ..Route::DEFAULT },
            Route { path: "/upstreams/{name}/{*path}", summary: "a relay", any_method: true, ..Route::DEFAULT },
            Route { method: "POST", path: "/upstreams/{name}/{*path}", summary: "a relay", any_method: true, ..Route::DEFAULT },
            Route { path: "/a/{x}", summary: "a read", ..Route::DEFAULT },
            Route { method: "POST", path: "/a/{x}", summary: "a write", ..Route::DEFAULT },
        ],
        test_routes: &[Route { path: "/_test/panic", summary: "a panic", ..Route::DEFAULT }],
        tags: &[],
        layers: &[],
        document: b"{}",
    };

    fn endpoint(resolved: Result<(&'static Route, Vec<String>), ApiError>) -> Result<((&'static str, &'static str), Vec<String>), ApiError> {
        resolved.map(|(route, params)| ((route.method, route.path), params))
    }

    #[test]
    fn resolves_every_route_for_get_and_head() {
        for route in APP.served(true).filter(|r| r.method == "GET" && !r.path.contains('{')) {
            assert_eq!(endpoint(APP.resolve("GET", route.path, true)), Ok(((route.method, route.path), vec![])));
            assert_eq!(endpoint(APP.resolve("HEAD", route.path, true)), Ok(((route.method, route.path), vec![])));
        }
        let proxy = (("GET", "/upstreams/{name}/{*path}"), vec!["users".to_owned(), "v1/users/1".to_owned()]);
        assert_eq!(endpoint(APP.resolve("HEAD", "/upstreams/users/v1/users/1", false)), Ok(proxy));
    }

    #[test]
    fn unknown_path_is_404() {
        for path in ["/nope", "/async-example/", "/ASYNC-EXAMPLE", "/async-example/x"] {
            assert_eq!(APP.resolve("GET", path, false), Err(ApiError::NotFound { path: path.into() }));
        }
    }

    #[test]
    fn test_routes_are_hidden_unless_enabled() {
        assert!(matches!(APP.resolve("GET", "/_test/panic", false), Err(ApiError::NotFound { .. })));
        assert_eq!(endpoint(APP.resolve("GET", "/_test/panic", true)), Ok((("GET", "/_test/panic"), vec![])));
        assert!(APP.served(false).all(|r| !r.path.starts_with("/_test/")));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let err = APP.resolve("POST", "/async-example", false).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "POST".into(), allow: vec!["GET", "HEAD"] });
        let err = APP.resolve("GET", "/aggregate", false).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "GET".into(), allow: vec!["POST"] });
        let err = APP.resolve("PUT", "/a/x", false).unwrap_err();
        assert_eq!(err, ApiError::MethodNotAllowed { method: "PUT".into(), allow: vec!["GET", "HEAD", "POST"] });
    }

    #[test]
    fn a_route_that_answers_any_method_gets_those_its_path_does_not_declare() {
        assert_eq!(endpoint(APP.resolve("PUT", "/upstreams/u/x", false)), Ok((("GET", "/upstreams/{name}/{*path}"), vec!["u".into(), "x".into()])));
        assert_eq!(endpoint(APP.resolve("OPTIONS", "/upstreams/u/x", false)), Ok((("GET", "/upstreams/{name}/{*path}"), vec!["u".into(), "x".into()])));
        assert_eq!(endpoint(APP.resolve("POST", "/upstreams/u/x", false)), Ok((("POST", "/upstreams/{name}/{*path}"), vec!["u".into(), "x".into()])));
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
}
