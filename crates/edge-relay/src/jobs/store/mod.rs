//! Job state in D1 (schema: `migrations/`). Every write that moves a job or an item is
//! conditional on its current state, so a message delivered twice, a retried request or a
//! second sweeper can never count an item twice or resurrect a finished job. Item counts are
//! kept on the job by a trigger; results live in R2 (`results`), D1 holds their sizes.

mod reads;
mod upkeep;
mod writes;

pub use reads::Finished;
pub use upkeep::Expired;
pub(crate) use writes::{Created, NewJob};

use serde::Deserialize;
use serde_json::value::RawValue;
use worker::js_sys;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

use crate::jobs::model::{rfc3339, Callback, CallbackState, CallbackView, JobStatus, JobView, Progress};
use crate::error::{js_error_message, ApiError};
use crate::executor;

/// Every column but the request (read only where the items are run).
pub(super) const SUMMARY: &str = "id, total, status, succeeded, failed, error, last_error, created_at, started_at, finished_at, \
     enqueued_at, lease_until, traceparent, tracestate, callback, callback_state, callback_attempts, callback_error, results_in_d1";
pub(super) const LIVE: &str = "status IN ('queued', 'running')";

/// A job as the store holds it; times are epoch milliseconds.
#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    /// Its id, a UUID.
    pub id: String,
    /// The normalised request body, JSON (empty where a read left it out).
    #[serde(default)]
    pub request: String,
    /// Its items.
    pub total: u32,
    /// Where it is.
    pub status: JobStatus,
    /// Items finished with a 2xx answer.
    pub succeeded: u32,
    /// Items finished otherwise.
    pub failed: u32,
    /// Why it failed, once it has.
    pub error: Option<String>,
    /// The failure its items are waiting to retry.
    pub last_error: Option<String>,
    /// When it was submitted.
    pub created_at: f64,
    /// When its first item ran.
    pub started_at: Option<f64>,
    /// When it ended.
    pub finished_at: Option<f64>,
    /// When its messages were sent; `None` until a send succeeded.
    pub enqueued_at: Option<f64>,
    /// When it counts as lost unless its work extends the lease first (or, once it has ended,
    /// its callback's delivery); a lost job is enqueued again.
    pub lease_until: f64,
    /// The trace of the request that submitted it (`Trace::as_parent`), which its items'
    /// calls join; `None` for a job stored before jobs kept it.
    pub traceparent: Option<String>,
    /// The submitting request's `tracestate`, passed on with the trace.
    pub tracestate: Option<String>,
    /// Its completion callback as JSON (`Callback`), if it named one.
    pub callback: Option<String>,
    /// How the callback's delivery goes.
    pub callback_state: Option<CallbackState>,
    /// Deliveries tried.
    pub callback_attempts: u32,
    /// How the latest failed delivery failed.
    pub callback_error: Option<String>,
    /// 1 while results stored before migration 0004 are still in D1.
    pub results_in_d1: u8,
}

impl JobRow {
    /// Its items, counted by outcome.
    pub fn progress(&self) -> Progress {
        let finished = self.succeeded + self.failed;
        Progress { total: self.total, pending: self.total.saturating_sub(finished), succeeded: self.succeeded, failed: self.failed }
    }

    /// The callback it names.
    pub(crate) fn callback_target(&self) -> Option<Callback> {
        serde_json::from_str(self.callback.as_deref()?).ok()
    }

    /// The job as the API shows it, without results.
    pub fn view(&self) -> JobView {
        let callback = self.callback_target().map(|c| CallbackView {
            upstream: c.upstream,
            path: c.path,
            state: self.callback_state.unwrap_or(CallbackState::Pending),
            attempts: self.callback_attempts,
            last_error: self.callback_error.clone(),
        });
        JobView {
            id: self.id.clone(),
            status: self.status,
            progress: self.progress(),
            created_at: rfc3339(self.created_at),
            started_at: self.started_at.map(rfc3339),
            finished_at: self.finished_at.map(rfc3339),
            error: self.error.clone(),
            last_error: self.last_error.clone().filter(|_| !self.status.is_terminal()),
            callback,
            results: None,
            next: None,
        }
    }
}

/// The D1 binding, driven through one small JS helper (below) instead of workers-rs's D1
/// wrapper, whose row conversion (serde-wasm-bindgen) cost, with the queue producer's, ~3 KB
/// of gzipped wasm.
pub struct Store(JsValue);

