//! A starter app on edge-relay: `GET /hello?name=…` greets, with its limits in its types, its
//! setting read once per isolate, and its operation in the app's OpenAPI document.

use serde::{Deserialize, Serialize};

use edge_relay::config::ConfigError;
use edge_relay::handler::{handler, Json, Query};
use edge_relay::router::Route;
use edge_relay::settings::{FromVars, Settings, Vars};
use edge_relay::{meta, openapi, App};

#[derive(Deserialize)]
pub struct Hello {
    name: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

pub const HELLO: Route = Route {
    path: "/hello",
    summary: "Greets `name` (the world by default)",
    tag: "greetings",
    handler: handler(hello),
    #[cfg(feature = "openapi")]
    doc: |_, op| op.json::<Greeting>("200", "The greeting", serde_json::json!({"greeting": "Hello, Ada!"})),
    ..Route::DEFAULT
};

pub static APP: App = App {
    name: env!("CARGO_PKG_NAME"),
    version: env!("CARGO_PKG_VERSION"),
    description: env!("CARGO_PKG_DESCRIPTION"),
    routes: &[meta::INDEX, meta::HEALTHZ, openapi::SPEC, HELLO],
    test_routes: &[],
    tags: &[("greetings", "Hello")],
    document: edge_relay::openapi_document!("openapi.json"),
};

edge_relay::export!(APP);

/// The document is built from the routes and checked in: this fails when the two drift
/// (`UPDATE_OPENAPI=1 cargo test -p edge-relay-starter` rewrites it).
#[cfg(all(test, feature = "openapi"))]
#[test]
fn the_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/openapi.json");
    let fresh = serde_json::to_string_pretty(&openapi::spec::build(&APP)).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    assert!(std::fs::read_to_string(path).unwrap_or_default() == fresh, "{path} is stale: run `UPDATE_OPENAPI=1 cargo test`");
}
