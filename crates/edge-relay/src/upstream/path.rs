//! Joining a client-supplied path onto an upstream's base URL without ever leaving it.

use crate::http_url::HttpUrl;

/// Appends `rest` (a raw, still percent-encoded path) and `query` to `base`'s path.
/// Refuses anything that could climb out of the base path or change the host: dot
/// segments, their encoded forms, encoded slashes or backslashes, `@`, leading `//`.
pub fn join(base: &HttpUrl, rest: &str, query: Option<&str>) -> Result<HttpUrl, String> {
    check(rest)?;
    let base_path = base.path().trim_end_matches('/');
    let path = if rest.is_empty() { base.path().to_owned() } else { format!("{base_path}/{rest}") };
    let url = base.with_path_and_query(&path, query.filter(|q| !q.is_empty()))?;
    // Defence in depth: the joined URL must still be on the base's origin and path.
    if url.origin() != base.origin() || !url.path().starts_with(base_path) {
        return Err("the path leaves the upstream's base URL".into());
    }
    Ok(url)
}

/// A path segment of `SEGMENT_CHARS` and escapes, with at most two leading dots and not dots
/// only; as a regular expression for the OpenAPI document (the tests hold the two together).
macro_rules! segment {
    () => {
        r"\.{0,2}(?:[A-Za-z0-9_~!$&'()*+,;=:-]|%(?:0[1-9A-Fa-f]|2[0-46-9A-Da-d]|4[1-9A-Fa-f]|5[0-9ABabD-Fd-f]|[136-9A-Fa-f][0-9A-Fa-f]))(?:[A-Za-z0-9_~!$&'()*+,;=:.-]|%(?:0[1-9A-Fa-f]|2[0-46-9A-Da-d]|4[1-9A-Fa-f]|5[0-9ABabD-Fd-f]|[136-9A-Fa-f][0-9A-Fa-f]))*"
    };
}

/// What `check_item` accepts: `/`, segments separated by single `/`, an optional trailing `/`,
/// then an optional `?query` (query characters, `/`, `?`, `@` and any escape).
pub const ITEM_PATH_PATTERN: &str =
    concat!("^/(?:", segment!(), "(?:/", segment!(), r")*/?)?(?:\?(?:[A-Za-z0-9_~!$&'()*+,;=:./?@-]|%[0-9A-Fa-f]{2})*)?$");

/// One relay path segment without escapes: what a client can send as the OpenAPI `path`
/// parameter unencoded (the relay itself takes several, and escapes).
pub const RELAY_SEGMENT_PATTERN: &str = r"^(?:\.{0,2}[A-Za-z0-9_~!$&'()*+,;=:-][A-Za-z0-9_~!$&'()*+,;=:.-]*)?$";

/// Characters of a segment besides letters, digits and `.`: RFC 3986 `pchar` without `@`
/// (it could name a host) and `%` (escapes are checked on their own).
const SEGMENT_CHARS: &str = "-_~!$&'()*+,;=:";

/// An `/aggregate`- or job-style path (`/users/1?x=y`), checked against `ITEM_PATH_PATTERN`
/// and split into the part after the leading `/` and its query.
pub fn split_relative(path: &str) -> Result<(&str, Option<&str>), String> {
    let Some(path) = path.strip_prefix('/') else {
        return Err("must start with '/'".into());
    };
    let (rest, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    check(rest)?;
    if let Some(query) = query {
        check_units(query, |c| c.is_ascii_alphanumeric() || SEGMENT_CHARS.contains(c) || "./?@".contains(c), |_| true)?;
    }
    Ok((rest, query))
}

/// `base` joined with a relative path and query (`/users/1?x=y`), by the rules of `split_relative`
/// and `join`.
pub fn join_relative(base: &HttpUrl, path_and_query: &str) -> Result<HttpUrl, String> {
    let (rest, query) = split_relative(path_and_query)?;
    join(base, rest, query)
}

/// Segments separated by single `/`, an optional trailing `/`; nothing that could climb out
/// of the base path or change the host: dot segments, escapes of `.`, `/`, `\`, `@`, `%` or
/// NUL, `@`, a leading `/`.
fn check(rest: &str) -> Result<(), String> {
    if rest.starts_with('/') {
        return Err("must not start with '/' (that would name another host)".into());
    }
    if rest.is_empty() {
        return Ok(());
    }
    for segment in rest.strip_suffix('/').unwrap_or(rest).split('/') {
        let dots = segment.bytes().take_while(|&b| b == b'.').count();
        if segment.is_empty() {
            return Err("empty segments ('//') are not allowed".into());
        }
        if dots == segment.len() {
            return Err("'.' and '..' segments are not allowed".into());
        }
        if dots > 2 {
            return Err("a segment may not start with more than two dots".into());
        }
        check_units(&segment[dots..], |c| c.is_ascii_alphanumeric() || SEGMENT_CHARS.contains(c) || c == '.', escape_allowed)?;
    }
    Ok(())
}

/// Every character passes `allowed`, and every `%` starts an escape `escape` allows.
fn check_units(text: &str, allowed: impl Fn(char) -> bool, escape: impl Fn(&str) -> bool) -> Result<(), String> {
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '%' {
            let code = text.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
            let Some(code) = code.filter(|h| escape(h)) else {
                return Err(format!("'{}' is not an allowed escape", text.get(i..i + 3).unwrap_or(&text[i..])));
            };
            chars.nth(code.len() - 1);
        } else if !allowed(c) {
            return Err(format!("'{}' is not allowed here: percent-encode it", c.escape_default()));
        }
    }
    Ok(())
}

