//! The cron sweep: re-enqueues jobs and callback deliveries whose message was lost, and
//! deletes ended jobs and their results once their retention has passed, a bounded batch per
//! run (the next run goes on where this one stopped).

use serde::Serialize;

use super::Jobs;
use crate::context::now_ms;
use crate::error::ApiError;

/// Jobs one sweep re-enqueues at most (and, apart, callbacks).
const SWEEP_LIMIT: u32 = 100;
/// Expired jobs one sweep looks at.
const EXPIRED_LIMIT: u32 = 100;
/// Result objects one sweep deletes at most (a job is deleted whole, so the last one may pass it).
const DELETE_BUDGET: u32 = 20_000;

/// What one sweep did, for its log line.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Swept {
    /// Jobs whose pending items were enqueued again.
    pub resumed: u32,
    /// Callback deliveries enqueued again.
    pub callbacks: u32,
    /// Jobs deleted with their results.
    pub deleted: u32,
}

impl Jobs {
    /// One run of the cron sweep.
    pub(crate) async fn sweep(&self) -> Result<Swept, ApiError> {
        let mut swept = Swept::default();
        let now = now_ms();
        for job in self.store.stale(now, SWEEP_LIMIT).await? {
            swept.resumed += u32::from(self.resume(&job).await?);
        }
        for job in self.store.stale_callbacks(now, SWEEP_LIMIT).await? {
            if self.store.claim(&job.id, job.lease_until, now, self.lease_from(now, 0)).await? {
                self.enqueue_callback(&job).await?;
                swept.callbacks += 1;
            }
        }
        let mut budget = DELETE_BUDGET;
        for job in self.store.expired(self.expired_before(), EXPIRED_LIMIT).await? {
            if budget == 0 {
                break;
            }
            // Results first: a job row left behind by a failure here is found again next run.
            self.results.delete(&job.id, job.total).await?;
            self.store.delete(&job.id).await?;
            budget = budget.saturating_sub(job.total.max(1));
            swept.deleted += 1;
        }
        Ok(swept)
    }
}
