//! The cursor of `GET /jobs`' pages: where the next page starts, opaque to clients.

use serde::Deserialize;

use super::model::is_job_id;

/// Where a page of `GET /jobs` starts: after the job created at `created_at` with `id`
/// (newest first, so at older ones). Clients see it as an opaque `cursor`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListCursor {
    /// The last listed job's creation time (epoch ms).
    pub created_at: f64,
    /// The last listed job's id.
    pub id: String,
}

/// A cursor as `GET /jobs` takes it: the creation time in milliseconds, `_`, the job id.
pub const CURSOR_PATTERN: &str = "^[0-9]{1,15}_[0-9a-f-]{36}$";

impl ListCursor {
    /// The cursor a `next` link carries, or `None` for text that is not one.
    pub fn parse(text: &str) -> Option<ListCursor> {
        let (time, id) = text.split_once('_')?;
        let digits = (1..=15).contains(&time.len()) && time.bytes().all(|b| b.is_ascii_digit());
        if !digits || !is_job_id(id) {
            return None;
        }
        Some(ListCursor { created_at: time.parse::<u64>().ok()? as f64, id: id.to_owned() })
    }
}

/// Read from a query parameter: anything but a cursor from a `next` link is refused.
impl<'de> Deserialize<'de> for ListCursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ListCursor::parse(&text).ok_or_else(|| serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &"a cursor from a `next` link"))
    }
}

/// A string of [`CURSOR_PATTERN`], so the document states what the reader accepts.
impl utoipa::PartialSchema for ListCursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(CURSOR_PATTERN))
            .description(Some("Where the page starts: the `cursor` of a `next` link, as it is"))
            .into()
    }
}

impl utoipa::ToSchema for ListCursor {}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.created_at as u64, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = ListCursor { created_at: 1_795_634_096_789.0, id: "0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10".into() };
        assert_eq!(cursor.to_string(), "1795634096789_0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10");
        assert_eq!(ListCursor::parse(&cursor.to_string()), Some(cursor));
        let pattern = regex::Regex::new(CURSOR_PATTERN).unwrap();
        assert!(pattern.is_match("1795634096789_0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10"));
        for bad in ["", "x_0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10", "1_nope", "1795634096789", "1234567890123456_0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10"] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }
}