/// Escapes of `.`, `/`, `\`, `@`, `%` and NUL would smuggle what the rules refuse.
fn escape_allowed(hex: &str) -> bool {
    !["2e", "2f", "5c", "40", "25", "00"].contains(&hex.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> HttpUrl {
        HttpUrl::parse("https://api.example.com/v1/").unwrap()
    }

    #[test]
    fn joins_under_the_base_path() {
        assert_eq!(join(&base(), "users/1", None).unwrap().as_str(), "https://api.example.com/v1/users/1");
        assert_eq!(join(&base(), "users", Some("page=2&q=a%20b")).unwrap().as_str(), "https://api.example.com/v1/users?page=2&q=a%20b");
        assert_eq!(join(&base(), "", None).unwrap().as_str(), "https://api.example.com/v1/");
        let no_slash = HttpUrl::parse("http://127.0.0.1:8080/api").unwrap();
        assert_eq!(join(&no_slash, "a/b.json", None).unwrap().as_str(), "http://127.0.0.1:8080/api/a/b.json");
        assert_eq!(join(&base(), "caf%C3%A9/x", None).unwrap().path(), "/v1/caf%C3%A9/x");
    }

    #[test]
    fn refuses_every_escape() {
        for bad in [
            "../admin", "users/../../admin", "./x", "a/./b", "..", "%2e%2e/admin", "%2E%2E/admin", ".%2e/x",
            "a%2fb", "a%2F..%2Fb", "a%5cb", "a\\b", "..\\x", "/evil.example/x", "//evil.example", "http://evil.example/",
            "user@evil.example", "a%40b", "%252e%252e/x", "a%00b", "a b", "a#frag", "a?x=1", "a\nb",
        ] {
            assert!(join(&base(), bad, None).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn splits_aggregate_paths() {
        assert_eq!(split_relative("/users/1?x=1"), Ok(("users/1", Some("x=1"))));
        assert_eq!(split_relative("/"), Ok(("", None)));
        assert_eq!(split_relative("/a/?q=%20&r=/x?y@z"), Ok(("a/", Some("q=%20&r=/x?y@z"))));
        for bad in ["users/1", "//x", "/a//b", "/..", "/.../x", "/a b", "/a?b c", "/a?%zz", "/caf\u{e9}", "/a%2Fb", "/a@b"] {
            assert!(split_relative(bad).is_err(), "{bad:?} was accepted");
        }
    }

    /// The Rust rules and the documented patterns accept exactly the same paths, over every
    /// string of up to four units from an alphabet with each character class in it.
    #[test]
    fn the_patterns_are_the_rules() {
        let item = regex::Regex::new(ITEM_PATH_PATTERN).unwrap();
        let relay = regex::Regex::new(RELAY_SEGMENT_PATTERN).unwrap();
        let units = ["/", ".", "a", "?", "@", "%41", "%2e", "%2F", "%zz", "%", " ", ":", "\\", "\u{e9}", "~", "#"];
        let mut words = vec![String::new()];
        for _ in 0..4 {
            words = words.iter().flat_map(|w| units.iter().map(move |u| format!("{w}{u}"))).chain(words.clone()).collect();
            words.sort();
            words.dedup();
        }
        for word in &words {
            assert_eq!(split_relative(word).is_ok(), item.is_match(word), "item path {word:?}");
            let single = !word.contains(['/', '%']) && check(word).is_ok();
            assert_eq!(single, relay.is_match(word), "relay segment {word:?}");
        }
    }
}
