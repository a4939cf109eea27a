// A/B of two workers on raw workerd (each an edge-relay build directory or a JS worker file): alternating rounds of wrk on one route, each
// build fresh per round; prints requests/s and workerd CPU time per request for both, per
// round and as medians of B/A. workerd is pinned to core 0, wrk and nginx to core 1, so the
// worker under test has a core to itself: throughput is then one core's worth of the worker.
//
//   node bench/ab.mjs --a /tmp/base-build --b build [--route /async-example] [--connections 64] [--rounds 5] [--seconds 4]
//   node bench/ab.mjs --a bench/js-worker.mjs --b build     edge-relay against the JS worker
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, ROUTES, edgeModules, sleep, startNginx, waitReady, workerConfig, wrk } from './servers.mjs';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: path.join(ROOT, 'build') },
    route: { type: 'string', default: '/async-example' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
  },
});
if (!opts.a) throw new Error('--a DIR (the baseline build) is required');

const route = ROUTES.find((r) => r.name === opts.route) ?? { path: opts.route };

/** wrk on core 1, one thread; resolves to { rps, requests }. */
async function load(url) {
  const s = await wrk(url + route.path, { connections: Number(opts.connections), seconds: Number(opts.seconds), threads: 1, body: route.body, cpu: 1 });
  return { rps: s.requests / (s.duration_us / 1e6), requests: s.requests };
}

/** User + system CPU seconds a process has used so far. */
async function cpuSeconds(pid) {
  const fields = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** { rps, cpuUs }: throughput and workerd CPU microseconds per request, after a warm-up. */
async function measure(config) {
  const child = config.start();
  try {
    await waitReady(`${config.url}/healthz`, child);
    await load(config.url); // warm-up at the same load
    const before = await cpuSeconds(child.pid);
    const { rps, requests } = await load(config.url);
    const cpuUs = ((await cpuSeconds(child.pid)) - before) * 1e6 / requests;
    return { rps, cpuUs };
  } finally {
    await child.stop();
  }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
/** A build directory's modules, or a single JS worker module. */
const modules = (target) =>
  target.endsWith('.js') || target.endsWith('.mjs')
    ? [{ name: 'worker.js', kind: 'esModule', file: path.resolve(target) }]
    : edgeModules(path.resolve(target));
// nginx shares wrk's core: the worker under test has core 0 to itself.
const nginx = await startNginx(1);
try {
  const a = await workerConfig('ab-a', nginx.url, modules(opts.a), 0);
  const b = await workerConfig('ab-b', nginx.url, modules(opts.b), 0);
  const rps = [];
  const cpu = [];
  for (let round = 1; round <= Number(opts.rounds); round++) {
    // Alternate which goes first, so drift hits both alike.
    const [ra, rb] = round % 2 ? [await measure(a), await measure(b)] : [await measure(b), await measure(a)].reverse();
    rps.push(rb.rps / ra.rps);
    cpu.push(rb.cpuUs / ra.cpuUs);
    console.log(
      `round ${round}: A ${ra.rps.toFixed(0)} req/s ${ra.cpuUs.toFixed(0)} µs CPU/req, B ${rb.rps.toFixed(0)} req/s ${rb.cpuUs.toFixed(0)} µs CPU/req`,
    );
  }
  console.log(
    `${opts.route} at ${opts.connections} connections, ${rps.length} rounds: B/A requests/s median ${median(rps).toFixed(3)}, ` +
      `B/A CPU per request median ${median(cpu).toFixed(3)}`,
  );
} finally {
  nginx.child.kill('SIGTERM');
  await sleep(100);
}
