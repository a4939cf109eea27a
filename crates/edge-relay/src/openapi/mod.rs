//! `GET /openapi.json` and `GET /docs`, and (host-only, the `openapi` feature) what an app's
//! tests build its document with: `op` for one operation, `spec` for the whole document.

#[cfg(feature = "openapi")]
pub mod spec;
#[cfg(all(test, feature = "openapi"))]
mod derived;

use std::cell::OnceCell;
use std::rc::Rc;

use serde_json::Value;
use worker::Env;

use crate::config::Config;
use crate::handler::Cfg;
use crate::router::{get, App, Route};
use crate::response::{Html, RawJson};
use crate::upstream::registry::Registry;

/// `GET /openapi.json`: the app's document as this deployment serves it.
pub const SPEC: Route = get("/openapi.json", |app: &'static App, config: Cfg, env: Env| async move { document(app, &config, &env) })
    .summary("The OpenAPI 3.1 document of this API")
    .describe("This document as this deployment serves it: the upstreams it relays to, each with the methods it allows, and the authentication it has on.")
    .tag("meta");

/// `GET /docs`: Swagger UI over `/openapi.json`.
pub const DOCS: Route = get("/docs", || async { docs_page() })
    .summary("Interactive API documentation (Swagger UI)")
    .describe("Swagger UI over /openapi.json, served from this worker's own assets (no CDN): every operation, tried from the browser.")
    .tag("meta");

/// An app's OpenAPI 3.1 document for [`App::document`]: the file at `$path` (as
/// `include_bytes!` finds it), built by the app's tests with `spec::build` (the `openapi` feature) and checked in
/// pretty-printed, for review. The wasm carries it without the indentation (a third of its
/// bytes), stripped at compile time.
#[macro_export]
macro_rules! openapi_document {
    ($path:literal) => {{
        const PRETTY: &[u8] = include_bytes!($path);
        static DOCUMENT: [u8; $crate::openapi::minified_len(PRETTY)] = $crate::openapi::minified(PRETTY);
        &DOCUMENT
    }};
}

/// The length of `json` without whitespace outside strings ([`crate::openapi_document!`]'s).
#[doc(hidden)]
pub const fn minified_len(json: &[u8]) -> usize {
    let (mut i, mut len, mut in_string, mut escaped) = (0, 0, false, false);
    while i < json.len() {
        let keep = keeps(json[i], &mut in_string, &mut escaped);
        if keep {
            len += 1;
        }
        i += 1;
    }
    len
}

/// `json` without whitespace outside strings ([`crate::openapi_document!`]'s).
#[doc(hidden)]
pub const fn minified<const N: usize>(json: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let (mut i, mut at, mut in_string, mut escaped) = (0, 0, false, false);
    while i < json.len() {
        if keeps(json[i], &mut in_string, &mut escaped) {
            out[at] = json[i];
            at += 1;
        }
        i += 1;
    }
    out
}

/// Whether a JSON byte stays, given (and updating) whether it is inside a string.
const fn keeps(byte: u8, in_string: &mut bool, escaped: &mut bool) -> bool {
    if *in_string {
        if *escaped {
            *escaped = false;
        } else if byte == b'\\' {
            *escaped = true;
        } else if byte == b'"' {
            *in_string = false;
        }
        return true;
    }
    if byte == b'"' {
        *in_string = true;
    }
    !matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// Swagger UI, served from this worker's static assets (no CDN), pointed at `/openapi.json`.
const DOCS_HTML: &str = include_str!("docs.html");

/// The extension that marks a schema whose values are this deployment's upstream names.
pub const UPSTREAM_NAMES: &str = "x-upstream-names";

/// A string schema whose values are the names of this deployment's upstreams that allow
/// `method`: marked here, listed (an `enum`, or one path per upstream) where it is served.
#[cfg(feature = "openapi")]
pub fn upstream_name_schema(method: &str) -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mark = utoipa::openapi::extensions::ExtensionsBuilder::new().add(UPSTREAM_NAMES, method).build();
    ObjectBuilder::new().schema_type(Type::String).extensions(Some(mark))
}

/// The document as this deployment serves it: upstream names as an `enum` where the
/// checked-in one has the mark, and no `bearerFormat: JWT` without JWT auth. Made once per
/// isolate (the config is).
pub fn document(app: &App, config: &Config, env: &Env) -> RawJson {
    thread_local! {
        static SERVED: OnceCell<Rc<[u8]>> = const { OnceCell::new() };
    }
    let served = SERVED.with(|cell| cell.get_or_init(|| for_deployment(app.document, config, config.upstreams(env).ok()).into()).clone());
    RawJson(served.to_vec())
}

/// `document` as this deployment serves it (see [`document`]).
pub fn for_deployment(document: &[u8], config: &Config, registry: Option<&Registry>) -> Vec<u8> {
    // Parsed from a `str` and edited without removing members: the worker already carries
    // that parser, and BTreeMap's removal code would cost ~4 KB of gzipped wasm more.
    let Some(mut doc) = std::str::from_utf8(document).ok().and_then(|text| serde_json::from_str::<Value>(text).ok()) else {
        return document.to_vec();
    };
    // The upstreams that allow a method.
    let allowing = |method: &str| -> Vec<Value> {
        let Some(registry) = registry else {
            return Vec::new();
        };
        registry.names().filter(|name| registry.get(name).is_some_and(|u| u.methods.contains(&method))).map(Value::from).collect()
    };
    // A path whose operations name an upstream is served once per configured upstream, with
    // the methods that upstream allows: so each path's operations, and its `Allow`, are exactly
    // what that upstream relays.
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        let served: Vec<(String, Value)> = std::mem::take(paths).into_iter().flat_map(|(path, item)| per_upstream(path, item, registry)).collect();
        *paths = served.into_iter().collect();
    }
    list_upstreams(&mut doc, &allowing);
    if config.jwt.is_none() {
        if let Some(Value::Object(bearer)) = doc.pointer_mut("/components/securitySchemes/bearer") {
            *bearer = std::mem::take(bearer).into_iter().filter(|(key, _)| key != "bearerFormat").collect();
        }
    }
    serde_json::to_vec(&doc).unwrap_or_else(|_| document.to_vec())
}

