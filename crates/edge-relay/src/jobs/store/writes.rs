//! Writes that move a job or an item, each conditional on the state it moves from.

use worker::wasm_bindgen::JsValue;

use super::{nullable, JobRow, Result, Store, LIVE, SUMMARY};
use crate::error::ApiError;

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
    /// The completion callback as JSON.
    pub callback: Option<&'a str>,
    /// Queued or running jobs the owner may have: past it, nothing is inserted.
    pub max_active: u32,
}

/// What `create` found under the owner's key.
pub(crate) enum Created {
    /// The key's job: the one just inserted, or the one it already named.
    Job(JobRow),
    /// No job: the owner already has this many queued or running jobs.
    QuotaFull(u32),
}

impl Store {
    /// Inserts the job and its pending items unless the owner's key is taken or the owner is at
    /// its quota of live jobs (one transaction, so two submits cannot both take the last
    /// place); returns that key's job either way, so the caller can tell a replay from a new job.
    pub(crate) async fn create(&self, job: &NewJob<'_>) -> Result<Created> {
        let (id, request, owner) = (JsValue::from(job.id), JsValue::from(job.request), JsValue::from(job.owner));
        let insert_job = Self::statement(
            &format!(
                "INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, updated_at, lease_until, traceparent, tracestate, \
                 callback, callback_state) \
                 SELECT ?1, ?7, ?2, ?3, ?4, 'queued', ?5, ?5, ?6, ?8, ?9, ?10, CASE WHEN ?10 IS NULL THEN NULL ELSE 'pending' END \
                 WHERE (SELECT count(*) FROM jobs WHERE owner = ?7 AND {LIVE}) < ?11 ON CONFLICT (owner, idempotency_key) DO NOTHING"
            ),
            &[
                id.clone(),
                job.idempotency_key.into(),
                request.clone(),
                job.total.into(),
                job.now.into(),
                job.lease_until.into(),
                owner.clone(),
                job.traceparent.into(),
                nullable(job.tracestate),
                nullable(job.callback),
                job.max_active.into(),
            ],
        );
        let insert_items = Self::statement(
            "INSERT INTO job_items (job_id, idx) SELECT ?1, key FROM json_each(?2, '$.requests') \
             WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?1)",
            &[id, request],
        );
        let select = Self::statement(
            &format!("SELECT request, {SUMMARY} FROM jobs WHERE owner = ?1 AND idempotency_key = ?2"),
            &[owner.clone(), job.idempotency_key.into()],
        );
        let active = Self::statement(&format!("SELECT count(*) AS value FROM jobs WHERE owner = ?1 AND {LIVE}"), &[owner]);
        let results = self.batch(vec![insert_job, insert_items, select, active]).await?;
        if let Some(job) = Self::first_row(&results, 2)? {
            return Ok(Created::Job(job));
        }
        #[derive(serde::Deserialize)]
        struct Count {
            value: u32,
        }
        let active = Self::first_row::<Count>(&results, 3)?.map_or(0, |c| c.value);
        if active >= job.max_active {
            return Ok(Created::QuotaFull(active));
        }
        Err(ApiError::StorageUnavailable { detail: "the job store lost a job it had just written".into() })
    }

