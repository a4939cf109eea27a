//! Conditional requests (RFC 9110 §13) against a cached answer: a client's `If-None-Match` /
//! `If-Modified-Since` answered 304 from the cache, and the validators a stale entry is
//! revalidated with.

use crate::http_date;

/// The client's conditional headers, as sent.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Preconditions {
    /// `If-None-Match`: entity tags, or `*`.
    pub if_none_match: Option<String>,
    /// `If-Modified-Since`: an HTTP date.
    pub if_modified_since: Option<String>,
}

/// Whether a GET for a representation with these validators is answered 304. `If-None-Match`
/// wins when present (weak comparison, `*` matches any); `If-Modified-Since` counts only
/// without it, and only against a `Last-Modified` that parses.
pub fn not_modified(pre: &Preconditions, etag: Option<&str>, last_modified: Option<&str>) -> bool {
    if let Some(list) = &pre.if_none_match {
        let Some(etag) = etag else {
            return false;
        };
        return list.split(',').map(str::trim).any(|candidate| candidate == "*" || weak_eq(candidate, etag));
    }
    match (pre.if_modified_since.as_deref().and_then(http_date::parse), last_modified.and_then(http_date::parse)) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// Weak comparison: equal opaque tags, whatever their `W/` prefixes.
fn weak_eq(a: &str, b: &str) -> bool {
    let opaque = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_owned();
    opaque(a) == opaque(b) && a.trim_start_matches("W/").starts_with('"')
}

/// The headers that ask an upstream whether a cached copy is still current.
pub fn revalidation_headers(etag: Option<&str>, last_modified: Option<&str>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(etag) = etag {
        headers.push(("If-None-Match".to_owned(), etag.to_owned()));
    }
    if let Some(last_modified) = last_modified {
        headers.push(("If-Modified-Since".to_owned(), last_modified.to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(value: &str) -> Preconditions {
        Preconditions { if_none_match: Some(value.into()), if_modified_since: None }
    }

    fn ims(value: &str) -> Preconditions {
        Preconditions { if_none_match: None, if_modified_since: Some(value.into()) }
    }

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        assert!(not_modified(&inm("\"v1\""), Some("\"v1\""), None));
        assert!(not_modified(&inm("W/\"v1\""), Some("\"v1\""), None));
        assert!(not_modified(&inm("\"v0\", W/\"v1\""), Some("W/\"v1\""), None));
        assert!(not_modified(&inm("*"), Some("\"anything\""), None));
        assert!(!not_modified(&inm("\"v2\""), Some("\"v1\""), None));
        assert!(!not_modified(&inm("\"v1\""), None, Some("Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(!not_modified(&inm("v1"), Some("v1"), None), "an unquoted tag is not an entity tag");
    }

    #[test]
    fn if_modified_since_counts_only_without_if_none_match() {
        let lm = Some("Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(not_modified(&ims("Sun, 06 Nov 1994 08:49:37 GMT"), None, lm));
        assert!(not_modified(&ims("Mon, 07 Nov 1994 00:00:00 GMT"), None, lm));
        assert!(!not_modified(&ims("Sat, 05 Nov 1994 00:00:00 GMT"), None, lm));
        assert!(!not_modified(&ims("not a date"), None, lm));
        assert!(!not_modified(&ims("Mon, 07 Nov 1994 00:00:00 GMT"), None, None));
        let both = Preconditions { if_none_match: Some("\"v2\"".into()), if_modified_since: Some("Mon, 07 Nov 1994 00:00:00 GMT".into()) };
        assert!(!not_modified(&both, Some("\"v1\""), lm), "If-None-Match wins");
        assert!(!not_modified(&Preconditions::default(), Some("\"v1\""), lm));
    }

    #[test]
    fn revalidation_sends_both_validators() {
        assert_eq!(
            revalidation_headers(Some("\"v1\""), Some("Sun, 06 Nov 1994 08:49:37 GMT")),
            vec![("If-None-Match".into(), "\"v1\"".into()), ("If-Modified-Since".into(), "Sun, 06 Nov 1994 08:49:37 GMT".into())]
        );
        assert!(revalidation_headers(None, None).is_empty());
    }
}
