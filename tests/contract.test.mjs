// The contract: Schemathesis (property-based, from the served /openapi.json) against the built
// worker with every binding — all operations, every check, a new seed each run (printed, to
// replay one: CONTRACT_SEED=… npm test), the stateful phase following the document's links
// (POST /jobs → GET /jobs/{id}), and nothing that changes what it generates: only the API key
// is added. 0 failures, in bounded time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { upstreamFixture } from './support/fixture.mjs';
import { API_KEY, startJobsWorker } from './support/jobs.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMATHESIS = path.join(ROOT, 'tests/contract/.venv/bin/schemathesis');
const SEED = process.env.CONTRACT_SEED || String(crypto.randomInt(1, 2 ** 31));
/** A bound on the whole run, far past its usual ~90 s: the runs are bounded by their case
 * counts, so a loaded machine makes them slower, never weaker. */
const BUDGET_MS = 300_000;

const fixture = upstreamFixture();

/** One Schemathesis process over `filter`; resolves to { code, output, generated }. */
function schemathesis(url, filter, { maxExamples, phases }) {
  const args = [
    '--config-file', path.join(ROOT, 'tests/contract/schemathesis.toml'),
    'run', `${url}/openapi.json`, ...filter,
    '--checks', 'all', '--seed', SEED, '--max-examples', String(maxExamples),
    '--header', `Authorization: Bearer ${API_KEY}`,
    // One worker per process: Hypothesis's source inspection is not thread-safe on Python 3.11.
    '--workers', '1',
    // /async-example waits up to 10 s by design.
    '--request-timeout', '20', '--max-response-time', '12',
    '--no-color', '--output-truncate', 'true', '--generation-database', 'none',
    ...(phases ? ['--phases', phases] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      cwd: ROOT,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUDGET_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, generated: Number(output.match(/(\d+) generated/)?.[1] ?? 0) });
    });
  });
}

test('Schemathesis: every operation, every check, 0 failures, ≥ 1000 cases', { timeout: BUDGET_MS + 30_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (replay: CONTRACT_SEED=${SEED} npm test)`);
  await fixture.start();
  const UPSTREAMS = {
    demo: { base_url: fixture.upstream.url, timeout_ms: 3000, methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] },
    webhook: { base_url: `${fixture.upstream.url}/webhook` },
  };
  const w = fixture.track(
    await startJobsWorker({
      UPSTREAMS: JSON.stringify(UPSTREAMS),
      UPSTREAM_URL: `${fixture.upstream.url}/json`,
      EVENTS_WEBHOOK: 'webhook',
      // Jobs may name a callback (to `demo`, which takes POST), as the document allows.
      JOBS_WEBHOOK_SECRET: `whsec_${crypto.randomBytes(32).toString('base64')}`,
    }),
  );
  const started = Date.now();
  // /async-example (up to 10 s per case) in a process of its own, beside all the others.
  const [rest, slow] = await Promise.all([
    schemathesis(w.url, ['--exclude-path', '/async-example'], { maxExamples: 100 }),
    schemathesis(w.url, ['--include-path', '/async-example'], { maxExamples: 10, phases: 'examples,coverage,fuzzing' }),
  ]);
  const seconds = (Date.now() - started) / 1000;
  const summary = (run) => run.output.split('\n').filter((l) => /generated|passed|failures|Phases|✅|❌|🚫/.test(l)).join('\n');
  t.diagnostic(`all but /async-example: ${rest.generated} cases\n${summary(rest)}`);
  t.diagnostic(`/async-example: ${slow.generated} cases\n${summary(slow)}`);
  t.diagnostic(`${rest.generated + slow.generated} cases in ${seconds.toFixed(0)} s`);
  assert.equal(rest.code, 0, `seed ${SEED}\n${rest.output}`);
  assert.equal(slow.code, 0, `seed ${SEED}\n${slow.output}`);
  assert.ok(rest.generated + slow.generated >= 1000, `${rest.generated + slow.generated} cases`);
  assert.match(rest.output, /✅ Stateful/, 'the stateful phase ran without errors');
  // Only the link from POST /jobs leads to a job that exists: a 200 for one proves it was followed.
  const reads = w.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => /^\/jobs\/[0-9a-f-]{36}$/.test(l.path ?? ''));
  assert.ok(reads.some((l) => l.method === 'GET' && l.status === 200), 'GET /jobs/{id} reached a job through the link');
});
