//! One route, declared in one place: `get("/items/{id}", read).summary("…").tag("items")`.
//! Method, path, handler, summary, tag, guard, layers and (host-only) its documented operation
//! side by side; the operation's parameters, body and responses come from the handler's
//! argument and return types.

use std::future::Future;
use std::pin::Pin;

use crate::auth::Guard;
use crate::error::ApiError;
use crate::handler::{handler, Handler};
use crate::response::Reply;
#[cfg(feature = "openapi")]
use crate::operation::Op;

use super::Call;

/// A handler's answer, boxed so that one table can hold every route.
pub type Handled = Pin<Box<dyn Future<Output = Result<Reply, ApiError>>>>;

/// What a route runs: a plain async function made into one by [`Route::new`], or a function
/// of the whole [`Call`].
pub type HandlerFn = fn(Call) -> Handled;

/// Work of the app's own around handlers, after what every route gets (CORS, load shedding,
/// authentication, rate limiting): it may answer by itself, or run the rest (`next.run(call)`)
/// and change what comes back. An error answer is built after the layers, from the `Err` they
/// pass on. Layers are the app's ([`crate::App::layers`], around every route), a group's
/// ([`Route::group`], a `const` slice its routes share) or one route's ([`Route::layers`]).
pub type Layer = fn(Call, Next) -> Handled;

/// What a layer runs next: the layers inside it, then the handler.
pub struct Next {
    /// The app's, the group's and the route's layers still to run, outermost first.
    levels: [&'static [Layer]; 3],
    handler: HandlerFn,
}

impl Next {
    /// The app's, then `route`'s group's and own layers around its handler.
    pub fn new(app_layers: &'static [Layer], route: &'static Route) -> Next {
        Next { levels: [app_layers, route.group, route.layers], handler: route.handler }
    }

    /// Runs the rest, then `change` on its answer (an error answer passes by untouched): the
    /// whole of a layer that only adds to responses, e.g.
    /// `next.then(call, |reply| reply.header("Cache-Control", "no-store"))`.
    pub fn then(self, call: Call, change: impl FnOnce(&mut Reply) + 'static) -> Handled {
        let answer = self.run(call);
        Box::pin(async move {
            let mut reply = answer.await?;
            change(&mut reply);
            Ok(reply)
        })
    }

