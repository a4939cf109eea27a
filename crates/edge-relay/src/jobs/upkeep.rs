//! The cron sweep: re-enqueues jobs and callback deliveries whose message was lost, and
//! deletes ended jobs and their results once their retention has passed, a bounded batch per
//! run (the next run goes on where this one stopped).

use super::Jobs;
use crate::context::now_ms;
use crate::error::ApiError;

/// Jobs one sweep re-enqueues at most (and, apart, callbacks, and expired jobs it deletes):
/// each costs a few calls to Cloudflare's services, and one invocation may make ~1,000.
const SWEEP_LIMIT: u32 = 50;
/// Result objects one sweep deletes at most (a job is deleted whole, so the last one may pass it).
const DELETE_BUDGET: u32 = 20_000;

/// What one sweep did, for its log line.
#[derive(Debug, Default)]
pub(crate) struct Swept {
    /// Jobs whose pending items were enqueued again.
    pub resumed: u32,
    /// Callback deliveries enqueued again.
    pub callbacks: u32,
    /// Jobs deleted with their results.
    pub deleted: u32,
    /// Jobs a step failed for (each is found again by the next run).
    pub failed: u32,
    /// The first of those failures, for the log.
    pub error: Option<String>,
}

impl Swept {
    /// Counts a job whose step failed; the sweep goes on with the others.
    fn failed(&mut self, job: &str, e: ApiError) {
        self.failed += 1;
        self.error.get_or_insert_with(|| format!("job {job}: {}", e.log_detail()));
    }
}

impl Jobs {
    /// One run of the cron sweep. A job whose step fails is left for the next run; the others
    /// go on.
    pub(crate) async fn sweep(&self) -> Result<Swept, ApiError> {
        let mut swept = Swept::default();
        let now = now_ms();
        for job in self.store.stale(now, SWEEP_LIMIT).await? {
            match self.resume(&job).await {
                Ok(resumed) => swept.resumed += u32::from(resumed),
                Err(e) => swept.failed(&job.id, e),
            }
        }
        for job in self.store.stale_callbacks(now, SWEEP_LIMIT).await? {
            let claimed = self.store.claim(&job.id, job.lease_until, now, self.lease_from(now, 0)).await;
            match claimed {
                Ok(true) => match self.enqueue_callback(&job).await {
                    Ok(()) => swept.callbacks += 1,
                    Err(e) => swept.failed(&job.id, e),
                },
                Ok(false) => {}
                Err(e) => swept.failed(&job.id, e),
            }
        }
        let mut budget = DELETE_BUDGET;
        for job in self.store.expired(self.expired_before(), SWEEP_LIMIT).await? {
            if budget == 0 {
                break;
            }
            // Results first: a job row left behind by a failure here is found again next run.
            let deleted = async { self.results.delete(&job.id, job.total).await?; self.store.delete(&job.id).await };
            match deleted.await {
                Ok(()) => swept.deleted += 1,
                Err(e) => swept.failed(&job.id, e),
            }
            budget = budget.saturating_sub(job.total.max(1));
        }
        Ok(swept)
    }
}
