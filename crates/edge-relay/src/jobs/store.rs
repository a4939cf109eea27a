//! Job state in D1 (schema: `migrations/`). Every write that moves a job or an item is
//! conditional on its current state, so a message delivered twice, a retried request or a
//! second sweeper can never count an item twice or resurrect a finished job.

use serde::Deserialize;
use serde_json::value::RawValue;
use worker::js_sys;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

use super::model::{JobStatus, Progress};
use crate::error::{js_error_message, ApiError};
use crate::executor;

const COLUMNS: &str =
    "id, request, total, status, error, last_error, created_at, started_at, finished_at, enqueued_at, lease_until, traceparent, tracestate";
const LIVE: &str = "status IN ('queued', 'running')";

/// A job as the store holds it; times are epoch milliseconds.
#[derive(Debug, Clone, Deserialize)]
pub struct JobRow {
    /// Its id, a UUID.
    pub id: String,
    /// The normalised request body, JSON.
    pub request: String,
    /// Its items.
    pub total: u32,
    /// Where it is.
    pub status: JobStatus,
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
    /// When it counts as lost unless its work extends the lease first; a lost job is
    /// enqueued again.
    pub lease_until: f64,
    /// The trace of the request that submitted it (`Trace::as_parent`), which its items'
    /// calls join; `None` for a job stored before jobs kept it.
    pub traceparent: Option<String>,
    /// The submitting request's `tracestate`, passed on with the trace.
    pub tracestate: Option<String>,
}

/// What `create` inserts.
pub(crate) struct NewJob<'a> {
    pub id: &'a str,
    /// Who submitted it: only they can read it, and their keys do not collide with others'.
    pub owner: &'a str,
    pub idempotency_key: &'a str,
    pub request: &'a str,
    pub total: u32,
    pub now: f64,
    pub lease_until: f64,
    pub traceparent: &'a str,
    pub tracestate: Option<&'a str>,
}

/// The D1 binding, driven through one small JS helper (below) instead of workers-rs's D1
/// wrapper, whose row conversion (serde-wasm-bindgen) cost, with the queue producer's, ~3 KB
/// of gzipped wasm.
pub struct Store(JsValue);

/// What one statement of a batch returned: its rows (a JSON array) and how many rows it changed.
#[derive(Deserialize)]
struct Outcome(Box<RawValue>, usize);

#[wasm_bindgen(module = "/src/jobs/store.mjs")]
extern "C" {
    /// Runs the statements in one batch (one transaction); resolves to `[[rows, changes], …]` as JSON.
    fn d1_batch(db: &JsValue, statements: js_sys::Array) -> js_sys::Promise;
}

type Result<T> = std::result::Result<T, ApiError>;

fn unavailable(reason: impl std::fmt::Display) -> ApiError {
    let detail = format!("the job store (D1) failed: {reason}");
    // A database whose migrations were not (all) applied: say which command fixes it.
    if ["no such table", "no such column", "has no column named"].iter().any(|m| detail.contains(m)) {
        return ApiError::StoreNotMigrated { detail };
    }
    ApiError::StorageUnavailable { detail }
}

impl Store {
    /// `binding` is the environment's D1 database object.
    pub(crate) fn new(binding: JsValue) -> Self {
        Store(binding)
    }

    /// One SQL statement and its `?N` arguments, as `d1_batch` takes it: `[sql, [args…]]`.
    fn statement(sql: &str, args: &[JsValue]) -> js_sys::Array {
        js_sys::Array::of2(&JsValue::from(sql), &args.iter().collect::<js_sys::Array>())
    }

    async fn batch(&self, statements: Vec<js_sys::Array>) -> Result<Vec<Outcome>> {
        let list: js_sys::Array = statements.into_iter().collect();
        let json = executor::settled(&d1_batch(&self.0, list)).await.map_err(|e| unavailable(js_error_message(&e)))?;
        serde_json::from_str(&json.as_string().unwrap_or_default()).map_err(unavailable)
    }

    async fn run(&self, sql: &str, args: &[JsValue]) -> Result<Outcome> {
        self.batch(vec![Self::statement(sql, args)]).await?.pop().ok_or_else(|| unavailable("no result"))
    }

    async fn rows<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>> {
        Self::rows_of(&self.run(sql, args).await?)
    }

