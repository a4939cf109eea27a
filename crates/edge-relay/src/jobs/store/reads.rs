//! Reads of a job's results and of an owner's jobs.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;

use super::{JobRow, Result, Store, SUMMARY};
use crate::jobs::cursor::ListCursor;
use crate::jobs::model::JobStatus;

/// A finished item: its index and its result's size.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Finished {
    /// Its position in the job's requests.
    pub idx: u32,
    /// Its stored result's bytes.
    pub bytes: u64,
}

impl Store {
    /// Finished items in request order: `limit` of them after `offset`.
    pub(crate) async fn finished(&self, id: &str, offset: u32, limit: u32) -> Result<Vec<Finished>> {
        self.rows(
            "SELECT idx, coalesce(bytes, 0) AS bytes FROM job_items WHERE job_id = ?1 AND outcome != 'pending' ORDER BY idx LIMIT ?3 OFFSET ?2",
            &[id.into(), offset.into(), limit.into()],
        )
        .await
    }

    /// The indices of up to `limit` finished items from index `from` on, in request order.
    pub(crate) async fn finished_indices(&self, id: &str, from: u32, limit: u32) -> Result<Vec<u32>> {
        self.column(
            "SELECT idx AS value FROM job_items WHERE job_id = ?1 AND outcome != 'pending' AND idx >= ?2 ORDER BY idx LIMIT ?3",
            &[id.into(), from.into(), limit.into()],
        )
        .await
    }

    /// One page of the owner's jobs that have not passed their retention (`expired_before`),
    /// newest first, of one `status` or all, starting after `after`; `limit` + 1 are read, so
    /// the caller knows whether another page follows.
    pub(crate) async fn list(&self, owner: &str, status: Option<JobStatus>, after: Option<&ListCursor>, limit: u32, expired_before: f64) -> Result<Vec<JobRow>> {
        let (created_at, id) = after.map_or((f64::MAX, String::new()), |c| (c.created_at, c.id.clone()));
        let sql = format!(
            "SELECT {SUMMARY} FROM jobs WHERE owner = ?1 AND (?2 IS NULL OR status = ?2) AND (created_at, id) < (?3, ?4) \
             AND (finished_at IS NULL OR finished_at >= ?6) ORDER BY created_at DESC, id DESC LIMIT ?5"
        );
        let status = status.map_or(JsValue::NULL, |s| s.as_str().into());
        self.rows(&sql, &[owner.into(), status, created_at.into(), id.into(), (limit + 1).into(), expired_before.into()]).await
    }

    /// Up to `limit` results still held in D1 (stored before migration 0004): index and line.
    pub(crate) async fn results_in_d1(&self, id: &str, limit: u32) -> Result<Vec<(u32, String)>> {
        #[derive(Deserialize)]
        struct Row {
            idx: u32,
            result: String,
        }
        let rows: Vec<Row> = self
            .rows("SELECT idx, result FROM job_items WHERE job_id = ?1 AND result IS NOT NULL ORDER BY idx LIMIT ?2", &[id.into(), limit.into()])
            .await?;
        Ok(rows.into_iter().map(|r| (r.idx, r.result)).collect())
    }

    /// Notes that item `idx`'s result has moved to R2 as `bytes` bytes.
    pub(crate) async fn result_moved(&self, id: &str, idx: u32, bytes: usize) -> Result<()> {
        self.run("UPDATE job_items SET result = NULL, bytes = ?3 WHERE job_id = ?1 AND idx = ?2", &[id.into(), idx.into(), (bytes as f64).into()])
            .await
            .map(drop)
    }

    /// Notes that none of the job's results are left in D1.
    pub(crate) async fn results_moved(&self, id: &str) -> Result<()> {
        self.run("UPDATE jobs SET results_in_d1 = 0 WHERE id = ?1", &[id.into()]).await.map(drop)
    }
}