/// `item` at `path`, or, when its operations take an upstream's name (a marked parameter), one
/// path per configured upstream: the name in the path, its parameter gone, only the operations
/// whose method that upstream allows, their ids suffixed with it. None without upstreams.
fn per_upstream(path: String, item: Value, registry: Option<&Registry>) -> Vec<(String, Value)> {
    let Value::Object(operations) = &item else {
        return vec![(path, item)];
    };
    let Some(parameter) = operations.values().find_map(|op| marked(op).map(|(name, _)| name)) else {
        return vec![(path, item)];
    };
    let placeholder = format!("{{{parameter}}}");
    let mut served = Vec::new();
    for upstream in registry.into_iter().flat_map(|r| r.names().filter_map(|name| r.get(name))) {
        let relayed = operations.iter().filter_map(|(method, op)| {
            let (_, allowed) = marked(op)?;
            if !upstream.methods.contains(&allowed.as_str()) {
                return None;
            }
            let mut op = op.clone();
            if let Some(Value::Array(parameters)) = op.get_mut("parameters") {
                parameters.retain(|p| marked_parameter(p).is_none());
            }
            if let Some(Value::String(id)) = op.get_mut("operationId") {
                id.push('_');
                id.push_str(&upstream.name);
            }
            Some((method.clone(), op))
        });
        let relayed: serde_json::Map<String, Value> = relayed.collect();
        if !relayed.is_empty() {
            served.push((path.replace(&placeholder, &upstream.name), Value::Object(relayed)));
        }
    }
    served
}

/// An operation's upstream parameter: its name and the method the mark names.
fn marked(op: &Value) -> Option<(String, String)> {
    op.get("parameters")?.as_array()?.iter().find_map(marked_parameter)
}

/// A parameter's name and the method of its upstream mark, if it has one.
fn marked_parameter(parameter: &Value) -> Option<(String, String)> {
    let method = parameter.pointer("/schema")?.get(UPSTREAM_NAMES)?.as_str()?;
    Some((parameter.get("name")?.as_str()?.to_owned(), method.to_owned()))
}

/// Adds to every mark the `enum` of upstreams allowing its method (an empty list when none
/// does: no value is valid). The mark itself stays: an `x-` member is allowed anywhere.
fn list_upstreams(value: &mut Value, allowing: &impl Fn(&str) -> Vec<Value>) {
    match value {
        Value::Object(map) => {
            if let Some(method) = map.get(UPSTREAM_NAMES).and_then(Value::as_str) {
                let names = allowing(method);
                map.insert("enum".into(), Value::Array(names));
            }
            map.values_mut().for_each(|v| list_upstreams(v, allowing));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| list_upstreams(v, allowing)),
        _ => {}
    }
}

pub(crate) fn docs_page() -> Html {
    Html(DOCS_HTML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minifying_keeps_strings_whole() {
        const TRICKY: &[u8] = br#"{ "a b": "say \"hi\"\n ok",  "c" : [ 1 , 2 ] }"#;
        let expected: &[u8] = br#"{"a b":"say \"hi\"\n ok","c":[1,2]}"#;
        assert_eq!(&minified::<{ minified_len(TRICKY) }>(TRICKY)[..], expected);
    }
}