    /// The one column a query selects `AS value`, row by row.
    async fn column<T: for<'de> Deserialize<'de>>(&self, sql: &str, args: &[JsValue]) -> Result<Vec<T>> {
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
    fn rows_at<T: for<'de> Deserialize<'de>>(results: &[Outcome], index: usize) -> Result<Vec<T>> {
        results.get(index).map_or(Ok(Vec::new()), Self::rows_of)
    }

    fn first_row<T: for<'de> Deserialize<'de>>(results: &[Outcome], index: usize) -> Result<Option<T>> {
        Ok(Self::rows_at(results, index)?.into_iter().next())
    }

    /// Inserts the job and its pending items unless the owner's key is taken (one
    /// transaction); returns that key's job either way, so the caller can tell a replay from
    /// a new job.
    pub(crate) async fn create(&self, job: &NewJob<'_>) -> Result<JobRow> {
        let (id, request) = (JsValue::from(job.id), JsValue::from(job.request));
        let insert_job = Self::statement(
            "INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, updated_at, lease_until, traceparent, tracestate) \
             VALUES (?1, ?7, ?2, ?3, ?4, 'queued', ?5, ?5, ?6, ?8, ?9) ON CONFLICT (owner, idempotency_key) DO NOTHING",
            &[
                id.clone(),
                job.idempotency_key.into(),
                request.clone(),
                job.total.into(),
                job.now.into(),
                job.lease_until.into(),
                job.owner.into(),
                job.traceparent.into(),
                job.tracestate.map_or(JsValue::NULL, JsValue::from),
            ],
        );
        let insert_items = Self::statement(
            "INSERT INTO job_items (job_id, idx) SELECT ?1, key FROM json_each(?2, '$.requests') \
             WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1)",
            &[id, request],
        );
        let select = Self::statement(
            &format!("SELECT {COLUMNS} FROM jobs WHERE owner = ?1 AND idempotency_key = ?2"),
            &[job.owner.into(), job.idempotency_key.into()],
        );
        let results = self.batch(vec![insert_job, insert_items, select]).await?;
        Self::first_row(&results, 2)?.ok_or_else(|| ApiError::StorageUnavailable { detail: "the job store lost a job it had just written".into() })
    }

    pub(crate) async fn get(&self, id: &str) -> Result<Option<JobRow>> {
        Ok(self.rows(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), &[id.into()]).await?.into_iter().next())
    }

    pub(crate) async fn mark_enqueued(&self, id: &str, now: f64) -> Result<()> {
        self.run("UPDATE jobs SET enqueued_at = ?2 WHERE id = ?1", &[id.into(), now.into()]).await.map(drop)
    }

