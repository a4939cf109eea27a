// The usual set-up of a test file: a stub upstream for its tests, and the workers it starts
// cleaned up after them.
import { before, after } from 'node:test';
import { startUpstream } from './upstream.mjs';

/**
 * Starts one stub upstream before the file's tests; after them, disposes every worker passed
 * to `track` and closes the upstream. Read the upstream as `fixture.upstream`, or await
 * `fixture.start()` in a file's own `before` hook (hooks do not wait for one another).
 */
export function upstreamFixture() {
  const workers = [];
  let starting;
  const fixture = {
    upstream: undefined,
    start() {
      starting ??= startUpstream().then((upstream) => (fixture.upstream = upstream));
      return starting;
    },
    track(worker) {
      workers.push(worker);
      return worker;
    },
  };
  before(() => fixture.start());
  after(async () => {
    await Promise.all(workers.map((w) => w.dispose().catch(() => {})));
    await fixture.upstream?.close();
  });
  return fixture;
}
