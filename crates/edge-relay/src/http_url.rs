//! Absolute `http`/`https` URLs, as this API needs them: upstream base URLs and CORS origins
//! checked once at config time, upstream URLs built from them, and the path and query of the
//! runtime's request URL. Strict rather than forgiving: a config value is refused when it is
//! not already a plain `scheme://host[:port]/path[?query]`, so what is called is what was
//! written. (The `url` crate did this before, at ~15 KB of gzipped wasm.)

use std::fmt;

/// A checked absolute URL: lower-case scheme and host, default port omitted, path at least `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    text: String,
    /// Where the path starts (the end of the origin).
    path_at: usize,
    /// Where the `?` is, if there is a query.
    query_at: Option<usize>,
}

/// Bytes that are percent-encoded in a path, as the URL standard's path set does.
const PATH_ENCODED: &[u8] = b" \"#<>?`{}";
/// ... and in a query (the special-scheme query set).
const QUERY_ENCODED: &[u8] = b" \"#<>'";

impl HttpUrl {
    /// Parses an absolute `http`/`https` URL (blanks around it ignored): scheme and host
    /// lower-cased, a default port dropped, unsafe bytes percent-encoded. Credentials, a
    /// fragment and `.`/`..` segments are refused; the error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let not_absolute = || format!("'{raw}' is not an absolute URL");
        let (scheme, rest) = raw.split_once("://").ok_or_else(not_absolute)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return Err(not_absolute());
        }
        let default_port = match scheme.as_str() {
            "http" => "80",
            "https" => "443",
            other => return Err(format!("scheme '{other}' is not http or https")),
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err("credentials in the URL are not allowed; use a secret header".into());
        }
        let (host, port) = split_port(authority)?;
        check_host(host)?;
        let mut text = format!("{scheme}://{}", host.to_ascii_lowercase());
        if let Some(port) = port.filter(|p| *p != default_port) {
            text.push(':');
            text.push_str(port);
        }
        let path_at = text.len();
        if rest.contains('#') {
            return Err("a fragment ('#') is not allowed".into());
        }
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if path.is_empty() {
            text.push('/');
        } else {
            if path.split('/').any(|segment| segment == "." || segment == "..") {
                return Err("'.' and '..' segments are not allowed in the path".into());
            }
            push_encoded(&mut text, path, PATH_ENCODED)?;
        }
        let query_at = query.map(|query| {
            let at = text.len();
            text.push('?');
            push_encoded(&mut text, query, QUERY_ENCODED).map(|()| at)
        });
        Ok(HttpUrl { text, path_at, query_at: query_at.transpose()? })
    }

    /// `base`'s origin with `path` (from `/`) and `query` (without `?`), encoded as needed.
    pub fn with_path_and_query(&self, path: &str, query: Option<&str>) -> Result<Self, String> {
        let mut text = self.origin().to_owned();
        push_encoded(&mut text, path, PATH_ENCODED)?;
        let query_at = match query {
            Some(query) => {
                let at = text.len();
                text.push('?');
                push_encoded(&mut text, query, QUERY_ENCODED)?;
                Some(at)
            }
            None => None,
        };
        Ok(HttpUrl { text, path_at: self.path_at, query_at })
    }

    /// The whole URL.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    pub fn origin(&self) -> &str {
        &self.text[..self.path_at]
    }

    /// The path, at least `/`, without the query.
    pub fn path(&self) -> &str {
        &self.text[self.path_at..self.query_at.unwrap_or(self.text.len())]
    }

    /// The query, without `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.query_at.map(|at| &self.text[at + 1..])
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The path and query of a URL the runtime serialised (WHATWG): the path starts at the first
/// `/` after `://` and the query after the first `?` (a `?` inside the path is always encoded).
pub fn path_and_query(url: &str) -> (&str, Option<&str>) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..].find('/').map_or("/", |i| &url[after_scheme + i..]);
    let path = path.split_once('#').map_or(path, |(p, _)| p);
    match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    }
}

