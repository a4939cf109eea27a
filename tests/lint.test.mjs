// The OpenAPI documents' lint (Redocly CLI, the rules in redocly.yaml): both documents pass with
// 0 errors, and each rule the lint states catches the fault it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APP_DOCUMENT = path.join(ROOT, 'src/routes/openapi.json');

/** `redocly lint` over `args`; resolves to its JSON report ({ totals, problems }). */
function lint(...args) {
  const run = spawnSync(path.join(ROOT, 'node_modules/.bin/redocly'), ['lint', ...args, '--format=json'], { cwd: ROOT, encoding: 'utf8' });
  assert.ok(run.stdout.startsWith('{'), run.stderr);
  return { status: run.status, report: JSON.parse(run.stdout) };
}

for (const api of ['app', 'starter']) {
  test(`the ${api}'s document passes the lint: 0 errors, 0 warnings`, () => {
    const { status, report } = lint(api);
    assert.deepEqual(report.problems.map((p) => `${p.ruleId} ${p.location[0].pointer}`), []);
    assert.equal(report.totals.errors, 0);
    assert.equal(report.totals.warnings, 0);
    assert.equal(status, 0);
  });
}

/** The rules and places the lint reports for the app's document after `change` (a copy's). */
async function faultsAfter(change) {
  const doc = JSON.parse(await fs.readFile(APP_DOCUMENT, 'utf8'));
  change(doc);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lint-'));
  try {
    await fs.writeFile(path.join(dir, 'openapi.json'), JSON.stringify(doc, null, 2));
    const { status, report } = lint(path.join(dir, 'openapi.json'));
    const faults = report.problems.map((p) => `${p.ruleId} ${p.location[0].pointer}`);
    return { status, faults };
  } finally {
    await fs.rm(dir, { recursive: true });
  }
}

test('the lint names each fault its rules forbid', async () => {
  // A copy of the document as it is has no fault; each change below makes exactly one.
  assert.deepEqual((await faultsAfter(() => {})).faults, []);
  const added = async (change) => {
    const { status, faults } = await faultsAfter(change);
    assert.notEqual(status, 0);
    return faults;
  };
  assert.deepEqual(await added((doc) => { doc.paths['/jobs'].post.operationId = 'aggregate'; }),
    ['operation-operationId-unique #/paths/~1jobs/post/aggregate']);
  assert.deepEqual(await added((doc) => { delete doc.paths['/jobs'].post.description; }),
    ['operation-description #/paths/~1jobs/post/description']);
  assert.deepEqual(await added((doc) => {
    doc.paths['/jobs'].post.responses['202'].content['application/json'].schema = doc.components.schemas.JobAccepted;
  }), ['rule/json-schema-named #/paths/~1jobs/post/responses/202/content/application~1json/schema']);
  assert.deepEqual(await added((doc) => { doc.paths['/async-example'].get.parameters[0].in = 'body'; }),
    ['struct #/paths/~1async-example/get/parameters/0/in']);
});
