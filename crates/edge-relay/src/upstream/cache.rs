//! Successful upstream GETs kept in the runtime's Cache API for the upstream's
//! `cache_ttl_s`, then served stale for `stale_while_revalidate_s` while being refreshed.

use std::rc::Rc;

use worker::{Cache, Headers, Response};

use super::outcome::UpstreamResponse;
use crate::http_url::HttpUrl;

/// When the copy was stored, in epoch milliseconds: the Cache API keeps no such record.
const STORED_AT: &str = "x-edge-relay-stored-at";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Freshness {
    Fresh { ttl_left_s: i64 },
    Stale { age_past_ttl_s: i64 },
    Expired,
}

pub fn freshness(stored_at_ms: f64, now_ms: f64, ttl_s: u32, stale_s: u32) -> Freshness {
    let age_s = ((now_ms - stored_at_ms) / 1000.0).max(0.0);
    let (ttl, stale) = (f64::from(ttl_s), f64::from(stale_s));
    if age_s < ttl {
        Freshness::Fresh { ttl_left_s: (ttl - age_s).ceil() as i64 }
    } else if age_s < ttl + stale {
        Freshness::Stale { age_past_ttl_s: (age_s - ttl).floor() as i64 }
    } else {
        Freshness::Expired
    }
}

/// The RFC 9211 `Cache-Status` value for a lookup's result.
pub fn cache_status(freshness: Option<Freshness>, stored: bool) -> String {
    match freshness {
        Some(Freshness::Fresh { ttl_left_s }) => format!("edge-relay; hit; ttl={ttl_left_s}"),
        Some(Freshness::Stale { age_past_ttl_s }) => {
            format!("edge-relay; hit; ttl=-{age_past_ttl_s}; detail=stale-while-revalidate")
        }
        Some(Freshness::Expired) | None => {
            format!("edge-relay; fwd=uri-miss{}", if stored { "; stored" } else { "" })
        }
    }
}

/// A cached copy of `url`, with the time it was stored.
pub async fn lookup(url: &HttpUrl) -> Option<(UpstreamResponse, f64)> {
    let mut cached = Cache::default().get(url.as_str(), true).await.ok()??;
    let stored_at: f64 = cached.headers().get(STORED_AT).ok()??.parse().ok()?;
    let header = |name: &str| cached.headers().get(name).ok().flatten();
    let (content_type, etag, last_modified) = (header("content-type"), header("etag"), header("last-modified"));
    let body = cached.bytes().await.ok()?;
    let response = UpstreamResponse { status: cached.status_code(), content_type, retry_after: None, etag, last_modified, body: Rc::from(body) };
    Some((response, stored_at))
}

/// Stores a success for `lifetime_s` (fresh plus stale time).
pub async fn store(url: &HttpUrl, response: &UpstreamResponse, lifetime_s: u32, now_ms: f64) -> worker::Result<()> {
    let headers = Headers::new();
    let kept = [("content-type", &response.content_type), ("etag", &response.etag), ("last-modified", &response.last_modified)];
    for (name, value) in kept {
        if let Some(value) = value {
            headers.set(name, value)?;
        }
    }
    headers.set(STORED_AT, &(now_ms as u64).to_string())?;
    headers.set("cache-control", &format!("max-age={}", lifetime_s.max(1)))?;
    let copy = Response::from_bytes(response.body.to_vec())?.with_status(response.status).with_headers(headers);
    Cache::default().put(url.as_str(), copy).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_then_stale_then_expired() {
        assert_eq!(freshness(0.0, 0.0, 60, 30), Freshness::Fresh { ttl_left_s: 60 });
        assert_eq!(freshness(0.0, 59_500.0, 60, 30), Freshness::Fresh { ttl_left_s: 1 });
        assert_eq!(freshness(0.0, 60_000.0, 60, 30), Freshness::Stale { age_past_ttl_s: 0 });
        assert_eq!(freshness(0.0, 75_000.0, 60, 30), Freshness::Stale { age_past_ttl_s: 15 });
        assert_eq!(freshness(0.0, 90_000.0, 60, 30), Freshness::Expired);
        assert_eq!(freshness(0.0, 60_000.0, 60, 0), Freshness::Expired);
        // A clock that went backwards counts as age 0.
        assert_eq!(freshness(10_000.0, 0.0, 5, 0), Freshness::Fresh { ttl_left_s: 5 });
    }

    #[test]
    fn cache_status_values() {
        assert_eq!(cache_status(Some(Freshness::Fresh { ttl_left_s: 42 }), false), "edge-relay; hit; ttl=42");
        assert_eq!(
            cache_status(Some(Freshness::Stale { age_past_ttl_s: 3 }), false),
            "edge-relay; hit; ttl=-3; detail=stale-while-revalidate"
        );
        assert_eq!(cache_status(None, true), "edge-relay; fwd=uri-miss; stored");
        assert_eq!(cache_status(Some(Freshness::Expired), false), "edge-relay; fwd=uri-miss");
    }
}
