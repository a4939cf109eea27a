//! Typed extraction of request input, with field-level errors for the 422 response.

use std::ops::RangeInclusive;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;
use worker::{js_sys, web_sys, Headers, Request};

use crate::error::{ApiError, FieldError};
use crate::executor;

mod json_path;
pub(crate) mod params;

/// The largest JSON body read unless `MAX_BODY_BYTES` says otherwise.
pub(crate) const DEFAULT_MAX_BODY_BYTES: u32 = 1024 * 1024;

/// A request's decoded query parameters, in order.
#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Decodes a raw query string (without `?`); none is an empty list.
    pub fn parse(query: Option<&str>) -> Self {
        QueryParams(form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect())
    }

    /// Every name and value, decoded, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The parameter's single value; `None` when absent, an error when given more than once
    /// (silently taking one of several values hides client bugs).
    pub fn single(&self, name: &str) -> Result<Option<&str>, FieldError> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => Ok(Some(v)),
            (Some(_), Some(_)) => Err(FieldError::query(
                name,
                "multiple_values",
                "must be given at most once",
                None,
            )),
        }
    }
}

/// A body type's own checks (lengths, ranges) beyond what its serde shape enforces.
pub trait Validate {
    /// Pushes one entry per rule the value breaks onto `errors`; none means valid.
    fn validate(&self, errors: &mut Vec<FieldError>);
}

/// Records an error unless `value` has `range` characters.
pub fn check_chars(errors: &mut Vec<FieldError>, path: &[&str], value: &str, range: RangeInclusive<usize>) {
    if let Some(msg) = chars_mismatch(value, range) {
        errors.push(FieldError::body(path, "string_length", msg));
    }
}

/// What is wrong unless `value` has `range` characters.
pub fn chars_mismatch(value: &str, range: RangeInclusive<usize>) -> Option<String> {
    let n = value.chars().count();
    (!range.contains(&n)).then(|| format!("must be {} to {} characters long, got {n}", range.start(), range.end()))
}

/// `application/json` or any `application/*+json`, with or without parameters.
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    let Some(essence) = content_type.and_then(|c| c.split(';').next()) else {
        return false;
    };
    // Compared in place, not on a lowercased copy: this runs for every upstream body.
    let essence = essence.trim().as_bytes();
    let starts = |p: &[u8]| essence.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
    let ends = |p: &[u8]| essence.len().checked_sub(p.len()).is_some_and(|at| essence[at..].eq_ignore_ascii_case(p));
    starts(b"application/") && (essence.eq_ignore_ascii_case(b"application/json") || ends(b"+json"))
}

/// Reads and validates a JSON body. 415 unless it is declared JSON; 413 past `limit` bytes,
/// judged on `Content-Length`, or while streaming a body sent without one, so an oversize body
/// is never buffered whole; 422 when it is malformed, mis-shaped or fails `T::validate`.
pub async fn json_body<T: DeserializeOwned + Validate>(req: &web_sys::Request, headers: &Headers, limit: u32) -> Result<T, ApiError> {
    let content_type = headers.get("Content-Type")?;
    if !is_json_content_type(content_type.as_deref()) {
        return Err(ApiError::UnsupportedMediaType { content_type });
    }
    let too_large = ApiError::PayloadTooLarge { limit_bytes: limit };
    let declared = headers.get("Content-Length")?.and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > u64::from(limit)) {
        return Err(too_large);
    }
    let body = match declared {
        // The runtime holds a body to its declared length, so it can be read in one go: one
        // promise instead of a reader's promise per chunk (and no body reads as empty).
        Some(_) => {
            let read = async { executor::settled(&req.array_buffer()?).await };
            js_sys::Uint8Array::new(&read.await.map_err(worker::Error::from)?).to_vec()
        }
        None if req.body().is_none() => Vec::new(),
        None => {
            let mut body = Vec::new();
            let mut stream = Request::from(Clone::clone(req)).stream()?;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                if body.len() + chunk.len() > limit as usize {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk);
            }
            body
        }
    };
    parse_json(&body)
}

