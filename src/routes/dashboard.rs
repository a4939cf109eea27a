//! `GET /dashboard/{user_id}`: a user and their todos from two upstreams at once, merged into one
//! answer; an upstream that fails leaves its part out and says why (a partial answer, still 200).

use futures_util::future::join;
use serde::{Deserialize, Serialize};
use worker::Env;

use edge_relay::error::ApiError;
use edge_relay::handler::{handler, Cfg, Ctx, Int, Json, Path};
use edge_relay::router::{Call, Handled, Next, Route};
use edge_relay::upstream::{get_json, Missing};

/// A user's id: the range is the type's, for the validator and the document.
type Id = Int<1, 1_000_000_000>;

#[derive(Deserialize)]
pub struct UserId {
    user_id: Id,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Todo {
    id: u64,
    title: String,
    completed: bool,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    todos: Option<Vec<Todo>>,
    /// The parts left out, each with its problem.
    missing: Missing,
}

pub async fn dashboard(Path(path): Path<UserId>, env: Env, config: Cfg, ctx: Ctx) -> Result<Json<Dashboard>, ApiError> {
    let (upstreams, id) = (config.upstreams(&env)?, path.user_id.get());
    let (user_path, todos_path) = (format!("/users/{id}"), format!("/todos?userId={id}"));
    let user = get_json(&ctx, upstreams, "users", &user_path);
    let (user, todos) = join(user, get_json(&ctx, upstreams, "todos", &todos_path)).await;
    let mut missing = Missing::default();
    let (user, todos) = (missing.take(&ctx, "user", user), missing.take(&ctx, "todos", todos));
    Ok(Json(Dashboard { user, todos, missing }))
}

/// A user's dashboard is theirs alone: no shared cache may keep it.
fn private(call: Call, next: Next) -> Handled {
    let answer = next.run(call);
    Box::pin(async move {
        let mut reply = answer.await?;
        reply.header("Cache-Control", "private, no-store");
        Ok(reply)
    })
}

pub const ROUTE: Route = Route {
    path: "/dashboard/{user_id}",
    summary: "A user and their todos from the users and todos upstreams at once (a partial answer if one fails)",
    tag: "upstreams",
    handler: handler(dashboard),
    layers: &[private],
    #[cfg(feature = "openapi")]
    doc: document,
    ..Route::DEFAULT
};

#[cfg(feature = "openapi")]
fn document(_: &Route, op: edge_relay::openapi::op::Op) -> edge_relay::openapi::op::Op {
    use edge_relay::upstream::UpstreamError;
    let timeout = ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5000 }).to_problem(edge_relay::openapi::op::EXAMPLE_REQUEST_ID);
    let example = serde_json::json!({
        "user": {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com"},
        "missing": [{"part": "todos", "error": timeout}],
    });
    op.description("Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under its upstream's timeout, retries, breaker and cache. A part whose upstream fails is left out and listed in `missing` with its problem.")
        .path_int("user_id", "The user's id", Id::RANGE)
        .json::<Dashboard>("200", "The merged answer: every part, or those that could be had and why the others could not", example)
}
