//! What an owner does with their jobs: read one and a page of its results, stream all its
//! results, cancel it, list their jobs.

use serde_json::value::RawValue;
use worker::web_sys;

use super::cursor::ListCursor;
use super::model::{is_job_id, JobList, JobStatus, JobView, PAGE_BYTES, RESULTS_PER_RESPONSE};
use super::rules::{fit_page, with_index};
use super::store::JobRow;
use super::{job_ended, Jobs};
use crate::context::now_ms;
use crate::error::{ApiError, AppProblem};
use crate::response::{Reply, Streamed};
use crate::upstream::relay::signal_of;

/// Results moved from D1 to R2 per round trip (each at most what a D1 row holds).
const MOVE_BATCH: u32 = 16;
/// Results moved from D1 to R2 by one request, at most: each costs two calls to Cloudflare's
/// services, which a request may only make so many of.
const MOVE_BUDGET: u32 = 200;

/// Longest wait for the results store's next chunk before a stream is cut off.
const STREAM_IDLE_MS: u32 = 30_000;

impl Jobs {
    /// The owner's job `id`: 404 `job-not-found` for an id that is not a job id, another
    /// owner's job or one past its retention.
    pub async fn read(&self, id: &str, owner: &str) -> Result<JobRow, ApiError> {
        let not_found = || ApiError::JobNotFound { id: id.to_owned() };
        if !is_job_id(id) {
            return Err(not_found());
        }
        self.store.get_owned(id, owner, self.expired_before()).await?.ok_or_else(not_found)
    }

    /// The job with one page of its finished items' results: `limit` after `offset`, fewer
    /// where the page would pass `PAGE_BYTES`; `next` reads on.
    pub async fn view_with_results(&self, job: &JobRow, offset: u32, limit: u32) -> Result<JobView, ApiError> {
        self.move_results_to_r2(job).await?;
        let finished = self.store.finished(&job.id, offset, limit).await?;
        let sizes: Vec<u64> = finished.iter().map(|f| f.bytes).collect();
        let indices: Vec<u32> = finished[..fit_page(&sizes, PAGE_BYTES)].iter().map(|f| f.idx).collect();
        let lines = self.results.read(&job.id, &indices).await?;
        let parsed: Result<Vec<Box<RawValue>>, _> = lines.into_iter().flatten().map(RawValue::from_string).collect();
        let results = parsed.map_err(|e| ApiError::Internal { detail: format!("a stored result of job {} is not JSON: {e}", job.id) })?;
        let shown = offset + indices.len() as u32;
        let mut view = job.view();
        if shown < job.succeeded + job.failed {
            view.next = Some(format!("/jobs/{}?offset={shown}&limit={limit}", job.id));
        }
        view.results = Some(results);
        Ok(view)
    }

    /// Up to `RESULTS_PER_RESPONSE` finished items' results from index `from` on, in request
    /// order, as an NDJSON stream read from R2 as the client takes it; a `Link` header names the
    /// response that goes on, when there is more. One response reads a bounded number of
    /// objects: a request may only make so many calls to R2.
    pub async fn results_stream(&self, job: &JobRow, from: u32, request: &web_sys::Request) -> Result<Reply, ApiError> {
        self.move_results_to_r2(job).await?;
        let mut indices = self.store.finished_indices(&job.id, from, RESULTS_PER_RESPONSE + 1).await?;
        let next = (indices.len() > RESULTS_PER_RESPONSE as usize).then(|| indices[RESULTS_PER_RESPONSE as usize]);
        indices.truncate(RESULTS_PER_RESPONSE as usize);
        let mut headers = vec![("Content-Type".to_owned(), "application/x-ndjson".to_owned())];
        if let Some(next) = next {
            headers.push(("Link".to_owned(), format!("</jobs/{}/results?from={next}>; rel=\"next\"", job.id)));
        }
        let streamed = Streamed {
            body: self.results.stream(&job.id, &indices),
            client_signal: signal_of(request),
            idle_ms: STREAM_IDLE_MS,
            headers,
            span: worker::wasm_bindgen::JsValue::NULL,
        };
        Ok(Reply::streamed(200, streamed))
    }

    /// Cancels the owner's queued or running job: pending items never run (a consumer checks
    /// before each item), running ones may finish and are kept. 409 for an ended job.
    pub async fn cancel(&self, id: &str, owner: &str) -> Result<JobView, ApiError> {
        let job = self.read(id, owner).await?;
        let now = now_ms();
        let (job, cancelled) = self.store.cancel(&job.id, owner, now, self.lease_from(now, 0)).await?.ok_or_else(|| ApiError::JobNotFound { id: id.to_owned() })?;
        if !cancelled {
            return Err(job_ended(id, job.status));
        }
        // Should the send fail, the sweep sends it once the lease runs out.
        if let Err(e) = self.enqueue_callback(&job).await {
            worker::console_warn!("{}", serde_json::json!({"event": "job_callback_enqueue", "job": job.id, "error": e.log_detail()}));
        }
        self.view_with_results(&job, 0, super::model::DEFAULT_PAGE).await
    }

    /// One page of the owner's jobs, newest first, of one `status` or all.
    pub async fn list(&self, owner: &str, status: Option<JobStatus>, limit: u32, after: Option<&ListCursor>) -> Result<JobList, ApiError> {
        let mut rows = self.store.list(owner, status, after, limit, self.expired_before()).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = rows.last().filter(|_| more).map(|last| {
            let cursor = ListCursor { created_at: last.created_at, id: last.id.clone() };
            let status = status.map_or(String::new(), |s| format!("&status={}", s.as_str()));
            format!("/jobs?limit={limit}{status}&cursor={cursor}")
        });
        Ok(JobList { jobs: rows.iter().map(JobRow::view).collect(), next })
    }

    /// Moves the results a job kept in D1 (stored before migration 0004) to R2, at most
    /// `MOVE_BUDGET` per request: a job with more left answers 503 with `Retry-After`, and the
    /// next request moves on.
    async fn move_results_to_r2(&self, job: &JobRow) -> Result<(), ApiError> {
        if job.results_in_d1 == 0 {
            return Ok(());
        }
        let mut moved = 0;
        while moved < MOVE_BUDGET {
            let batch = self.store.results_in_d1(&job.id, MOVE_BATCH).await?;
            if batch.is_empty() {
                return self.store.results_moved(&job.id).await;
            }
            for (idx, document) in batch {
                let line = with_index(idx, &document);
                self.results.put(&job.id, idx, &line).await?;
                self.store.result_moved(&job.id, idx, line.len()).await?;
                moved += 1;
            }
        }
        Err(AppProblem::new(503, "urn:edge-relay:problem:results-moving", "Results being moved")
            .detail(format!("job {}'s results, stored before this version, are being moved to the results store; retry", job.id))
            .header("Retry-After", "1")
            .into())
    }
}