/// Deserialises and validates; every failure is a 422 naming where in the body it is.
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |error| ApiError::Validation(vec![error]);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(&mut de).map_err(|e| invalid(json_error(bytes, &e)))?;
    de.end().map_err(|e| invalid(json_error(bytes, &e)))?;
    let mut errors = Vec::new();
    value.validate(&mut errors);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The 422 entry for serde_json's error on `body`: malformed JSON at the body, a shape error at
/// the field it names (found only then: `path_at` reads the body again).
fn json_error(body: &[u8], inner: &serde_json::Error) -> FieldError {
    let position = format!("line {} column {}", inner.line(), inner.column());
    if !matches!(inner.classify(), Category::Data) {
        return FieldError::body(&[], "json_invalid", format!("invalid JSON at {position}: {}", strip_position(inner)));
    }
    let mut path = json_path::path_at(body, inner.line(), inner.column());
    let message = strip_position(inner);
    // serde reports a missing field at its parent; name the field itself.
    let kind = match message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()) {
        Some(field) => {
            path.push(field.to_owned());
            "missing"
        }
        None => "json_type",
    };
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    FieldError::body(&path, kind, message)
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// For an app's tests: the `(loc, type)` of every 422 error `json` produces as a `T` body
/// (panics if `T` accepts it).
pub fn body_error_locs<T: DeserializeOwned + Validate + std::fmt::Debug>(json: &str) -> Vec<(String, &'static str)> {
    match parse_json::<T>(json.as_bytes()) {
        Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| (e.loc.join("."), e.kind)).collect(),
        other => panic!("{json}: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_given_twice_is_an_error() {
        let query = QueryParams::parse(Some("in=a&in=b&at=x"));
        assert_eq!(query.single("in").unwrap_err().kind, "multiple_values");
        assert_eq!((query.single("at"), query.single("nope")), (Ok(Some("x")), Ok(None)));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: String,
        #[allow(dead_code)]
        tags: Vec<u8>,
    }

    impl Validate for Item {
        fn validate(&self, errors: &mut Vec<FieldError>) {
            check_chars(errors, &["name"], &self.name, 1..=3);
        }
    }

    fn body_errors(json: &str) -> Vec<FieldError> {
        match parse_json::<Item>(json.as_bytes()) {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn json_content_types() {
        for ok in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json", " APPLICATION/VND.API+JSON ;q=1", "application/+json"] {
            assert!(is_json_content_type(Some(ok)), "{ok}");
        }
        for bad in [None, Some("text/plain"), Some("application/jsonx"), Some("multipart/form-data"), Some(""), Some("application"), Some("text/x+json"), Some("application/json+x")] {
            assert!(!is_json_content_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn parses_and_validates() {
        assert_eq!(parse_json::<Item>(br#"{"name":"ab","tags":[1]}"#).unwrap().name, "ab");
        let e = body_errors(r#"{"name":"abcd","tags":[]}"#);
        assert_eq!((e[0].loc.clone(), e[0].kind), (vec!["body".to_owned(), "name".to_owned()], "string_length"));
    }

    #[test]
    fn malformed_json_names_the_position() {
        for (json, position) in [(r#"{"name": }"#, "line 1 column 10"), ("", "line 1 column 0"), ("{\"name\":\"a\",\"tags\":[]}\n x", "line 2 column 2")] {
            let e = &body_errors(json)[0];
            assert_eq!((e.loc.as_slice(), e.kind), (&["body".to_owned()][..], "json_invalid"), "{json}");
            assert!(e.msg.contains(position), "{json}: {}", e.msg);
        }
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        let cases = [
            (r#"{"name":"a","tags":[1,"x"]}"#, vec!["body", "tags", "1"], "json_type"),
            (r#"{"name":"a"}"#, vec!["body", "tags"], "missing"),
            (r#"{"name":5,"tags":[]}"#, vec!["body", "name"], "json_type"),
            (r#"{"name":"a","tags":[],"extra":1}"#, vec!["body", "extra"], "json_type"),
        ];
        for (json, loc, kind) in cases {
            let e = &body_errors(json)[0];
            assert_eq!((e.loc.iter().map(String::as_str).collect::<Vec<_>>(), e.kind), (loc, kind), "{json}");
        }
    }
}