/// What one statement of a batch returned: its rows (a JSON array) and how many rows it changed.
#[derive(Deserialize)]
pub(super) struct Outcome(Box<RawValue>, usize);

impl Outcome {
    /// Rows the statement changed.
    pub(super) fn changes(&self) -> usize {
        self.1
    }
}

#[wasm_bindgen(module = "/src/jobs/store/store.mjs")]
extern "C" {
    /// Runs the statements in one batch (one transaction); resolves to `[[rows, changes], …]` as JSON.
    fn d1_batch(db: &JsValue, statements: js_sys::Array) -> js_sys::Promise;
}

pub(super) type Result<T> = std::result::Result<T, ApiError>;

fn unavailable(reason: impl std::fmt::Display) -> ApiError {
    let detail = format!("the job store (D1) failed: {reason}");
    // A database whose migrations were not (all) applied: say which command fixes it.
    if ["no such table", "no such column", "has no column named"].iter().any(|m| detail.contains(m)) {
        return ApiError::StoreNotMigrated { detail };
    }
    ApiError::StorageUnavailable { detail }
}

/// A `?N` argument that may be absent.
pub(super) fn nullable(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from)
}

impl Store {
    /// `binding` is the environment's D1 database object.
    pub(crate) fn new(binding: JsValue) -> Self {
        Store(binding)
    }

    /// One SQL statement and its `?N` arguments, as `d1_batch` takes it: `[sql, [args…]]`.
    pub(super) fn statement(sql: &str, args: &[JsValue]) -> js_sys::Array {
        js_sys::Array::of2(&JsValue::from(sql), &args.iter().collect::<js_sys::Array>())
    }

    pub(super) async fn batch(&self, statements: Vec<js_sys::Array>) -> Result<Vec<Outcome>> {
        let list: js_sys::Array = statements.into_iter().collect();
        let json = executor::settled(&d1_batch(&self.0, list)).await.map_err(|e| unavailable(js_error_message(&e)))?;
        serde_json::from_str(&json.as_string().unwrap_or_default()).map_err(unavailable)
    }

    pub(super) async fn run(&self, sql: &str, args: &[JsValue]) -> Result<Outcome> {
        self.batch(vec![Self::statement(sql, args)]).await?.pop().ok_or_else(|| unavailable("no result"))
    }

    pub(super) async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>> {
        Self::rows_of(&self.run(sql, args).await?)
    }

    /// The one column a query selects `AS value`, row by row.
    pub(super) async fn column<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>> {
        #[derive(Deserialize)]
        struct Row<T> {
            value: T,
        }
        Ok(self.rows::<Row<T>>(sql, args).await?.into_iter().map(|r| r.value).collect())
    }

    fn rows_of<T: for<'de> Deserialize<'de>>(outcome: &Outcome) -> Result<Vec<T>> {
        serde_json::from_str(outcome.0.get()).map_err(unavailable)
    }

    /// The rows the statement at `index` of a batch returned.
    pub(super) fn rows_at<T: for<'de> Deserialize<'de>>(results: &[Outcome], index: usize) -> Result<Vec<T>> {
        results.get(index).map_or(Ok(Vec::new()), Self::rows_of)
    }

    pub(super) fn first_row<T: for<'de> Deserialize<'de>>(results: &[Outcome], index: usize) -> Result<Option<T>> {
        Ok(Self::rows_at(results, index)?.into_iter().next())
    }

    /// The job `id` with every column (its request included), whoever owns it.
    pub(crate) async fn get(&self, id: &str) -> Result<Option<JobRow>> {
        Ok(self.rows(&format!("SELECT request, {SUMMARY} FROM jobs WHERE id = ?1"), &[id.into()]).await?.into_iter().next())
    }

    /// The owner's job, unless it has passed its retention (`expired_before`, epoch ms):
    /// another owner's, or an expired one, is as unknown as one that never existed.
    pub async fn get_owned(&self, id: &str, owner: &str, expired_before: f64) -> Result<Option<JobRow>> {
        let sql = format!("SELECT {SUMMARY} FROM jobs WHERE id = ?1 AND owner = ?2 AND (finished_at IS NULL OR finished_at >= ?3)");
        Ok(self.rows(&sql, &[id.into(), owner.into(), expired_before.into()]).await?.into_iter().next())
    }
}
