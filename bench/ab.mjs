// A/B of two workers on raw workerd (each an edge-relay build directory or a JS worker file): alternating rounds of wrk on one route, each
// build fresh per round; prints requests/s and workerd CPU time per request for both, per
// round and as medians of B/A. workerd is pinned to core 0, wrk and nginx to core 1, so the
// worker under test has a core to itself: throughput is then one core's worth of the worker.
//
//   node bench/ab.mjs --a /tmp/base-build --b build [--route /async-example] [--connections 64] [--rounds 5] [--seconds 4]
//   node bench/ab.mjs --a bench/js-worker.mjs --b build     edge-relay against the JS worker
//   node bench/ab.mjs --a A --b B --together   both loaded at once, sharing core 0 (steadier ratios)
//   node bench/ab.mjs --a build --b build --route /jobs/5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60 --auth-a key --auth-b EdDSA
//       the cost of verifying a JWT (cached key) against an API key on a guarded route
//       (--auth-*: none, key, RS256, ES256 or EdDSA; a local issuer serves the key set)
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, ROUTES, edgeModules, jsModules, sleep, startNginx, waitReady, workerConfig, wrk } from './servers.mjs';
import { claims, makeKey, sign, startIssuer } from '../tests/support/issuer.mjs';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string', default: path.join(ROOT, 'build') },
    route: { type: 'string', default: '/async-example' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
    'auth-a': { type: 'string', default: 'none' },
    'auth-b': { type: 'string', default: 'none' },
    together: { type: 'boolean', default: false },
    // Seconds of load before the measured run (default: as long as the run). V8 moves a wasm
    // function from Liftoff to TurboFan only after a budget of execution.
    warmup: { type: 'string' },
  },
});
if (!opts.a) throw new Error('--a DIR (the baseline build) is required');

const warmupSeconds = Number(opts.warmup ?? opts.seconds);
const route = ROUTES.find((r) => r.name === opts.route) ?? { path: opts.route };

/** With `--auth-*`: a local issuer of one key per algorithm, the vars that trust it and an API
 * key, and the `Authorization` value of each kind. */
const BENCH_KEY = 'bench-key';
let issuer;
const authorization = { none: '' };
if (opts['auth-a'] !== 'none' || opts['auth-b'] !== 'none') {
  const keys = ['RS256', 'ES256', 'EdDSA'].map((alg) => makeKey(alg, `bench-${alg}`));
  issuer = await startIssuer(keys);
  authorization.key = `Bearer ${BENCH_KEY}`;
  for (const key of keys) authorization[key.alg] = `Bearer ${sign(key, claims('bench-user', { scope: 'jobs:read jobs:write', exp: Math.floor(Date.now() / 1000) + 86_400 }))}`;
}
const vars = issuer ? { ...issuer.vars, API_KEYS: BENCH_KEY } : {};
for (const side of ['auth-a', 'auth-b']) {
  if (!(opts[side] in authorization)) throw new Error(`--${side}: one of ${Object.keys(authorization).join(', ')}`);
}

/** wrk on core 1, one thread, for `seconds`; resolves to { rps, requests }. */
async function load(url, auth = '', seconds = Number(opts.seconds)) {
  const s = await wrk(url + route.path, { connections: Number(opts.connections), seconds, threads: 1, body: route.body, cpu: 1, authorization: auth });
  return { rps: s.requests / (s.duration_us / 1e6), requests: s.requests };
}

/** User + system CPU seconds a process has used so far. */
async function cpuSeconds(pid) {
  const fields = (await fs.readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Starts the workers of `configs`, loads them all at once (a warm-up, then the measured run)
 * and returns { rps, cpuUs } for each: throughput and workerd CPU microseconds per request.
 * One config has core 0 to itself; two (`--together`) share it, so whatever slows the machine
 * during a round slows both alike and the ratio of their CPU per request is steadier than that
 * of back-to-back runs (requests/s is then each one's share of the core). */
async function measure(...configs) {
  const children = configs.map((config) => config.start());
  try {
    await Promise.all(children.map((child, i) => waitReady(`${configs[i].url}/healthz`, child)));
    await Promise.all(configs.map((config) => load(config.url, config.auth, warmupSeconds)));
    const before = await Promise.all(children.map((child) => cpuSeconds(child.pid)));
    const runs = await Promise.all(configs.map((config) => load(config.url, config.auth)));
    const after = await Promise.all(children.map((child) => cpuSeconds(child.pid)));
    return runs.map(({ rps, requests }, i) => ({ rps, cpuUs: ((after[i] - before[i]) * 1e6) / requests }));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** One worker alone on core 0. */
const alone = async (config) => (await measure(config))[0];

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
/** The middle half of `xs` (first to third quartile): how far one round's ratio can be trusted. */
const middleHalf = (xs) => {
  const sorted = [...xs].sort((x, y) => x - y);
  const at = (q) => sorted[Math.round((sorted.length - 1) * q)].toFixed(3);
  return `${at(0.25)}–${at(0.75)}`;
};
/** A build directory's modules, or a single JS worker module. */
const modules = (target) =>
  target.endsWith('.js') || target.endsWith('.mjs')
    ? jsModules(path.resolve(target))
    : edgeModules(path.resolve(target));
// nginx shares wrk's core: the worker under test has core 0 to itself.
const nginx = await startNginx(1);
try {
  const a = { ...(await workerConfig('ab-a', nginx.url, modules(opts.a), 0, vars)), auth: authorization[opts['auth-a']] };
  const b = { ...(await workerConfig('ab-b', nginx.url, modules(opts.b), 0, vars)), auth: authorization[opts['auth-b']] };
  const rps = [];
  const cpu = [];
  const cpuDiff = [];
  for (let round = 1; round <= Number(opts.rounds); round++) {
    // Alternate which goes first, so drift hits both alike.
    const [ra, rb] = opts.together
      ? await measure(a, b)
      : round % 2
        ? [await alone(a), await alone(b)]
        : [await alone(b), await alone(a)].reverse();
    rps.push(rb.rps / ra.rps);
    cpu.push(rb.cpuUs / ra.cpuUs);
    cpuDiff.push(rb.cpuUs - ra.cpuUs);
    console.log(
      `round ${round}: A ${ra.rps.toFixed(0)} req/s ${ra.cpuUs.toFixed(0)} µs CPU/req, B ${rb.rps.toFixed(0)} req/s ${rb.cpuUs.toFixed(0)} µs CPU/req`,
    );
  }
  console.log(
    `${opts.route} at ${opts.connections} connections, ${rps.length} rounds: B/A requests/s median ${median(rps).toFixed(3)}, ` +
      `B/A CPU per request median ${median(cpu).toFixed(3)} (middle half ${middleHalf(cpu)}), B−A ${median(cpuDiff).toFixed(1)} µs`,
  );
} finally {
  nginx.child.kill('SIGTERM');
  await issuer?.close();
  await sleep(100);
}
