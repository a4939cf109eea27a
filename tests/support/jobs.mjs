// The worker with the jobs bindings, as wrangler.toml declares them: a local D1 database with
// the migrations applied, the jobs queue (producer + consumer) and its dead-letter queue.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker } from './worker.mjs';
import { call } from './http.mjs';

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
export const API_KEY = 'test-key-1';
export const QUEUE = 'edge-relay-jobs';
export const DLQ = 'edge-relay-jobs-dlq';

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
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch([...statements.map((s) => db.prepare(s)), db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(name)]);
  }
}

/**
 * Starts the worker with the jobs bindings. `consumer: false` leaves the queue without a
 * consumer (messages wait, and are lost when the runtime stops, as on a crash); `persist`
 * keeps D1 in that directory across restarts; `lastMigration` applies the migrations only up
 * to that one.
 */
export async function startJobsWorker(vars = {}, { consumer = true, maxRetries = 2, persist, diagnostics = false, lastMigration } = {}) {
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
      ...(persist ? { resourcePersistencePath: persist } : {}),
      diagnostics,
    },
  );
  await applyMigrations(await worker.mf.getD1Database('JOBS_DB'), lastMigration);
  return worker;
}

export const auth = (key = API_KEY) => ({ authorization: `Bearer ${key}` });

export function submitJob(url, body, { key = 'k-' + Math.random().toString(36).slice(2), headers = auth() } = {}) {
  return call(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const getJob = (url, id, query = '', headers = auth()) => call(`${url}/jobs/${id}${query}`, { headers });

/** Polls the job until `done(job)` holds or `ms` pass; resolves to the last answer. */
export async function waitForJob(url, id, done = (job) => ['succeeded', 'failed'].includes(job.status), ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await getJob(url, id);
    if (res.status !== 200 || done(res.body) || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
}
