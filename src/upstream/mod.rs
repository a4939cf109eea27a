//! The outbound client: every upstream call goes through the runtime's own `fetch`,
//! bounded by an abort signal so a stalled peer can never hold a request open.

use std::fmt;

use serde::de::IgnoredAny;
use worker::{web_sys, AbortSignal, Fetch, Headers, Method, Request, RequestInit, Url};

use crate::context::{now_ms, RequestContext, UpstreamCall};
use crate::error::ApiError;

/// Why an upstream exchange failed; each maps to a 502 or 504 problem.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamError {
    /// The upstream answered, but not with a 2xx.
    BadStatus { status: u16 },
    /// The upstream answered 2xx with a body that is not JSON.
    InvalidJson { reason: String },
    /// No complete answer (headers and body) within the deadline.
    Timeout { timeout_ms: u32 },
    /// Connection refused, reset or closed before a complete answer.
    Unreachable { reason: String },
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::BadStatus { status } => write!(f, "upstream answered with status {status}"),
            UpstreamError::InvalidJson { reason } => write!(f, "upstream body is not valid JSON: {reason}"),
            UpstreamError::Timeout { timeout_ms } => {
                write!(f, "upstream did not answer completely within {timeout_ms} ms")
            }
            UpstreamError::Unreachable { reason } => write!(f, "upstream connection failed: {reason}"),
        }
    }
}

/// Accepts a 2xx answer whose body is JSON; the body bytes are passed on untouched.
pub fn check_json(status: u16, body: Vec<u8>) -> Result<Vec<u8>, UpstreamError> {
    if !(200..300).contains(&status) {
        return Err(UpstreamError::BadStatus { status });
    }
    serde_json::from_slice::<IgnoredAny>(&body)
        .map_err(|e| UpstreamError::InvalidJson { reason: e.to_string() })?;
    Ok(body)
}

/// GETs `url` and returns its JSON body, all within `timeout_ms`; the call's duration and
/// outcome are recorded on `ctx` under `name`, and the request id is forwarded.
pub async fn get_json(ctx: &RequestContext, name: &'static str, url: &Url, timeout_ms: u32) -> Result<Vec<u8>, UpstreamError> {
    let started = now_ms();
    let (status, result) = exchange(&ctx.request_id, url, timeout_ms).await;
    ctx.record_upstream(UpstreamCall {
        name,
        duration_ms: (now_ms() - started).round(),
        outcome: result.as_ref().map_or_else(|e| ApiError::from(e.clone()).slug(), |_| "ok"),
        status,
    });
    result
}

/// One GET; the status is returned whenever the upstream answered at all.
async fn exchange(request_id: &str, url: &Url, timeout_ms: u32) -> (Option<u16>, Result<Vec<u8>, UpstreamError>) {
    // `AbortSignal.timeout` aborts the fetch *and* any body read still pending, so a slow
    // body is cut off as surely as slow headers.
    let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    let unreachable = |e: worker::Error| UpstreamError::Unreachable { reason: e.to_string() };

    let request = match build_request(request_id, url) {
        Ok(request) => request,
        Err(e) => return (None, Err(unreachable(e))),
    };

    let response = async {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = response.status_code();
        // A non-2xx body is never used, so don't wait for it.
        let body = if (200..300).contains(&status) { response.bytes().await? } else { Vec::new() };
        Ok::<_, worker::Error>((status, body))
    };
    match response.await {
        Ok((status, body)) => (Some(status), check_json(status, body)),
        Err(_) if signal.aborted() => (None, Err(UpstreamError::Timeout { timeout_ms })),
        Err(e) => (None, Err(unreachable(e))),
    }
}

fn build_request(request_id: &str, url: &Url) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("Accept", "application/json")?;
    headers.set("User-Agent", concat!("edge-relay/", env!("CARGO_PKG_VERSION")))?;
    headers.set("X-Request-Id", request_id)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    Request::new_with_init(url.as_str(), &init)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_json_through_untouched() {
        let body = br#"{"a": [1, 2.50, "x"]}"#.to_vec();
        assert_eq!(check_json(200, body.clone()), Ok(body));
        assert_eq!(check_json(204, b"null".to_vec()), Ok(b"null".to_vec()));
    }

    #[test]
    fn non_2xx_is_bad_status() {
        for status in [199, 301, 404, 429, 500, 503] {
            assert_eq!(check_json(status, b"{}".to_vec()), Err(UpstreamError::BadStatus { status }));
        }
    }

    #[test]
    fn non_json_is_invalid() {
        for body in [&b"<html>"[..], b"", b"{\"a\":", b"{} trailing"] {
            assert!(matches!(check_json(200, body.to_vec()), Err(UpstreamError::InvalidJson { .. })));
        }
    }
}
