//! `GET /openapi.json` and `GET /docs`.

#[cfg(test)]
mod spec;

use crate::response::{Html, RawJson};

/// The OpenAPI 3.1 document, built from the route table and handler types by `spec` (a host
/// test) and checked in pretty-printed, for review; a test fails if it no longer matches the
/// code. The wasm carries it without the indentation (a third of its bytes), stripped at
/// compile time.
const PRETTY: &[u8] = include_bytes!("openapi.json");
static DOCUMENT: [u8; minified_len(PRETTY)] = minified(PRETTY);

/// The length of `json` without whitespace outside strings.
const fn minified_len(json: &[u8]) -> usize {
    let (mut i, mut len, mut in_string, mut escaped) = (0, 0, false, false);
    while i < json.len() {
        let keep = keeps(json[i], &mut in_string, &mut escaped);
        if keep {
            len += 1;
        }
        i += 1;
    }
    len
}

/// `json` without whitespace outside strings.
const fn minified<const N: usize>(json: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let (mut i, mut at, mut in_string, mut escaped) = (0, 0, false, false);
    while i < json.len() {
        if keeps(json[i], &mut in_string, &mut escaped) {
            out[at] = json[i];
            at += 1;
        }
        i += 1;
    }
    out
}

/// Whether a JSON byte stays, given (and updating) whether it is inside a string.
const fn keeps(byte: u8, in_string: &mut bool, escaped: &mut bool) -> bool {
    if *in_string {
        if *escaped {
            *escaped = false;
        } else if byte == b'\\' {
            *escaped = true;
        } else if byte == b'"' {
            *in_string = false;
        }
        return true;
    }
    if byte == b'"' {
        *in_string = true;
    }
    !matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// Swagger UI, served from this worker's static assets (no CDN), pointed at `/openapi.json`.
const DOCS_HTML: &str = include_str!("docs.html");

pub fn document() -> RawJson {
    RawJson(DOCUMENT.to_vec())
}

pub fn docs_page() -> Html {
    Html(DOCS_HTML)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_is_the_snapshot_minified() {
        let pretty: serde_json::Value = serde_json::from_slice(PRETTY).unwrap();
        let served: serde_json::Value = serde_json::from_slice(&DOCUMENT).unwrap();
        assert_eq!(served, pretty);
        assert!(!DOCUMENT.contains(&b'\n') && DOCUMENT.len() < PRETTY.len() * 2 / 3, "the indentation is gone");
        const TRICKY: &[u8] = br#"{ "a b": "say \"hi\"\n ok",  "c" : [ 1 , 2 ] }"#;
        let expected: &[u8] = br#"{"a b":"say \"hi\"\n ok","c":[1,2]}"#;
        assert_eq!(&minified::<{ minified_len(TRICKY) }>(TRICKY)[..], expected);
    }
}
