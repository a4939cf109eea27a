-- Jobs at scale: item results move to R2 (the JOBS_RESULTS bucket) and D1 keeps state, counts
-- and small metadata; a job can be cancelled, listed per owner, expired after its retention,
-- and can name a completion callback. SQLite cannot change a CHECK constraint in place, so both
-- tables are rebuilt as in 0002 (items first out, renames last), keeping 0003's trace columns.

CREATE TABLE jobs_v4 (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request TEXT NOT NULL,
  total INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- Finished items by outcome, kept by the job_item_finished trigger (pending = total - both).
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  enqueued_at INTEGER,
  -- While live: when the job counts as lost; once ended with a callback pending: when its
  -- delivery counts as lost. Either way the cron sweep enqueues it again.
  lease_until INTEGER NOT NULL,
  traceparent TEXT,
  tracestate TEXT,
  -- The completion callback, {"upstream": …, "path": …}, and how its delivery goes.
  callback TEXT,
  callback_state TEXT CHECK (callback_state IN ('pending', 'delivered', 'failed')),
  callback_attempts INTEGER NOT NULL DEFAULT 0,
  callback_error TEXT,
  -- 1 while some item's result is still in job_items.result (stored before this migration):
  -- the first read moves them to R2.
  results_in_d1 INTEGER NOT NULL DEFAULT 0,
  UNIQUE (owner, idempotency_key)
);

INSERT INTO jobs_v4 (id, owner, idempotency_key, request, total, status, succeeded, failed, error, last_error, created_at, started_at, finished_at, updated_at, enqueued_at, lease_until, traceparent, tracestate, results_in_d1)
  SELECT id, owner, idempotency_key, request, total, status,
    (SELECT count(*) FROM job_items WHERE job_id = jobs.id AND outcome = 'succeeded'),
    (SELECT count(*) FROM job_items WHERE job_id = jobs.id AND outcome = 'failed'),
    error, last_error, created_at, started_at, finished_at, updated_at, enqueued_at, lease_until, traceparent, tracestate,
    EXISTS (SELECT 1 FROM job_items WHERE job_id = jobs.id AND result IS NOT NULL)
  FROM jobs;

CREATE TABLE job_items_v4 (
  job_id TEXT NOT NULL REFERENCES jobs_v4 (id),
  idx INTEGER NOT NULL,
  -- An item is finished exactly once: writes only ever move it away from 'pending'.
  outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'succeeded', 'failed')),
  -- The size of its result object in R2 (pages of results are bounded by bytes).
  bytes INTEGER,
  -- A result stored before this migration; NULL once moved to R2.
  result TEXT,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;

INSERT INTO job_items_v4 (job_id, idx, outcome, bytes, result, finished_at)
  SELECT job_id, idx, outcome, length(CAST(result AS BLOB)), result, finished_at FROM job_items;

DROP TABLE job_items;

DROP TABLE jobs;

ALTER TABLE jobs_v4 RENAME TO jobs;

ALTER TABLE job_items_v4 RENAME TO job_items;

CREATE INDEX jobs_by_lease ON jobs (status, lease_until);

-- GET /jobs: an owner's jobs newest first, all or of one status; and the quota's count.
CREATE INDEX jobs_by_owner ON jobs (owner, created_at, id);

CREATE INDEX jobs_by_owner_status ON jobs (owner, status, created_at, id);

-- The retention sweep: ended jobs, oldest first; and the callbacks whose delivery was lost.
CREATE INDEX jobs_by_end ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE INDEX jobs_by_callback_lease ON jobs (lease_until) WHERE callback_state = 'pending';

-- Counts every item once, whatever path finishes it (a trigger's body is one line, so that a
-- statement splitter that cuts at line-ending semicolons keeps it whole).
CREATE TRIGGER job_item_finished AFTER UPDATE OF outcome ON job_items WHEN OLD.outcome = 'pending' AND NEW.outcome != 'pending' BEGIN UPDATE jobs SET succeeded = succeeded + (NEW.outcome = 'succeeded'), failed = failed + (NEW.outcome = 'failed') WHERE id = NEW.job_id; END;
