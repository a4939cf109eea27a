//! Upkeep: callback deliveries' state, and the ended jobs past their retention.

use serde::Deserialize;

use super::{JobRow, Result, Store, SUMMARY};

/// An ended job past its retention: what deleting it takes.
#[derive(Debug, Deserialize)]
pub struct Expired {
    /// Its id.
    pub id: String,
    /// Its items (and at most as many result objects).
    pub total: u32,
}

impl Store {
    /// Notes a delivery that the callback's upstream took.
    pub(crate) async fn callback_delivered(&self, id: &str, now: f64) -> Result<()> {
        self.run(
            "UPDATE jobs SET callback_state = 'delivered', callback_attempts = callback_attempts + 1, callback_error = NULL, updated_at = ?2 \
             WHERE id = ?1 AND callback_state = 'pending'",
            &[id.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// Notes a failed delivery that will be retried; the lease covers the wait.
    pub(crate) async fn callback_retry(&self, id: &str, error: &str, now: f64, lease_until: f64) -> Result<()> {
        self.run(
            "UPDATE jobs SET callback_attempts = callback_attempts + 1, callback_error = ?2, updated_at = ?3, lease_until = ?4 \
             WHERE id = ?1 AND callback_state = 'pending'",
            &[id.into(), error.into(), now.into(), lease_until.into()],
        )
        .await
        .map(drop)
    }

    /// Gives up on a callback whose retries are spent.
    pub(crate) async fn callback_failed(&self, id: &str, now: f64) -> Result<()> {
        self.run(
            "UPDATE jobs SET callback_state = 'failed', callback_error = coalesce(callback_error, 'every retry failed'), updated_at = ?2 \
             WHERE id = ?1 AND callback_state = 'pending'",
            &[id.into(), now.into()],
        )
        .await
        .map(drop)
    }

    /// Ended jobs whose callback is still pending and whose delivery's lease ran out.
    pub(crate) async fn stale_callbacks(&self, now: f64, limit: u32) -> Result<Vec<JobRow>> {
        self.rows(
            &format!("SELECT {SUMMARY} FROM jobs WHERE callback_state = 'pending' AND lease_until < ?1 AND finished_at IS NOT NULL LIMIT ?2"),
            &[now.into(), limit.into()],
        )
        .await
    }

    /// Ended jobs that ended before `cutoff` (epoch ms), oldest first; not one whose callback
    /// is still being delivered (it goes once delivered or given up).
    pub(crate) async fn expired(&self, cutoff: f64, limit: u32) -> Result<Vec<Expired>> {
        self.rows("SELECT id, total FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?1 AND coalesce(callback_state, '') != 'pending' \
             ORDER BY finished_at LIMIT ?2", &[cutoff.into(), limit.into()])
            .await
    }

    /// Deletes a job and its items (its results in R2 go first: see `Jobs::sweep`).
    pub(crate) async fn delete(&self, id: &str) -> Result<()> {
        let items = Self::statement("DELETE FROM job_items WHERE job_id = ?1", &[id.into()]);
        let job = Self::statement("DELETE FROM jobs WHERE id = ?1", &[id.into()]);
        self.batch(vec![items, job]).await.map(drop)
    }
}
