//! Turning handler results into runtime responses: the one place that builds them.

use serde::Serialize;
use worker::{Headers, Response};

use crate::error::ApiError;

/// A typed JSON body, serialised with status 200.
pub struct Json<T>(pub T);

/// A typed JSON body with 202 Accepted: the work goes on after the response.
pub struct Accepted<T>(pub T);

/// A static HTML page.
pub struct Html(pub &'static str);

/// An upstream's answer passed on: its status, content type and body, with `Cache-Status`
/// when the upstream is cached.
pub struct Relayed {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub cache_status: Option<String>,
}

/// A body that is already valid JSON (e.g. relayed from an upstream), sent as is.
pub struct RawJson(pub Vec<u8>);

pub trait IntoResponse {
    fn into_response(self) -> worker::Result<Response>;
}

pub fn with_body(status: u16, content_type: &str, body: Vec<u8>) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Content-Type", content_type)?;
    Ok(Response::from_bytes(body)?.with_status(status).with_headers(headers))
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> worker::Result<Response> {
        with_body(200, "application/json", serde_json::to_vec(&self.0)?)
    }
}

impl<T: Serialize> IntoResponse for Accepted<T> {
    fn into_response(self) -> worker::Result<Response> {
        with_body(202, "application/json", serde_json::to_vec(&self.0)?)
    }
}

impl IntoResponse for Html {
    fn into_response(self) -> worker::Result<Response> {
        with_body(200, "text/html; charset=utf-8", self.0.as_bytes().to_vec())
    }
}

impl IntoResponse for Relayed {
    fn into_response(self) -> worker::Result<Response> {
        let content_type = self.content_type.as_deref().unwrap_or("application/octet-stream");
        let response = with_body(self.status, content_type, self.body)?;
        if let Some(status) = &self.cache_status {
            response.headers().set("Cache-Status", status)?;
        }
        Ok(response)
    }
}

impl IntoResponse for RawJson {
    fn into_response(self) -> worker::Result<Response> {
        with_body(200, "application/json", self.0)
    }
}

/// The problem+json response for `error`, with `instance` set to the request id.
pub fn problem_response(error: &ApiError, request_id: &str) -> worker::Result<Response> {
    let body = serde_json::to_vec(&error.to_problem(request_id))?;
    let response = with_body(error.status(), "application/problem+json", body)?;
    for (name, value) in error.extra_headers() {
        response.headers().set(name, &value)?;
    }
    Ok(response)
}
