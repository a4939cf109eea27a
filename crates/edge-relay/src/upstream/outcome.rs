//! What an upstream call comes to: a whole answer, or why there is none. Plain data, a leaf
//! of the module tree, so that the error types above it can name it.

use std::fmt;
use std::rc::Rc;

/// The JS side's reason for refusing a body by its size (`exchange.mjs`'s `TOO_LARGE`), and
/// its word for a client that hung up first (`response.mjs`'s `CLIENT_CLOSED`, also this
/// error's slug); a host test holds each pair equal.
pub(crate) const TOO_LARGE: &str = "too-large";
pub(crate) const CLIENT_CLOSED: &str = "client-closed";

/// Why an upstream exchange failed; each maps to a problem (see `ApiError`).
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamError {
    /// The upstream answered, but not with a 2xx.
    BadStatus {
        /// Its status (the problem's `upstream_status`).
        status: u16,
    },
    /// The upstream answered 2xx with a body that is not JSON.
    InvalidJson {
        /// The parser's complaint.
        reason: String,
    },
    /// The body needed whole is larger than `MAX_UPSTREAM_BODY_BYTES`.
    TooLarge {
        /// The limit, in bytes.
        limit_bytes: u32,
    },
    /// No complete answer (headers and body) within the deadline.
    Timeout {
        /// The upstream's `timeout_ms`.
        timeout_ms: u32,
    },
    /// Connection refused, reset or closed before a complete answer.
    Unreachable {
        /// The runtime's words for it.
        reason: String,
    },
    /// The upstream's circuit breaker is open: it failed repeatedly and is left alone.
    CircuitOpen {
        /// Milliseconds until a call may go again (the answer's `Retry-After`, in seconds).
        retry_after_ms: f64,
    },
    /// The client's body for a relay passed the upstream's `max_request_body_bytes`.
    RequestTooLarge {
        /// That limit, in bytes.
        limit_bytes: u32,
    },
    /// The client hung up before the upstream answered.
    ClientClosed,
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::BadStatus { status } => write!(f, "upstream answered with status {status}"),
            UpstreamError::InvalidJson { reason } => write!(f, "upstream body is not valid JSON: {reason}"),
            UpstreamError::TooLarge { limit_bytes } => {
                write!(f, "upstream body is larger than {limit_bytes} bytes (MAX_UPSTREAM_BODY_BYTES)")
            }
            UpstreamError::Timeout { timeout_ms } => {
                write!(f, "upstream did not answer completely within {timeout_ms} ms")
            }
            UpstreamError::Unreachable { reason } => write!(f, "upstream connection failed: {reason}"),
            UpstreamError::CircuitOpen { retry_after_ms } => write!(
                f,
                "upstream failed repeatedly and is not being called for {} s",
                (retry_after_ms / 1000.0).ceil() as u64
            ),
            UpstreamError::RequestTooLarge { limit_bytes } => write!(f, "the request body exceeds the limit of {limit_bytes} bytes"),
            UpstreamError::ClientClosed => write!(f, "the client closed the connection"),
        }
    }
}

/// An upstream's answer, whole. Cheap to clone, so coalesced callers can share it.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamResponse {
    /// Its status.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its `Retry-After`, as sent.
    pub retry_after: Option<String>,
    /// Its `ETag`.
    pub etag: Option<String>,
    /// Its `Last-Modified`.
    pub last_modified: Option<String>,
    /// Its body, whole.
    pub body: Rc<[u8]>,
}

impl UpstreamResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JS modules state the same words, as `export const NAME = "word"`.
    #[test]
    fn the_js_side_uses_the_same_words() {
        let exported = |source: &str, name: &str| {
            let line = source.lines().find(|l| l.starts_with(&format!("export const {name} = "))).unwrap_or_else(|| panic!("{name}"));
            line.split(['"', '\'']).nth(1).unwrap_or_default().to_owned()
        };
        assert_eq!(exported(include_str!("exchange.mjs"), "TOO_LARGE"), TOO_LARGE);
        assert_eq!(exported(include_str!("../response.mjs"), "CLIENT_CLOSED"), CLIENT_CLOSED);
    }
}
