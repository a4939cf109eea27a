//! An app's own problems: what a `From<E> for ApiError` of the app's error type builds.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::ApiError;

/// An app's own problem: its status, `type` URI and title, and optionally a detail, extension
/// members and response headers. An app's error type becomes one in its `From<E> for ApiError`:
///
/// ```
/// use edge_relay::error::{ApiError, AppProblem};
///
/// enum ShopError { OutOfStock { sku: String, restock_days: u32 } }
///
/// impl From<ShopError> for ApiError {
///     fn from(e: ShopError) -> ApiError {
///         match e {
///             ShopError::OutOfStock { sku, restock_days } => AppProblem::new(409, "urn:shop:problem:out-of-stock", "Out of stock")
///                 .detail(format!("{sku} is sold out"))
///                 .member("sku", &sku)
///                 .member("restock_days", restock_days)
///                 .into(),
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AppProblem {
    pub(super) status: u16,
    pub(super) kind: &'static str,
    pub(super) title: &'static str,
    pub(super) detail: String,
    pub(super) members: Members,
    pub(super) headers: Vec<(&'static str, String)>,
}

/// A problem's extension members, each kept as the JSON it was given as.
#[derive(Debug, Clone, Default)]
pub struct Members(Vec<(String, Box<RawValue>)>);

/// Equal when they hold the same members as the same JSON text, in the same order.
impl PartialEq for Members {
    fn eq(&self, other: &Members) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|((a, x), (b, y))| a == b && x.get() == y.get())
    }
}

impl Members {
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The members RFC 9457 and this library define, which an extension member may not replace.
const PROBLEM_MEMBERS: [&str; 8] = ["type", "title", "status", "detail", "instance", "errors", "upstream_status", "trace_id"];

impl AppProblem {
    /// A problem with `status` (an error status: anything else answers 500), a `type` URI
    /// that identifies it (e.g. `urn:shop:problem:out-of-stock` or an https URL documenting
    /// it) and a short `title`, the same for every occurrence.
    pub fn new(status: u16, kind: &'static str, title: &'static str) -> AppProblem {
        let status = if (400..=599).contains(&status) { status } else { 500 };
        AppProblem { status, kind, title, detail: String::new(), members: Members::default(), headers: Vec::new() }
    }

    /// What happened this time, for the client to read.
    pub fn detail(mut self, detail: impl Into<String>) -> AppProblem {
        self.detail = detail.into();
        self
    }

    /// An extension member (RFC 9457 §3.2), e.g. `("balance", 30)`. A standard member's name
    /// (`type`, `status`, `instance`, …) is not replaced, nor one given before: such a member
    /// is left out (as is a value that is not JSON, e.g. a map with non-string keys).
    pub fn member(mut self, name: &str, value: impl Serialize) -> AppProblem {
        let taken = PROBLEM_MEMBERS.contains(&name) || self.members.0.iter().any(|(n, _)| n == name);
        if let (false, Ok(value)) = (taken, serde_json::value::to_raw_value(&value)) {
            self.members.0.push((name.to_owned(), value));
        }
        self
    }

    /// A header the problem's response carries (e.g. `Retry-After`).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> AppProblem {
        self.headers.push((name, value.into()));
        self
    }
}

impl From<AppProblem> for ApiError {
    fn from(problem: AppProblem) -> ApiError {
        ApiError::App(Box::new(problem))
    }
}