    /// The owner's job and its item counts, read in one round trip; `None` for another's.
    pub async fn get_with_progress(&self, id: &str, owner: &str) -> Result<Option<(JobRow, Progress)>> {
        #[derive(Deserialize)]
        struct Count {
            outcome: String,
            n: u32,
        }
        let job = Self::statement(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1 AND owner = ?2"), &[id.into(), owner.into()]);
        let counts = Self::statement("SELECT outcome, count(*) AS n FROM job_items WHERE job_id = ?1 GROUP BY outcome", &[id.into()]);
        let results = self.batch(vec![job, counts]).await?;
        let Some(job) = Self::first_row::<JobRow>(&results, 0)? else {
            return Ok(None);
        };
        let counts: Vec<Count> = Self::rows_at(&results, 1)?;
        let mut progress = Progress { total: job.total, ..Progress::default() };
        for c in counts {
            match c.outcome.as_str() {
                "succeeded" => progress.succeeded = c.n,
                "failed" => progress.failed = c.n,
                _ => progress.pending = c.n,
            }
        }
        Ok(Some((job, progress)))
    }

    /// Finished items' result documents in request order: `limit` of them after `offset`.
    pub async fn results(&self, id: &str, offset: u32, limit: u32) -> Result<Vec<String>> {
        self.column(
            "SELECT result AS value FROM job_items WHERE job_id = ?1 AND outcome != 'pending' ORDER BY idx LIMIT ?3 OFFSET ?2",
            &[id.into(), offset.into(), limit.into()],
        )
        .await
    }

    /// Marks a live job running and extends its lease; `None` if it is gone or has ended.
    pub(crate) async fn start_chunk(&self, id: &str, now: f64, lease_until: f64) -> Result<Option<JobRow>> {
        let update = Self::statement(
            &format!(
                "UPDATE jobs SET status = 'running', started_at = coalesce(started_at, ?2), updated_at = ?2, lease_until = ?3 \
                 WHERE id = ?1 AND {LIVE}"
            ),
            &[id.into(), now.into(), lease_until.into()],
        );
        let select = Self::statement(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1 AND status = 'running'"), &[id.into()]);
        let results = self.batch(vec![update, select]).await?;
        Self::first_row(&results, 1)
    }

    /// Indices still pending, all of them or those in `range`.
    pub(crate) async fn pending(&self, id: &str, range: Option<(u32, u32)>) -> Result<Vec<u32>> {
        let (start, end) = range.unwrap_or((0, u32::MAX));
        self.column(
            "SELECT idx AS value FROM job_items WHERE job_id = ?1 AND outcome = 'pending' AND idx >= ?2 AND idx < ?3 ORDER BY idx",
            &[id.into(), start.into(), end.into()],
        )
        .await
    }

    /// Records a finished item (only if it was still pending) and extends the job's lease.
    pub(crate) async fn record_item(&self, id: &str, idx: u32, outcome: &str, result: &str, now: f64, lease_until: f64) -> Result<()> {
        let item = Self::statement(
            "UPDATE job_items SET outcome = ?3, result = ?4, finished_at = ?5 WHERE job_id = ?1 AND idx = ?2 AND outcome = 'pending'",
            &[id.into(), idx.into(), outcome.into(), result.into(), now.into()],
        );
        let lease = Self::statement(
            &format!("UPDATE jobs SET updated_at = ?2, lease_until = ?3 WHERE id = ?1 AND {LIVE}"),
            &[id.into(), now.into(), lease_until.into()],
        );
        self.batch(vec![item, lease]).await.map(drop)
    }

    /// Ends a live job as succeeded once no item is pending; whether this call did it.
    pub(crate) async fn finish_if_done(&self, id: &str, now: f64) -> Result<bool> {
        let result = self
            .run(
                &format!(
                    "UPDATE jobs SET status = 'succeeded', finished_at = ?2, updated_at = ?2, last_error = NULL WHERE id = ?1 AND {LIVE} \
                     AND NOT EXISTS (SELECT 1 FROM job_items WHERE job_id = ?1 AND outcome = 'pending')"
                ),
                &[id.into(), now.into()],
            )
            .await?;
        Ok(changes(&result) > 0)
    }

    /// Notes the failure a message will be retried for; the lease covers the wait.
    pub(crate) async fn note_retry(&self, id: &str, error: &str, now: f64, lease_until: f64) -> Result<()> {
        self.run(
            &format!("UPDATE jobs SET last_error = ?2, updated_at = ?3, lease_until = ?4 WHERE id = ?1 AND {LIVE}"),
            &[id.into(), error.into(), now.into(), lease_until.into()],
        )
        .await
        .map(drop)
    }

    pub(crate) async fn fail(&self, id: &str, reason: &str, now: f64) -> Result<bool> {
        let result = self
            .run(
                &format!("UPDATE jobs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1 AND {LIVE}"),
                &[id.into(), reason.into(), now.into()],
            )
            .await?;
        Ok(changes(&result) > 0)
    }

    /// Live jobs whose lease ran out, oldest first.
    pub(crate) async fn stale(&self, now: f64, limit: u32) -> Result<Vec<JobRow>> {
        self.rows(
            &format!("SELECT {COLUMNS} FROM jobs WHERE {LIVE} AND lease_until < ?1 ORDER BY lease_until LIMIT ?2"),
            &[now.into(), limit.into()],
        )
        .await
    }

    /// Takes over a stale job by moving its lease from `seen` to `lease_until`; only one of
    /// several concurrent callers wins.
    pub(crate) async fn claim(&self, id: &str, seen: f64, now: f64, lease_until: f64) -> Result<bool> {
        let result = self
            .run(
                &format!("UPDATE jobs SET lease_until = ?4, updated_at = ?3 WHERE id = ?1 AND lease_until = ?2 AND {LIVE}"),
                &[id.into(), seen.into(), now.into(), lease_until.into()],
            )
            .await?;
        Ok(changes(&result) > 0)
    }
}

fn changes(result: &Outcome) -> usize {
    result.1
}
