// The worker with the jobs bindings, as wrangler.toml declares them: a local D1 database with
// the migrations applied, the jobs queue (producer + consumer) and its dead-letter queue, and
// the R2 bucket that holds item results.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from './worker.mjs';
import { assertNoInternals, call } from './http.mjs';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
export const API_KEY = 'test-key-1';
export const QUEUE = 'edge-relay-jobs';
export const DLQ = 'edge-relay-jobs-dlq';
export const RESULTS_BUCKET = 'edge-relay-jobs-results';

/**
 * Applies `migrations/*.sql` not yet applied (those named up to `last`, if given), recording
 * them in the table wrangler's `d1 migrations apply` uses, so both see the same history.
 */
export async function applyMigrations(db, last = '\uffff') {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)',
  );
  const applied = new Set((await db.prepare('SELECT name FROM d1_migrations').all()).results.map((r) => r.name));
  for (const name of (await fs.readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort()) {
    if (applied.has(name) || name > last) continue;
    const sql = await fs.readFile(path.join(MIGRATIONS, name), 'utf8');
    const statements = sql
      .replace(/--.*$/gm, '')
      .split(/;\s*$/m) // a trigger's body holds semicolons, never at a line's end
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(name)]);
  }
}

/**
 * Starts the worker with the jobs bindings. `consumer: false` leaves the queue without a
 * consumer (messages wait, and are lost when the runtime stops, as on a crash); `persist`
 * keeps D1 and R2 in that directory across restarts; `lastMigration` applies the migrations
 * only up to that one; `results: false` leaves out the R2 bucket.
 */
export async function startJobsWorker(vars = {}, { consumer = true, maxRetries = 2, persist, diagnostics = false, lastMigration, results = true } = {}) {
  const consumers = consumer
    ? {
        [QUEUE]: { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries, deadLetterQueue: DLQ },
        [DLQ]: { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 5 },
      }
    : {};
  const worker = await startWorker(
    { API_KEYS: `${API_KEY},other-key`, JOBS_RETRY_DELAY_S: '0', ...vars },
    {
      d1Databases: { JOBS_DB: 'edge-relay-jobs-test' },
      queueProducers: { JOBS_QUEUE: QUEUE },
      queueConsumers: consumers,
      ...(results ? { r2Buckets: { JOBS_RESULTS: RESULTS_BUCKET } } : {}),
      ...(persist ? { resourcePersistencePath: persist } : {}),
      diagnostics,
    },
  );
  await applyMigrations(await worker.mf.getD1Database('JOBS_DB'), lastMigration);
  return worker;
}

export const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });

/** The owner the app records for an API key's jobs: `key:` and the key's SHA-256 in hex. */
export const ownerOf = (key = API_KEY) => `key:${crypto.createHash('sha256').update(key).digest('hex')}`;

export function submitJob(url, body, { key = 'k-' + Math.random().toString(36).slice(2), headers = auth() } = {}) {
  return call(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const getJob = (url, id, query = '', headers = auth()) => call(`${url}/jobs/${id}${query}`, { headers });

/** `DELETE /jobs/{id}`: cancels the job. */
export const cancelJob = (url, id, headers = auth()) => call(`${url}/jobs/${id}`, { method: 'DELETE', headers });

/** `GET /jobs` with `query` (e.g. `?status=succeeded&limit=2`, or a `next` path's query). */
export const listJobs = (url, query = '', headers = auth()) => call(`${url}/jobs${query}`, { headers });

/**
 * `GET /jobs/{id}/results`: { status, headers, text, lines, body }, `lines` being the NDJSON
 * lines without their newlines (`body` is the problem, if one came back). `timeoutMs` bounds
 * the whole read, for the long streams of large jobs.
 */
export async function jobResults(url, id, { headers = auth(), timeoutMs = 20_000, from } = {}) {
  const query = from === undefined ? '' : `?from=${from}`;
  const res = await fetch(`${url}/jobs/${id}/results${query}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body;
  if (res.headers.get('content-type') === 'application/problem+json') {
    assertNoInternals(text);
    body = JSON.parse(text);
  }
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  return { status: res.status, headers: res.headers, text, lines, body };
}

/**
 * Every response of a job's results, following each `Link: <…>; rel="next"`; resolves to
 * { responses, lines } (each response as `jobResults` gives it, at most `max` of them).
 */
export async function allJobResults(url, id, { headers = auth(), timeoutMs = 20_000, max = 100 } = {}) {
  const responses = [];
  let from;
  for (;;) {
    const res = await jobResults(url, id, { headers, timeoutMs, from });
    responses.push(res);
    const next = res.headers.get('link')?.match(/^<\/jobs\/[0-9a-f-]+\/results\?from=(\d+)>; rel="next"$/);
    if (res.status !== 200 || !next || responses.length >= max) return { responses, lines: responses.flatMap((r) => r.lines) };
    from = Number(next[1]);
  }
}

/** Statuses after which a job no longer changes. */
export const ENDED = ['succeeded', 'failed', 'cancelled'];

/**
 * Polls the job (as the caller `headers` name) every `every` ms until `done(job)` holds or `ms`
 * pass; resolves to the last answer (at once if it is not a 200).
 */
export async function waitForJob(url, id, done = (job) => ENDED.includes(job.status), ms = 15_000, every = 50, headers = auth()) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await getJob(url, id, '', headers);
    if (res.status !== 200 || done(res.body) || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Polls the async `check` until it resolves truthy or `ms` pass; resolves to its last result. */
export async function until(check, ms = 5000) {
  for (const deadline = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 50))) {
    const result = await check();
    if (result || Date.now() > deadline) return result;
  }
}
