//! What a route's types put in its documented operation, on a small app of its own: the
//! parameters of `Query<T>` and `Path<T>` (ranges, doc comments, whether required), the body of
//! `Json<T>` with the problems reading it can answer, and the responses of the return type.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::extract::Validate;
use crate::handler::{Int, Json, Path, Query};
use crate::response::Status;
use crate::router::{get, post, App, Route};

// Only their schemas are read here.
#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
struct Page {
    /// Items to skip
    #[serde(default)]
    offset: Int<0, 1000>,
    /// Items per page
    limit: Option<Int<1, 100>>,
    /// A word to look for
    q: String,
}

#[allow(dead_code)]
#[derive(Deserialize, ToSchema)]
struct ItemId {
    /// The item's number
    id: Int<1, 99>,
}

/// An item
#[derive(Serialize, Deserialize, ToSchema)]
struct Item {
    name: String,
}

impl Validate for Item {
    fn validate(&self, _: &mut Vec<FieldError>) {}
}

async fn list(Query(_): Query<Page>) -> Json<Item> {
    Json(Item { name: String::new() })
}

async fn create(Path(_): Path<ItemId>, Json(item): Json<Item>) -> Status<201, Item> {
    Status(item)
}

static APP: App = App {
    name: "derived",
    version: "0.0.0",
    description: "",
    routes: &[get("/items", list).summary("Lists items"), post("/items/{id}", create).summary("Creates an item")],
    test_routes: &[],
    tags: &[],
    layers: &[],
    document: b"{}",
};

fn operation(path: &str, method: &str) -> Value {
    super::spec::build(&APP)["paths"][path][method].clone()
}

#[test]
fn a_query_type_is_a_parameter_per_field_with_its_limits_and_doc_comment() {
    let op = operation("/items", "get");
    let parameters: Vec<(String, Value)> = op["parameters"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap().to_owned(), p.clone())).collect();
    let by_name = |name: &str| parameters.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone()).unwrap();
    assert_eq!(by_name("offset"), json!({"name": "offset", "in": "query", "required": false, "description": "Items to skip", "schema": {"type": "integer", "minimum": 0, "maximum": 1000}}));
    assert_eq!(by_name("limit")["schema"], json!({"type": "integer", "minimum": 1, "maximum": 100}), "an Option is absent, never null");
    assert_eq!((by_name("limit")["required"].clone(), by_name("q")["required"].clone()), (json!(false), json!(true)));
    let refused = &op["responses"]["422"]["content"]["application/problem+json"]["example"]["errors"][0];
    assert_eq!(refused["type"], "range", "the 422's example is a value past a limit: {refused}");
    assert_eq!(op["responses"]["200"]["description"], "An item");
}

#[test]
fn a_path_type_and_a_json_body_document_themselves_and_their_refusals() {
    let op = operation("/items/{id}", "post");
    assert_eq!(op["parameters"][0]["in"], "path");
    assert_eq!(op["parameters"][0]["required"], true);
    assert_eq!(op["parameters"][0]["schema"]["maximum"], 99);
    assert_eq!(op["requestBody"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Item");
    for status in ["201", "413", "415", "422"] {
        assert!(op["responses"].get(status).is_some(), "{status} in {}", op["responses"]);
    }
    assert!(op["responses"].get("200").is_none(), "Status<201, _> answers 201 only");
    assert!(op["responses"]["422"]["description"].as_str().unwrap().contains("path parameter"), "both refusals are described in one 422");
}

#[test]
fn a_routes_hand_written_doc_comes_after_and_wins() {
    const DESCRIBED: Route = get("/items", list).summary("Lists items").describe("All of them").doc(crate::doc!(|op| op.any("200", "Anything", "text/plain")));
    static HAND: App = App { routes: &[DESCRIBED], ..APP };
    let op = &super::spec::build(&HAND)["paths"]["/items"]["get"];
    assert_eq!(op["description"], "All of them");
    assert_eq!(op["responses"]["200"]["description"], "Anything");
}
