//! Handlers as plain async functions: each argument an extractor ([`FromCall`]: `Query<T>`,
//! `Path<T>`, `Json<T>`, the request context, the caller…), the return value anything that
//! [`IntoResponse`]s, `Result<_, E>` with `E: Into<ApiError>` included. A route's declaration
//! ([`crate::router::get`] and its kin) turns one into the function pointer the route holds, at
//! compile time: the route table stays a constant, and no handler is boxed or cloned per
//! request but its future.
//!
//! The same types document the route: with the `openapi` feature, each extractor adds what it
//! reads (`Query<T>` and `Path<T>` a parameter per field of `T`, with the limits of its type;
//! `Json<T>` the request body) and the return type its responses, so `T` derives
//! `utoipa::ToSchema` beside `Deserialize` or `Serialize`.

use std::future::Future;
use std::ops::RangeInclusive;
use std::rc::Rc;

use serde::de::{DeserializeOwned, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};
use worker::{web_sys, Env, Headers};

use crate::auth::Caller;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::extract::{json_body, params, QueryParams, Validate};
pub use crate::response::Json;
use utoipa::ToSchema;
use crate::response::IntoResponse;
use crate::router::{App, Call, Handled, HandlerFn};
#[cfg(feature = "openapi")]
use crate::operation::Op;

/// A handler argument, taken from the request before the handler runs; its error is the answer.
pub trait FromCall: Sized {
    /// The argument, or the error that answers the request instead.
    fn from_call(call: &mut Call) -> impl Future<Output = Result<Self, ApiError>>;

    /// What the argument adds to the route's documented operation: the parameters or body it
    /// reads and the errors it can answer with (nothing, by default).
    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op
    }
}

/// A plain async function whose arguments are all [`FromCall`] (`Args` is their tuple).
pub trait Handler<Args>: Copy + 'static {
    /// Runs the handler for one request: its arguments taken from `call`, then it.
    fn call(self, call: Call) -> Handled;

    /// The operation its arguments and return type document.
    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op;
}

/// The route's handler pointer for `f`, a function item or a closure that captures nothing
/// (checked at compile time, where route tables are built).
pub(crate) const fn handler<H: Handler<Args>, Args>(f: H) -> HandlerFn {
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

            #[cfg(feature = "openapi")]
            fn document(op: Op) -> Op {
                $(let op = $arg::document(op);)*
                R::document(op)
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
handlers!(A1, A2, A3, A4, A5, A6, A7);
handlers!(A1, A2, A3, A4, A5, A6, A7, A8);

/// The query string as `T`, a struct whose fields are the parameters: every field at fault is
/// one 422 entry (`loc: ["query", name]`). Documented as a query parameter per field.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + ToSchema> FromCall for Query<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        let query = QueryParams::parse(call.ctx.query.as_deref());
        params::from_pairs("query", query.pairs()).map(Query).map_err(ApiError::Validation)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.params::<T>(utoipa::openapi::path::ParameterIn::Query)
    }
}

/// The path's `{…}` values as `T`, by name (a struct), or the only one (`Path<String>`):
/// a value at fault is a 422 entry (`loc: ["path", name]`). Documented as a path parameter
/// per field.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + ToSchema> FromCall for Path<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        params::from_path(call.route.path, &call.params).map(Path).map_err(ApiError::Validation)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.params::<T>(utoipa::openapi::path::ParameterIn::Path)
    }
}

/// The JSON body as `T`, validated: 415 unless declared JSON, 413 past `MAX_BODY_BYTES`, 422
/// naming every field at fault (see [`json_body`]). As a return value, a 200 JSON body.
impl<T: DeserializeOwned + Validate + ToSchema> FromCall for Json<T> {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        json_body(&call.req, &call.headers, call.config.max_body_bytes).await.map(Json)
    }

    #[cfg(feature = "openapi")]
    fn document(op: Op) -> Op {
        op.json_request::<T>()
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

/// The runtime's own request (its body unread), for a handler that streams it on.
impl FromCall for web_sys::Request {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        // `Clone::clone`: the inherent `clone` is the JS method, which tees the body.
        Ok(Clone::clone(&call.req))
    }
}

/// The app being served (its name, version, routes, document).
impl FromCall for &'static App {
    async fn from_call(call: &mut Call) -> Result<Self, ApiError> {
        Ok(call.app)
    }
}

/// An integer that must lie in `MIN..=MAX`: the range is the type's, so the validator and the
/// document read the same one. Missing (with `#[serde(default)]`), it is `MIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Int<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Int<MIN, MAX> {
    /// The values the type allows.
    pub const RANGE: RangeInclusive<i64> = MIN..=MAX;

    /// The value.
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

/// An integer schema with the type's range.
impl<const MIN: i64, const MAX: i64> utoipa::PartialSchema for Int<MIN, MAX> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(MIN)).maximum(Some(MAX)).into()
    }
}

/// Named by its range, one component per range (`Int_1_100`).
impl<const MIN: i64, const MAX: i64> utoipa::ToSchema for Int<MIN, MAX> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("Int_{MIN}_{MAX}").replace('-', "minus").into()
    }
}

impl<const MIN: i64, const MAX: i64> From<Int<MIN, MAX>> for u32 {
    /// For ranges inside `u32` (a negative or larger bound saturates).
    fn from(n: Int<MIN, MAX>) -> u32 {
        n.0.clamp(0, i64::from(u32::MAX)) as u32
    }
}
