//! Handlers as plain async functions: each argument an extractor ([`FromCall`]: `Query<T>`,
//! `Path<T>`, `Json<T>`, the request context, the caller…), the return value anything that
//! [`IntoResponse`]s, `Result<_, E>` with `E: Into<ApiError>` included. [`handler`] turns one
//! into the function pointer a [`Route`](crate::router::Route) holds, at compile time: the route
//! table stays a constant, and no handler is boxed or cloned per request but its future.
//!
//! ```ignore
//! async fn hello(Query(q): Query<Greeting>, ctx: Ctx) -> Json<Hello> { /* … */ }
//! pub const ROUTE: Route = Route { path: "/hello", handler: handler(hello), ..Route::DEFAULT };
//! ```

use std::future::Future;
use std::ops::RangeInclusive;
use std::rc::Rc;

use serde::de::{DeserializeOwned, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};
use worker::{Env, Headers};

use crate::auth::Caller;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::extract::{json_body, params, QueryParams, Validate};
pub use crate::response::Json;
use crate::response::IntoResponse;
use crate::router::{Call, Handled, HandlerFn};

/// A handler argument, taken from the request before the handler runs; its error is the answer.
pub trait FromCall: Sized {
    fn from_call(call: &mut Call) -> impl Future<Output = Result<Self, ApiError>>;
}

/// A plain async function whose arguments are all [`FromCall`] (`Args` is their tuple).
pub trait Handler<Args>: Copy + 'static {
    fn call(self, call: Call) -> Handled;
}

/// The route's handler pointer for `f`, a function item or a closure that captures nothing
/// (checked at compile time, where route tables are built).
pub const fn handler<H: Handler<Args>, Args>(f: H) -> HandlerFn {
    assert!(std::mem::size_of::<H>() == 0, "a handler is a function or a closure that captures nothing");
    let _ = f;
    conjured::<H, Args>
}

fn conjured<H: Handler<Args>, Args>(call: Call) -> Handled {
    // SAFETY: `handler` only hands out this instance for a zero-sized `H` (a function item or
    // a capture-less closure): such a value has no bytes, so making one reads nothing.
    let f: H = unsafe { std::mem::zeroed() };
    f.call(call)
}

macro_rules! handlers {
    ($($arg:ident),*) => {
        impl<F, Fut, R, $($arg,)*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Copy + 'static,
            Fut: Future<Output = R> + 'static,
            R: IntoResponse,
            $($arg: FromCall + 'static,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call(self, mut call: Call) -> Handled {
                Box::pin(async move {
                    $(let $arg = $arg::from_call(&mut call).await?;)*
                    self($($arg),*).await.into_response()
                })
            }
        }
    };
}

handlers!();
handlers!(A1);
handlers!(A1, A2);
handlers!(A1, A2, A3);
handlers!(A1, A2, A3, A4);
handlers!(A1, A2, A3, A4, A5);
handlers!(A1, A2, A3, A4, A5, A6);

/// The query string as `T`: every field at fault is one 422 entry (`loc: ["query", name]`).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromCall for Query<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        let query = QueryParams::parse(call.ctx.query.as_deref());
        params::from_pairs("query", query.pairs()).map(Query).map_err(ApiError::Validation)
    }
}

/// The path's `{…}` values as `T`, by name (a struct), or the only one (`Path<String>`):
/// a value at fault is a 422 entry (`loc: ["path", name]`).
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned> FromCall for Path<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        params::from_path(call.route.path, &call.params).map(Path).map_err(ApiError::Validation)
    }
}

/// The JSON body as `T`, validated: 415 unless declared JSON, 413 past `MAX_BODY_BYTES`, 422
/// naming every field at fault (see [`json_body`]). As a return value, a 200 JSON body.
impl<T: DeserializeOwned + Validate> FromCall for Json<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        json_body(&call.req, &call.headers, call.config.max_body_bytes).await.map(Json)
    }
}

/// The request's own state: its id, timing, upstream calls, background tasks.
pub type Ctx = Rc<RequestContext>;

impl FromCall for Ctx {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        Ok(call.ctx.clone())
    }
}

/// The isolate's configuration (the upstream registry among it).
pub type Cfg = Rc<Config>;

impl FromCall for Cfg {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        Ok(call.config.clone())
    }
}

/// The authenticated caller of a guarded route; without one, 401.
impl FromCall for Caller {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        call.caller().cloned()
    }
}

/// The worker's bindings and vars.
impl FromCall for Env {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        Ok(call.env.clone())
    }
}

/// The request's headers.
impl FromCall for Headers {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        Ok(call.headers.clone())
    }
}

/// An integer that must lie in `MIN..=MAX`: the range is the type's, so the validator and the
/// document read the same one. Missing (with `#[serde(default)]`), it is `MIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Int<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Int<MIN, MAX> {
    pub const RANGE: RangeInclusive<i64> = MIN..=MAX;

    pub fn get(self) -> i64 {
        self.0
    }
}

impl<const MIN: i64, const MAX: i64> Default for Int<MIN, MAX> {
    fn default() -> Self {
        Int(MIN)
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = i128::deserialize(deserializer)?;
        match i64::try_from(n) {
            Ok(n) if (MIN..=MAX).contains(&n) => Ok(Int(n)),
            _ => Err(serde::de::Error::invalid_value(
                Unexpected::Signed(n.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64),
                &format!("between {MIN} and {MAX}").as_str(),
            )),
        }
    }
}

impl<const MIN: i64, const MAX: i64> From<Int<MIN, MAX>> for u32 {
    /// For ranges inside `u32` (a negative or larger bound saturates).
    fn from(n: Int<MIN, MAX>) -> u32 {
        n.0.clamp(0, i64::from(u32::MAX)) as u32
    }
}