    /// Runs the next layer, or the handler once every layer has run.
    pub fn run(mut self, call: Call) -> Handled {
        for level in 0..self.levels.len() {
            if let Some((layer, rest)) = self.levels[level].split_first() {
                self.levels[level] = rest;
                return layer(call, self);
            }
        }
        (self.handler)(call)
    }
}

/// A route: what [`crate::App::routes`] lists. Made with [`get`], [`post`], [`put`], [`patch`],
/// [`delete`] or [`Route::new`] and the builder methods, all `const`, so a route table is a
/// constant.
#[derive(Debug)]
pub struct Route {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (HEAD is served wherever GET is).
    pub method: &'static str,
    /// Literal segments, `{name}` (one segment) and a final `{*name}` (the rest, maybe empty).
    pub path: &'static str,
    /// One line: the index (`GET /`) and the document show it.
    pub summary: &'static str,
    /// The group it is listed under in `/docs` (one of [`crate::App::tags`]).
    pub tag: &'static str,
    /// Who may call it; checked (and the caller identified) before the handler runs.
    pub guard: Guard,
    /// What answers it.
    pub handler: HandlerFn,
    /// The layers of the group it belongs to, inside the app's, outermost first.
    pub group: &'static [Layer],
    /// Its own layers, inside the group's, outermost first.
    pub layers: &'static [Layer],
    /// Whether `RATE_LIMITER` counts its requests (`/healthz` is exempt).
    pub rate_limited: bool,
    /// Whether its handler also answers the methods no route of its path declares (and then
    /// its own 405, with the `Allow` it knows): the relay, whose upstream decides.
    pub any_method: bool,
    /// The operation's description in the document.
    #[cfg(feature = "openapi")]
    pub description: &'static str,
    /// What the handler's argument and return types say of the operation.
    #[cfg(feature = "openapi")]
    pub derived: fn(Op) -> Op,
    /// What the route adds by hand (examples, statuses its types cannot tell), after `derived`.
    #[cfg(feature = "openapi")]
    pub doc: fn(Op) -> Op,
}

/// A route's hand-written additions to its documented operation: made by [`crate::doc!`],
/// which keeps the function out of builds without the `openapi` feature (the wasm).
#[derive(Clone, Copy)]
pub struct Doc(#[cfg(feature = "openapi")] pub fn(Op) -> Op);

/// `Doc(f)` where the document is built (the `openapi` feature), and nothing elsewhere: the
/// function named may then be `#[cfg(feature = "openapi")]` itself.
#[cfg(feature = "openapi")]
#[macro_export]
macro_rules! doc {
    ($document:expr) => {
        $crate::router::Doc($document)
    };
}

/// `Doc(f)` where the document is built (the `openapi` feature), and nothing elsewhere: the
/// function named may then be `#[cfg(feature = "openapi")]` itself.
#[cfg(not(feature = "openapi"))]
#[macro_export]
macro_rules! doc {
    ($document:expr) => {
        $crate::router::Doc()
    };
}

impl PartialEq for Route {
    fn eq(&self, other: &Route) -> bool {
        (self.method, self.path) == (other.method, other.path)
    }
}

fn unrouted(_: Call) -> Handled {
    Box::pin(async { Err(ApiError::Internal { detail: "a route without a handler".into() }) })
}

#[cfg(feature = "openapi")]
fn undocumented(op: Op) -> Op {
    op
}

/// `GET path`, answered by `handler`: a plain async function whose arguments are extractors
/// ([`crate::handler::FromCall`]) and whose return value [`crate::response::IntoResponse`]s.
pub const fn get<H: Handler<Args>, Args>(path: &'static str, handler: H) -> Route {
    Route::new("GET", path, handler)
}

/// `POST path`, answered by `handler` (see [`get`]).
pub const fn post<H: Handler<Args>, Args>(path: &'static str, handler: H) -> Route {
    Route::new("POST", path, handler)
}

/// `PUT path`, answered by `handler` (see [`get`]).
pub const fn put<H: Handler<Args>, Args>(path: &'static str, handler: H) -> Route {
    Route::new("PUT", path, handler)
}

/// `PATCH path`, answered by `handler` (see [`get`]).
pub const fn patch<H: Handler<Args>, Args>(path: &'static str, handler: H) -> Route {
    Route::new("PATCH", path, handler)
}

/// `DELETE path`, answered by `handler` (see [`get`]).
pub const fn delete<H: Handler<Args>, Args>(path: &'static str, handler: H) -> Route {
    Route::new("DELETE", path, handler)
}

impl Route {
    /// What a route declaration leaves out: open, rate limited, untagged, no layers.
    pub const DEFAULT: Route = Route {
        method: "GET",
        path: "/",
        summary: "",
        tag: "",
        guard: Guard::Open,
        handler: unrouted,
        group: &[],
        layers: &[],
        rate_limited: true,
        any_method: false,
        #[cfg(feature = "openapi")]
        description: "",
        #[cfg(feature = "openapi")]
        derived: undocumented,
        #[cfg(feature = "openapi")]
        doc: undocumented,
    };

    /// `method path`, answered by `handler` (see [`get`]).
    pub const fn new<H: Handler<Args>, Args>(method: &'static str, path: &'static str, handler_fn: H) -> Route {
        Route {
            method,
            path,
            handler: handler(handler_fn),
            #[cfg(feature = "openapi")]
            derived: <H as Handler<Args>>::document,
            ..Route::DEFAULT
        }
    }

    /// The one line the index and the document show.
    pub const fn summary(mut self, summary: &'static str) -> Route {
        self.summary = summary;
        self
    }

    /// The operation's longer description in the document (kept out of the wasm).
    #[cfg_attr(not(feature = "openapi"), allow(unused_variables, unused_mut))]
    pub const fn describe(mut self, description: &'static str) -> Route {
        #[cfg(feature = "openapi")]
        {
            self.description = description;
        }
        self
    }

    /// The group it is listed under in `/docs`.
    pub const fn tag(mut self, tag: &'static str) -> Route {
        self.tag = tag;
        self
    }

    /// Who may call it (e.g. `Guard::Scope("items:write")`): checked before the handler runs,
    /// and stated in the document.
    pub const fn guard(mut self, guard: Guard) -> Route {
        self.guard = guard;
        self
    }

    /// The layers of the group the route belongs to: a `const` slice its routes share.
    pub const fn group(mut self, layers: &'static [Layer]) -> Route {
        self.group = layers;
        self
    }

    /// Its own layers around its handler, outermost first.
    pub const fn layers(mut self, layers: &'static [Layer]) -> Route {
        self.layers = layers;
        self
    }

    /// Exempt from `RATE_LIMITER` (e.g. a liveness probe, which must not be refused for the
    /// prober's own traffic).
    pub const fn unlimited(mut self) -> Route {
        self.rate_limited = false;
        self
    }

    /// Its handler also gets the methods no route of its path declares, and answers them
    /// (with its own 405 and `Allow` where it refuses them).
    pub const fn any_method(mut self) -> Route {
        self.any_method = true;
        self
    }

    /// What the route's documented operation adds by hand: `.doc(edge_relay::doc!(document))`
    /// with `#[cfg(feature = "openapi")] fn document(op: Op) -> Op`.
    #[cfg_attr(not(feature = "openapi"), allow(unused_variables, unused_mut))]
    pub const fn doc(mut self, doc: Doc) -> Route {
        #[cfg(feature = "openapi")]
        {
            self.doc = doc.0;
        }
        self
    }
}