    pub(crate) async fn mark_enqueued(&self, id: &str, now: f64) -> Result<()> {
        self.run("UPDATE jobs SET enqueued_at = ?2 WHERE id = ?1", &[id.into(), now.into()]).await.map(drop)
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
        let select = Self::statement(&format!("SELECT request, {SUMMARY} FROM jobs WHERE id = ?1 AND status = 'running'"), &[id.into()]);
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

    /// Records a finished item whose result (`bytes` long) is stored, only if it was still
    /// pending, and extends the job's lease; whether the job is still live (not cancelled).
    pub(crate) async fn record_item(&self, id: &str, idx: u32, outcome: &str, bytes: usize, now: f64, lease_until: f64) -> Result<bool> {
        let item = Self::statement(
            "UPDATE job_items SET outcome = ?3, bytes = ?4, finished_at = ?5 WHERE job_id = ?1 AND idx = ?2 AND outcome = 'pending'",
            &[id.into(), idx.into(), outcome.into(), (bytes as f64).into(), now.into()],
        );
        let lease = Self::statement(
            &format!("UPDATE jobs SET updated_at = ?2, lease_until = ?3 WHERE id = ?1 AND {LIVE}"),
            &[id.into(), now.into(), lease_until.into()],
        );
        let results = self.batch(vec![item, lease]).await?;
        Ok(results.get(1).is_some_and(|r| r.changes() > 0))
    }

    /// Whether the job is still queued or running.
    pub(crate) async fn is_live(&self, id: &str) -> Result<bool> {
        Ok(!self.column::<u8>(&format!("SELECT 1 AS value FROM jobs WHERE id = ?1 AND {LIVE}"), &[id.into()]).await?.is_empty())
    }

    /// Ends a live job as succeeded once no item is pending; whether this call did it. Its
    /// lease then covers the callback's delivery.
    pub(crate) async fn finish_if_done(&self, id: &str, now: f64, lease_until: f64) -> Result<bool> {
        let result = self
            .run(
                &format!(
                    "UPDATE jobs SET status = 'succeeded', finished_at = ?2, updated_at = ?2, lease_until = ?3, last_error = NULL \
                     WHERE id = ?1 AND {LIVE} AND succeeded + failed >= total"
                ),
                &[id.into(), now.into(), lease_until.into()],
            )
            .await?;
        Ok(result.changes() > 0)
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

    /// Ends a live job as failed; whether this call did it.
    pub(crate) async fn fail(&self, id: &str, reason: &str, now: f64, lease_until: f64) -> Result<bool> {
        let result = self
            .run(
                &format!(
                    "UPDATE jobs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3, lease_until = ?4 WHERE id = ?1 AND {LIVE}"
                ),
                &[id.into(), reason.into(), now.into(), lease_until.into()],
            )
            .await?;
        Ok(result.changes() > 0)
    }

    /// Cancels the owner's live job; the job as it is afterwards (`None`: no such job of
    /// theirs) and whether this call cancelled it.
    pub(crate) async fn cancel(&self, id: &str, owner: &str, now: f64, lease_until: f64) -> Result<Option<(JobRow, bool)>> {
        let update = Self::statement(
            &format!(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?3, updated_at = ?3, lease_until = ?4 WHERE id = ?1 AND owner = ?2 AND {LIVE}"
            ),
            &[id.into(), owner.into(), now.into(), lease_until.into()],
        );
        let select = Self::statement(&format!("SELECT {SUMMARY} FROM jobs WHERE id = ?1 AND owner = ?2"), &[id.into(), owner.into()]);
        let results = self.batch(vec![update, select]).await?;
        let cancelled = results.first().is_some_and(|r| r.changes() > 0);
        Ok(Self::first_row::<JobRow>(&results, 1)?.map(|job| (job, cancelled)))
    }

    /// Live jobs whose lease ran out, oldest first.
    pub(crate) async fn stale(&self, now: f64, limit: u32) -> Result<Vec<JobRow>> {
        self.rows(&format!("SELECT {SUMMARY} FROM jobs WHERE {LIVE} AND lease_until < ?1 ORDER BY lease_until LIMIT ?2"), &[now.into(), limit.into()])
            .await
    }

    /// Takes over a stale job (or a stale callback delivery) by moving its lease from `seen` to
    /// `lease_until`; only one of several concurrent callers wins.
    pub(crate) async fn claim(&self, id: &str, seen: f64, now: f64, lease_until: f64) -> Result<bool> {
        let result = self
            .run(
                "UPDATE jobs SET lease_until = ?4, updated_at = ?3 WHERE id = ?1 AND lease_until = ?2 \
                 AND (status IN ('queued', 'running') OR callback_state = 'pending')",
                &[id.into(), seen.into(), now.into(), lease_until.into()],
            )
            .await?;
        Ok(result.changes() > 0)
    }
}
