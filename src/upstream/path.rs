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

/// Splits an `/aggregate`-style path (`/users/1?x=y`) into the part after the leading `/`
/// and its query.
pub fn split_relative(path: &str) -> Result<(&str, Option<&str>), String> {
    let Some(path) = path.strip_prefix('/') else {
        return Err("must start with '/'".into());
    };
    Ok(match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    })
}

fn check(rest: &str) -> Result<(), String> {
    if rest.starts_with('/') {
        return Err("must not start with '/' (that would name another host)".into());
    }
    if rest.contains("://") {
        return Err("absolute URLs are not allowed".into());
    }
    if rest.contains('\\') {
        return Err("backslashes are not allowed".into());
    }
    if rest.contains('@') {
        return Err("'@' is not allowed".into());
    }
    if rest.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'#' || b == b'?') {
        return Err("control characters, spaces, '#' and '?' are not allowed in the path".into());
    }
    let lower = rest.to_ascii_lowercase();
    for encoded in ["%2e", "%2f", "%5c", "%40", "%25", "%00"] {
        if lower.contains(encoded) {
            return Err(format!("the encoded character '{encoded}' is not allowed"));
        }
    }
    if rest.split('/').any(|segment| segment == "." || segment == "..") {
        return Err("'.' and '..' segments are not allowed".into());
    }
    Ok(())
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
        assert!(split_relative("users/1").is_err());
    }
}
