//! `GET /dashboard/{user_id}`: a user and their todos from two upstreams at once, merged into one
//! answer; an upstream that fails leaves its part out and says why (a partial answer, still 200).
//! A user the users service does not know is the app's own 404.

use futures_util::future::join;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use worker::Env;

use edge_relay::error::AppProblem;
use edge_relay::prelude::*;
use edge_relay::upstream::{get_json, Missing, UpstreamError};

#[derive(Deserialize, ToSchema)]
pub struct UserId {
    /// The user's id
    user_id: Int<1, 1_000_000_000>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Todo {
    id: u64,
    title: String,
    completed: bool,
}

/// The merged answer: every part, or those that could be had and why the others could not
#[derive(Serialize, ToSchema)]
pub struct Dashboard {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    todos: Option<Vec<Todo>>,
    /// The parts left out, each with its problem.
    missing: Missing,
}

/// A user the users service answers 404 for: the dashboard's own problem, with the id.
fn no_such_user(id: i64) -> AppProblem {
    AppProblem::new(404, "urn:edge-relay:problem:no-such-user", "No such user").detail(format!("the users service has no user {id}")).member("user_id", id)
}

pub async fn dashboard(Path(path): Path<UserId>, env: Env, config: Cfg, ctx: Ctx) -> Result<Json<Dashboard>, ApiError> {
    let (upstreams, id) = (config.upstreams(&env)?, path.user_id.get());
    let (user_path, todos_path) = (format!("/users/{id}"), format!("/todos?userId={id}"));
    let (user, todos) = join(get_json(&ctx, upstreams, "users", &user_path), get_json(&ctx, upstreams, "todos", &todos_path)).await;
    if let Err(ApiError::Upstream(UpstreamError::BadStatus { status: 404 })) = user {
        return Err(no_such_user(id).into());
    }
    let mut missing = Missing::default();
    let (user, todos) = (missing.take(&ctx, "user", user), missing.take(&ctx, "todos", todos));
    Ok(Json(Dashboard { user, todos, missing }))
}

pub const ROUTE: Route = get("/dashboard/{user_id}", dashboard)
    .summary("A user and their todos from the users and todos upstreams at once (a partial answer if one fails)")
    .describe(
        "Calls `users` (`/users/{user_id}`) and `todos` (`/todos?userId={user_id}`) concurrently, each under its upstream's \
         timeout, retries, breaker and cache. A part whose upstream fails is left out and listed in `missing` with its problem.",
    )
    .tag("upstreams")
    .layers(&[private])
    .doc(edge_relay::doc!(|op| op.problem("404", "The users service has no such user", &no_such_user(11).into())));

/// A user's dashboard is theirs alone: no shared cache may keep it.
fn private(call: Call, next: Next) -> Handled {
    next.then(call, |reply| reply.header("Cache-Control", "private, no-store"))
}
