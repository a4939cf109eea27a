-- Durable jobs (POST /jobs): one row per job, one row per requested item.
-- Applied by `wrangler d1 migrations apply JOBS_DB` (scripts/dev.mjs does it with --local).

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  -- The request body, normalised: a replay with the same key must send the same request.
  request TEXT NOT NULL,
  total INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  -- Why the job failed (terminal), and the latest transient failure (while retrying).
  error TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  -- When its messages were last handed to the queue; NULL until the first send succeeds.
  enqueued_at INTEGER,
  -- A queued or running job whose lease has run out lost its message: it is re-enqueued.
  lease_until INTEGER NOT NULL
);

CREATE INDEX jobs_by_lease ON jobs (status, lease_until);

CREATE TABLE job_items (
  job_id TEXT NOT NULL REFERENCES jobs (id),
  idx INTEGER NOT NULL,
  -- An item is finished exactly once: writes only ever move it away from 'pending'.
  outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'succeeded', 'failed')),
  -- The item's result document (as in /aggregate), JSON.
  result TEXT,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