fn split_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    // An IPv6 literal carries colons inside its brackets.
    let port_colon = match authority.rfind(']') {
        Some(end) => authority[end..].find(':').map(|i| end + i),
        None => authority.find(':'),
    };
    let Some(colon) = port_colon else {
        return Ok((authority, None));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    if port.is_empty() {
        return Ok((host, None));
    }
    match port.parse::<u16>() {
        Ok(n) if n > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok((host, Some(port))),
        _ => Err(format!("port '{port}' is not a number from 1 to 65535")),
    }
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ipv6 = inner.contains(':') && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        return if ipv6 { Ok(()) } else { Err(format!("host '{host}' is not an IPv6 address")) };
    }
    if !host.is_ascii() {
        return Err(format!("host '{host}' must be ASCII: write international names in punycode (xn--…)"));
    }
    // A fully qualified name may end in a dot; no label may be empty.
    let labels = host.strip_suffix('.').unwrap_or(host);
    if labels.split('.').any(str::is_empty) || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        return Err(format!("host '{host}' is not a valid host name"));
    }
    Ok(())
}

/// Appends `s`, percent-encoding non-ASCII bytes and `set`; control characters are refused.
fn push_encoded(out: &mut String, s: &str, set: &[u8]) -> Result<(), String> {
    for &b in s.as_bytes() {
        if b.is_ascii_control() {
            return Err("control characters are not allowed in a URL".into());
        }
        if b >= 0x80 || set.contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> HttpUrl {
        HttpUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn normalises_scheme_host_port_and_empty_path() {
        for (raw, text) in [
            ("https://api.example.com", "https://api.example.com/"),
            ("HTTPS://API.Example.COM/v1/", "https://api.example.com/v1/"),
            ("http://127.0.0.1:8080/api?x=1", "http://127.0.0.1:8080/api?x=1"),
            ("http://x.test:80/a", "http://x.test/a"),
            ("https://x.test:443", "https://x.test/"),
            ("https://x.test:8443", "https://x.test:8443/"),
            ("http://[::1]:9000/", "http://[::1]:9000/"),
            ("  https://x.test/p q  ", "https://x.test/p%20q"),
            ("https://x.test/caf\u{e9}", "https://x.test/caf%C3%A9"),
            ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ] {
            assert_eq!(url(raw).as_str(), text, "{raw}");
        }
        let u = url("http://127.0.0.1:8080/api/v1?x=1&y=a");
        assert_eq!((u.origin(), u.path(), u.query()), ("http://127.0.0.1:8080", "/api/v1", Some("x=1&y=a")));
        assert_eq!(url("https://x.test").query(), None);
    }

    #[test]
    fn refuses_what_is_not_a_plain_http_url() {
        for (raw, reason) in [
            ("not a url", "not an absolute URL"),
            ("/relative", "not an absolute URL"),
            ("://x.test", "not an absolute URL"),
            ("ftp://x.test/", "scheme 'ftp' is not http or https"),
            ("https://u:p@x.test/", "credentials"),
            ("https://@x.test/", "credentials"),
            ("https:///path", "no host"),
            ("https://bücher.example/", "must be ASCII"),
            ("https://x..test/", "not a valid host name"),
            ("https://x_y.test/", "not a valid host name"),
            ("https://x.test:0/", "port '0'"),
            ("https://x.test:99999/", "port '99999'"),
            ("https://x.test:8a/", "port '8a'"),
            ("https://[zz]/", "not an IPv6 address"),
            ("https://x.test/a#frag", "fragment"),
            ("https://x.test/a/../b", "'..' segments"),
            ("https://x.test/a\nb", "control characters"),
        ] {
            let err = HttpUrl::parse(raw).expect_err(raw);
            assert!(err.contains(reason), "{raw}: {err}");
        }
    }

    #[test]
    fn builds_paths_and_queries_on_the_same_origin() {
        let base = url("http://127.0.0.1:8080/api");
        let joined = base.with_path_and_query("/api/a b/\u{e9}", Some("q=a b&c='x'")).unwrap();
        assert_eq!(joined.as_str(), "http://127.0.0.1:8080/api/a%20b/%C3%A9?q=a%20b&c=%27x%27");
        assert_eq!(joined.origin(), base.origin());
        assert_eq!(joined.path(), "/api/a%20b/%C3%A9");
        assert_eq!(joined.query(), Some("q=a%20b&c=%27x%27"));
        assert_eq!(base.with_path_and_query("/x", None).unwrap().query(), None);
    }

    #[test]
    fn splits_the_runtime_request_url() {
        assert_eq!(path_and_query("http://127.0.0.1:8787/a/b?x=1&y=2"), ("/a/b", Some("x=1&y=2")));
        assert_eq!(path_and_query("https://edge.example/"), ("/", None));
        assert_eq!(path_and_query("https://edge.example/p?"), ("/p", Some("")));
        assert_eq!(path_and_query("https://edge.example"), ("/", None));
        assert_eq!(path_and_query("https://edge.example/p#f"), ("/p", None));
    }
}
