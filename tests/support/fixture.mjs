// The usual set-up of a test file: a stub upstream for its tests, and the workers it starts
// cleaned up after them.
import { before, after } from 'node:test';
import { startUpstream } from './upstream.mjs';

/**
 * Starts one stub upstream before the file's tests; after them, disposes every worker passed
 * to `track` and closes the upstream. Read the upstream as `fixture.upstream`.
 */
export function upstreamFixture() {
  const workers = [];
  const fixture = {
    upstream: undefined,
    track(worker) {
      workers.push(worker);
      return worker;
    },
  };
  before(async () => {
    fixture.upstream = await startUpstream();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.dispose().catch(() => {})));
    await fixture.upstream?.close();
  });
  return fixture;
}
