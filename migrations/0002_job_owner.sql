-- Jobs belong to their caller: `owner` is `jwt:{iss} {sub}` for a token or `key:{SHA-256}` for
-- an API key. Another caller gets 404 for the job, and Idempotency-Keys are scoped per owner.
-- SQLite cannot drop the old UNIQUE (idempotency_key), so both tables are rebuilt (items
-- first out, so no foreign key is ever broken; renaming jobs_owned to jobs repoints the
-- items' foreign key). Jobs created before this migration get the owner '' that no caller
-- has: they are no longer readable through the API.

CREATE TABLE jobs_owned (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request TEXT NOT NULL,
  total INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  error TEXT,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL,
  enqueued_at INTEGER,
  lease_until INTEGER NOT NULL,
  UNIQUE (owner, idempotency_key)
);

INSERT INTO jobs_owned (id, owner, idempotency_key, request, total, status, error, last_error, created_at, started_at, finished_at, updated_at, enqueued_at, lease_until)
  SELECT id, '', idempotency_key, request, total, status, error, last_error, created_at, started_at, finished_at, updated_at, enqueued_at, lease_until FROM jobs;

CREATE TABLE job_items_owned (
  job_id TEXT NOT NULL REFERENCES jobs_owned (id),
  idx INTEGER NOT NULL,
  outcome TEXT NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'succeeded', 'failed')),
  result TEXT,
  finished_at INTEGER,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;

INSERT INTO job_items_owned (job_id, idx, outcome, result, finished_at) SELECT job_id, idx, outcome, result, finished_at FROM job_items;

DROP TABLE job_items;

DROP TABLE jobs;

ALTER TABLE jobs_owned RENAME TO jobs;

ALTER TABLE job_items_owned RENAME TO job_items;

CREATE INDEX jobs_by_lease ON jobs (status, lease_until);
