//! `GET /openapi.json` and `GET /docs`.

#[cfg(test)]
mod spec;

use crate::response::{Html, RawJson};

/// The OpenAPI 3.1 document, built from the route table and handler types by `spec` (a host
/// test) and checked in; a test fails if it no longer matches the code.
const DOCUMENT: &[u8] = include_bytes!("openapi.json");

/// Swagger UI, served from this worker's static assets (no CDN), pointed at `/openapi.json`.
const DOCS_HTML: &str = include_str!("docs.html");

pub fn document() -> RawJson {
    RawJson(DOCUMENT.to_vec())
}

pub fn docs_page() -> Html {
    Html(DOCS_HTML)
}
