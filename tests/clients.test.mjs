// The generated clients (`npm run sdk`, scripts/sdk.mjs): generated again from the checked-in
// document, they must equal what is checked in; a TypeScript program type-checks against the
// TypeScript client with `tsc --strict`; the Python client calls the built worker. (The browser
// test calls the API through the TypeScript client.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENTS, DOCUMENT, PYTHON_PROJECT, TYPESCRIPT_SCHEMA, generateClients } from '../scripts/sdk.mjs';
import { startWorker } from './support/worker.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every file under `dir` (relative paths), without bytecode caches. */
async function filesUnder(dir) {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.parentPath.includes('__pycache__'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

test('the clients in clients/ are what `npm run sdk` makes of the document', async () => {
  const fresh = await fs.mkdtemp(path.join(os.tmpdir(), 'clients-'));
  try {
    await generateClients(fresh);
    const expected = [TYPESCRIPT_SCHEMA, ...(await filesUnder(path.join(fresh, PYTHON_PROJECT))).map((f) => path.join(PYTHON_PROJECT, f))];
    const checkedIn = [TYPESCRIPT_SCHEMA, ...(await filesUnder(path.join(CLIENTS, PYTHON_PROJECT))).map((f) => path.join(PYTHON_PROJECT, f))];
    assert.deepEqual(checkedIn, expected, 'the files differ: run `npm run sdk`');
    assert.ok(expected.length > 20, 'a whole Python package');
    for (const file of expected) {
      const [now, then] = await Promise.all([fs.readFile(path.join(fresh, file), 'utf8'), fs.readFile(path.join(CLIENTS, file), 'utf8')]);
      assert.ok(now === then, `clients/${file} is out of date: run \`npm run sdk\``);
    }
  } finally {
    await fs.rm(fresh, { recursive: true, force: true });
  }
});

test('a route added to the document appears in both clients', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'clients-'));
  try {
    const doc = JSON.parse(await fs.readFile(DOCUMENT, 'utf8'));
    doc.paths['/greetings/{name}'] = {
      get: {
        operationId: 'greeting',
        summary: 'Greets name',
        description: 'A route added as the README shows.',
        tags: ['examples'],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The greeting', content: { 'application/json': { schema: { $ref: '#/components/schemas/Message' } } } } },
      },
    };
    await fs.writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc));
    await generateClients(dir, path.join(dir, 'openapi.json'));
    assert.match(await fs.readFile(path.join(dir, TYPESCRIPT_SCHEMA), 'utf8'), /"\/greetings\/\{name\}": \{[\s\S]*?get: operations\["greeting"\]/);
    const python = await fs.readFile(path.join(dir, PYTHON_PROJECT, 'edge_relay_client/api/examples/greeting.py'), 'utf8');
    assert.match(python, /def sync\(\n\s+name: str,\n\s+\*,\n\s+client: AuthenticatedClient \| Client,\n\) -> Message \| None:/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a program against the TypeScript client type-checks with tsc --strict', () => {
  const tsc = spawnSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tests/clients/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});

test('the Python client calls the worker: typed answers, a 422 naming its field', async () => {
  const worker = await startWorker();
  try {
    const python = spawnSync(path.join(CLIENTS, '.venv/bin/python'), ['tests/clients/python_calls.py', worker.url], {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: path.join(CLIENTS, PYTHON_PROJECT), PYTHONDONTWRITEBYTECODE: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(python.status, 0, python.stderr);
    assert.deepEqual(JSON.parse(python.stdout), {
      health: 'ok',
      message: 'Async operation completed',
      problem: { status: 422, errors: [{ loc: ['query', 'delay_ms'], type: 'range' }] },
    });
  } finally {
    await worker.dispose();
  }
});
