//! A starter app on edge-relay: `GET /hello?name=…` greets, with its limits in its types, its
//! setting read once per isolate, and its operation in the app's OpenAPI document.

use edge_relay::config::ConfigError;
use edge_relay::prelude::*;
use edge_relay::{meta, openapi};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct Hello {
    /// Who to greet (the world by default)
    name: Option<String>,
}

/// The greeting
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"greeting": "Hello, Ada!"}))]
pub struct Greeting {
    greeting: String,
}

/// The word a greeting starts with (`GREETING`).
pub struct Word(String);

impl FromVars for Word {
    fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Word(vars.text("GREETING").unwrap_or_else(|| "Hello".to_owned())))
    }
}

pub async fn hello(Query(query): Query<Hello>, Settings(word): Settings<Word>) -> Json<Greeting> {
    let name = query.name.as_deref().unwrap_or("world");
    Json(Greeting { greeting: format!("{}, {name}!", word.0) })
}

pub const HELLO: Route = get("/hello", hello)
    .summary("Greets `name` (the world by default)")
    .describe("The greeting starts with the configured word (`GREETING`, Hello by default).")
    .tag("greetings");

/// The app's own layer, around every route: browsers must not guess a content type.
fn nosniff(call: Call, next: Next) -> Handled {
    next.then(call, |reply| reply.header("X-Content-Type-Options", "nosniff"))
}

pub static APP: App = App {
    name: env!("CARGO_PKG_NAME"),
    version: env!("CARGO_PKG_VERSION"),
    description: env!("CARGO_PKG_DESCRIPTION"),
    routes: &[meta::INDEX, meta::HEALTHZ, openapi::SPEC, HELLO],
    test_routes: &[],
    tags: &[("greetings", "Hello")],
    layers: &[nosniff],
    document: edge_relay::openapi_document!("openapi.json"),
};

edge_relay::export!(APP);

/// The document is built from the routes and checked in: this fails when the two drift
/// (`UPDATE_OPENAPI=1 cargo test -p edge-relay-starter` rewrites it).
#[cfg(all(test, feature = "openapi"))]
#[test]
fn the_document_is_current() {
    openapi::spec::assert_current(&APP, concat!(env!("CARGO_MANIFEST_DIR"), "/src/openapi.json"));
}
