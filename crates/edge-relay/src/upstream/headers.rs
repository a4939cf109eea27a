//! Which headers cross the relay, each way. Hop-by-hop headers (RFC 9110 §7.6.1) describe
//! one connection and never pass; neither do the ones this service sets itself.

/// Hop-by-hop headers, plus any header the `Connection` header names.
const HOP_BY_HOP: &[&str] = &[
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade",
];

/// Upstream response headers that never reach the client: ours to set (request id, timing,
/// CORS), or the upstream's to keep (cookies for its own domain would land on ours).
const NOT_RELAYED: &[&str] = &["x-request-id", "server-timing", "set-cookie", "set-cookie2"];

/// Encodings the runtime's `fetch` decodes before the body reaches the worker.
const DECODED_BY_RUNTIME: &[&str] = &["gzip", "x-gzip", "br"];

/// Client headers a relay passes on beyond `ALWAYS_FORWARD`: what a body, a resumed event
/// stream, a retried write and a conditional or partial GET need to mean what they meant.
pub const RELAY_FORWARD: &[&str] = &[
    "content-type", "idempotency-key", "last-event-id", "if-none-match", "if-modified-since", "if-match",
    "if-unmodified-since", "range", "if-range",
];

/// The upstream's response headers that pass on to the client. `Content-Encoding` and
/// `Content-Length` describe the bytes on the upstream's wire: after the runtime has
/// decoded a gzip or br body, neither is true of what the client gets, so both go.
pub fn relayed_response_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    let get = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let named_by_connection: Vec<String> = get("connection")
        .map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let decoded = get("content-encoding").is_some_and(|e| DECODED_BY_RUNTIME.contains(&e.trim().to_ascii_lowercase().as_str()));
    let mut passed: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&name.as_str())
                && !NOT_RELAYED.contains(&name.as_str())
                && !name.starts_with("access-control-")
                && !named_by_connection.contains(&name)
                && !(decoded && (name == "content-encoding" || name == "content-length"))
        })
        .cloned()
        .collect();
    if is_event_stream(get("content-type")) {
        // Events must not wait in a cache, a compressor or a buffering proxy on the way.
        passed.retain(|(name, _)| !name.eq_ignore_ascii_case("cache-control"));
        passed.push(("Cache-Control".to_owned(), "no-cache, no-transform".to_owned()));
        passed.push(("X-Accel-Buffering".to_owned(), "no".to_owned()));
    }
    passed
}

pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP.contains(&name.to_ascii_lowercase().as_str())
}

fn is_event_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| c.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/event-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_dropped() {
        let passed = relayed_response_headers(&headers(&[
            ("content-type", "application/json"),
            ("connection", "keep-alive, X-Trace"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("x-trace", "1"),
            ("etag", "\"v1\""),
            ("content-length", "42"),
            ("set-cookie", "session=upstream"),
            ("x-request-id", "upstream-id"),
            ("access-control-allow-origin", "*"),
        ]));
        assert_eq!(passed, headers(&[("content-type", "application/json"), ("etag", "\"v1\""), ("content-length", "42")]));
    }

    #[test]
    fn decoded_bodies_lose_encoding_and_length() {
        for encoding in ["gzip", "br", "GZIP"] {
            let passed = relayed_response_headers(&headers(&[("content-encoding", encoding), ("content-length", "10"), ("etag", "\"x\"")]));
            assert_eq!(passed, headers(&[("etag", "\"x\"")]), "{encoding}");
        }
        // An encoding the runtime passes through untouched stays true, and so does the length.
        let kept = headers(&[("content-encoding", "zstd"), ("content-length", "10")]);
        assert_eq!(relayed_response_headers(&kept), kept);
    }

    #[test]
    fn event_streams_are_marked_unbuffered() {
        let passed = relayed_response_headers(&headers(&[("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "max-age=60")]));
        assert_eq!(
            passed,
            headers(&[
                ("content-type", "text/event-stream; charset=utf-8"),
                ("Cache-Control", "no-cache, no-transform"),
                ("X-Accel-Buffering", "no")
            ])
        );
        assert!(is_hop_by_hop("Transfer-Encoding") && !is_hop_by_hop("content-type"));
    }
}
