//! The app's OpenAPI document, built from its route table on the host (`spec::build`) and
//! checked in as `openapi.json`, which `APP.document` embeds: these tests fail when the two
//! drift (`UPDATE_OPENAPI=1 cargo test` rewrites it), and hold the document's limits to the
//! validators that enforce them.

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::APP;
    use edge_relay::config::Config;
    use edge_relay::openapi::{for_deployment, spec};

    const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/openapi.json");

    fn doc() -> Value {
        spec::build(&APP)
    }

    #[test]
    fn is_openapi_3_1() {
        assert_eq!(doc()["openapi"], "3.1.0");
        assert_eq!(doc()["info"]["title"], "edge-relay");
    }

    #[test]
    fn documents_exactly_the_served_routes() {
        let doc = doc();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let mut served: Vec<String> = APP.served(false).map(|r| format!("{} {}", r.method, r.path.replace("{*", "{"))).collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn every_operation_has_a_success_and_an_error_response() {
        for (path, item) in doc()["paths"].as_object().unwrap() {
            let operation = item.as_object().unwrap().values().next().unwrap();
            let responses = &operation["responses"];
            assert!(responses.get("200").or(responses.get("202")).is_some(), "{path}");
            assert_eq!(responses["default"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
        }
    }

    /// Whether `body` passes `T`'s parser and validator.
    fn accepts<T: serde::de::DeserializeOwned + edge_relay::extract::Validate + std::fmt::Debug>(body: &Value) -> bool {
        edge_relay::extract::parse_json::<T>(body.to_string().as_bytes()).is_ok()
    }

    /// Each limit the document states, at and just past its bounds, against the validator
    /// that enforces it: they come from the same constants, and this proves they agree.
    #[test]
    fn the_documents_limits_are_the_validators() {
        use super::super::aggregate::AggregateRequest;
        use super::super::events::EventIn;
        use edge_relay::jobs::model::{JobRequest, DEFAULT_MAX_ITEMS};
        use serde_json::json;

        let doc = doc();
        let bound = |schema: &str, property: &str, key: &str| {
            doc["components"]["schemas"][schema]["properties"][property][key].as_u64().unwrap_or_else(|| panic!("{schema}.{property}.{key}")) as usize
        };
        let around = |lo: usize, hi: usize| [(lo, true), (hi, true), (lo.wrapping_sub(1), false), (hi + 1, false)].into_iter().filter(|(n, _)| *n != usize::MAX);
        for (n, valid) in around(bound("EventIn", "type", "minLength"), bound("EventIn", "type", "maxLength")) {
            assert_eq!(accepts::<EventIn>(&json!({"type": "t".repeat(n), "payload": {}})), valid, "EventIn.type of {n}");
        }
        let path = |n: usize| if n == 0 { String::new() } else { format!("/{}", "p".repeat(n - 1)) };
        let item = |id: usize, chars: usize| json!({"id": "i".repeat(id), "upstream": "u", "path": path(chars)});
        let one = |item: Value| json!({"requests": [item]});
        for (n, valid) in around(bound("Item", "id", "minLength"), bound("Item", "id", "maxLength")) {
            assert_eq!(accepts::<AggregateRequest>(&one(item(n, 5))), valid, "Item.id of {n}");
        }
        for (n, valid) in around(bound("Item", "path", "minLength"), bound("Item", "path", "maxLength")) {
            assert_eq!(accepts::<AggregateRequest>(&one(item(3, n))), valid, "Item.path of {n}");
        }
        let many = |n: usize| json!({"requests": (0..n).map(|i| json!({"id": format!("r{i}"), "upstream": "u", "path": "/x"})).collect::<Vec<_>>()});
        for (n, valid) in around(bound("AggregateRequest", "requests", "minItems"), bound("AggregateRequest", "requests", "maxItems")) {
            assert_eq!(accepts::<AggregateRequest>(&many(n)), valid, "AggregateRequest of {n}");
        }
        for (n, valid) in around(bound("JobRequest", "requests", "minItems"), bound("JobRequest", "requests", "maxItems")) {
            // The type takes what any deployment may allow; the default JOBS_MAX_ITEMS, what the document states.
            let within = |body: &Value| edge_relay::extract::parse_json::<JobRequest>(body.to_string().as_bytes()).is_ok_and(|r| r.over_limit(DEFAULT_MAX_ITEMS).is_none());
            assert_eq!(within(&many(n)), valid, "JobRequest of {n}");
        }
    }

    #[test]
    fn operations_are_grouped_by_declared_tags() {
        let doc = doc();
        let declared: Vec<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let tag = op["tags"][0].as_str().unwrap_or_default();
                assert!(declared.contains(&tag), "{method} {path}: tag '{tag}'");
            }
        }
    }

    #[test]
    fn documented_snapshot_is_current() {
        spec::assert_current(&APP, SNAPSHOT);
    }

    #[test]
    fn operation_ids() {
        let ids: Vec<String> = doc()["paths"].as_object().unwrap().values().flat_map(|item| item.as_object().unwrap().values().map(|op| op["operationId"].as_str().unwrap().to_owned())).collect();
        for expected in ["index", "openapi_json", "async_example", "upstreams_name_path", "upstreams_name_path_post", "jobs_id"] {
            assert!(ids.iter().any(|id| id == expected), "{expected} in {ids:?}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "operation ids are unique");
    }

    #[test]
    fn the_served_document_describes_the_deployment() {
        // The document as served with these vars.
        let served = |vars: &[(&str, &str)]| -> Value {
            let var = |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
            let registry = edge_relay::config::read_upstreams(var).unwrap();
            serde_json::from_slice(&for_deployment(APP.document, &Config::parse(var).unwrap(), Some(&registry))).unwrap()
        };
        let doc = served(&[
            ("UPSTREAMS", r#"{"users":{"base_url":"https://users.example","methods":["GET","POST"]},"orders":{"base_url":"https://orders.example"}}"#),
            ("JWT_ISSUER", "https://id.example"),
            ("JWT_AUDIENCE", "api"),
        ]);
        let names = serde_json::json!(["orders", "users"]);
        assert_eq!(doc["components"]["schemas"]["Item"]["properties"]["upstream"]["enum"], names);
        // The relay, once per upstream: exactly the methods each allows, so its Allow is the document's.
        assert!(doc["paths"].get("/upstreams/{name}/{path}").is_none());
        let users = doc["paths"]["/upstreams/users/{path}"].as_object().unwrap();
        assert_eq!(users.keys().collect::<Vec<_>>(), ["get", "post"]);
        assert_eq!(doc["paths"]["/upstreams/orders/{path}"].as_object().unwrap().keys().collect::<Vec<_>>(), ["get"]);
        assert_eq!(users["post"]["operationId"], "upstreams_name_path_post_users");
        let parameters: Vec<&str> = users["get"]["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(parameters, ["path"], "the upstream is in the path, not a parameter");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["bearerFormat"], "JWT");

        let without = served(&[]);
        assert_eq!(without["components"]["schemas"]["Item"]["properties"]["upstream"]["enum"], serde_json::json!([]));
        assert!(without["paths"].as_object().unwrap().keys().all(|path| !path.contains("{path}")), "no relay without upstreams");
        assert!(without["components"]["securitySchemes"]["bearer"].get("bearerFormat").is_none());
    }

    #[test]
    fn the_served_document_is_the_snapshot_minified() {
        let pretty: Value = serde_json::from_slice(&std::fs::read(SNAPSHOT).unwrap()).unwrap();
        let served: Value = serde_json::from_slice(APP.document).unwrap();
        assert_eq!(served, pretty);
        assert!(!APP.document.contains(&b'\n'), "the indentation is gone");
    }
}
