//! Typed extraction of request input, with field-level errors for the 422 response.

use std::ops::RangeInclusive;

use worker::url::form_urlencoded;

use crate::error::FieldError;

/// A request's decoded query parameters, in order.
#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: Option<&str>) -> Self {
        QueryParams(form_urlencoded::parse(query.unwrap_or("").as_bytes()).into_owned().collect())
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

    /// An optional integer parameter that must lie in `range`.
    pub fn optional_u32(&self, name: &str, range: RangeInclusive<u32>) -> Result<Option<u32>, FieldError> {
        let Some(raw) = self.single(name)? else {
            return Ok(None);
        };
        // An optional '-' then digits only: `from_str` alone would also take a leading '+'.
        let digits = raw.strip_prefix('-').unwrap_or(raw);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::query(name, "int_parsing", "must be a whole number", Some(raw)));
        }
        match raw.parse::<i64>() {
            Ok(n) if (i64::from(*range.start())..=i64::from(*range.end())).contains(&n) => Ok(Some(n as u32)),
            _ => Err(FieldError::query(
                name,
                "range",
                format!("must be between {} and {}", range.start(), range.end()),
                Some(raw),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(query: &str) -> Result<Option<u32>, FieldError> {
        QueryParams::parse(Some(query)).optional_u32("delay_ms", 0..=10_000)
    }

    #[test]
    fn absent_is_none() {
        assert_eq!(QueryParams::parse(None).optional_u32("delay_ms", 0..=10).unwrap(), None);
        assert_eq!(delay("other=1").unwrap(), None);
    }

    #[test]
    fn accepts_bounds() {
        assert_eq!(delay("delay_ms=0").unwrap(), Some(0));
        assert_eq!(delay("delay_ms=10000").unwrap(), Some(10_000));
        assert_eq!(delay("x=y&delay_ms=250").unwrap(), Some(250));
    }

    #[test]
    fn rejects_non_integers() {
        for q in ["delay_ms=", "delay_ms=abc", "delay_ms=1.5", "delay_ms=%2B5", "delay_ms=1e3", "delay_ms=%205"] {
            let e = delay(q).unwrap_err();
            assert_eq!(e.kind, "int_parsing", "{q}");
            assert_eq!(e.loc, vec!["query", "delay_ms"]);
        }
    }

    #[test]
    fn rejects_out_of_range() {
        for q in ["delay_ms=10001", "delay_ms=-1", "delay_ms=99999999999999999999"] {
            let e = delay(q).unwrap_err();
            assert_eq!(e.kind, "range", "{q}");
            assert_eq!(e.msg, "must be between 0 and 10000");
        }
    }

    #[test]
    fn rejects_repeats() {
        assert_eq!(delay("delay_ms=1&delay_ms=2").unwrap_err().kind, "multiple_values");
    }

    #[test]
    fn error_keeps_decoded_input() {
        assert_eq!(delay("delay_ms=a%20b").unwrap_err().input.as_deref(), Some("a b"));
    }
}
