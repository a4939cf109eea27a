// `npm run bench`: edge-relay vs a plain JS worker (both on raw workerd) vs FastAPI + uvicorn,
// same routes, same nginx upstream, loaded with wrk on 127.0.0.1, plus the Rust floor
// (bench/floor: the cheapest wasm worker this toolchain makes) on /async-example, the JS
// worker's behaviour in plain Rust (bench/plain) on /async-example and /aggregate, and a relay
// cell: a 100 MiB body passed through by edge-relay and the JS worker (MiB/s, CPU per MiB).
// Servers alternate inside every round so drift hits all equally; results are figures and ratios.
//
//   npm run bench                      full run (~8 min): 2 rounds, concurrency 1, 16, 64, 256
//   npm run bench -- --quick           smoke run (~30 s): proves the harness works, not speed
//   npm run bench -- --rounds 3 --duration 5 --concurrency 16,64
//   npm run bench -- --build DIR --routes /async-example   another edge-relay build (before/after),
//                                                           some routes only
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  ROOT, OUT, ROUTES as ALL_ROUTES, RELAY_BYTES, RELAY_PATH, sleep, waitReady, peakRssKb, currentRssKb, cpuMs, startNginx, workerConfigs, startFastApi, wrk,
} from './servers.mjs';
import { writeReports } from './report.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const QUICK = args.includes('--quick');
const ROUNDS = Number(flag('rounds', QUICK ? 1 : 2));
// The smoke run asserts every server finishes requests on every route, so its load stays where
// even FastAPI's /aggregate (slow from ~50 concurrent upstream calls) finishes some in a cell.
const DURATION_S = Number(flag('duration', QUICK ? 2 : 4));
const WARMUP_S = 1;
const CONCURRENCY = flag('concurrency', QUICK ? '4' : '1,16,64,256').split(',').map(Number);
// Start-up differs by several ms between runs of the same server: many short runs, each
// server's time read against the JS worker's in the same turn.
const STARTUP_RUNS = QUICK ? 1 : 21;
const BUILD = path.resolve(flag('build', path.join(ROOT, 'build')));
// A custom build or route set is an experiment: its report stays out of bench/results.
const EXPERIMENT = args.includes('--build') || args.includes('--routes');
const RESULTS = path.join(ROOT, QUICK ? 'bench/out/quick' : EXPERIMENT ? 'bench/out/experiment' : 'bench/results');

const ROUTES = ALL_ROUTES.filter((r) => flag('routes', r.name).split(',').includes(r.name));

function run(command, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}: ${out}`))));
  });
}

/** One wrk run; resolves to its summary plus the server's peak RSS during the run. */
async function load(url, route, connections, seconds, pid) {
  let rssKb = 0;
  const sampler = setInterval(async () => (rssKb = Math.max(rssKb, await currentRssKb(pid))), 100);
  try {
    const s = await wrk(url + route.path, { connections, seconds, body: route.body });
    rssKb = Math.max(rssKb, await currentRssKb(pid));
    return {
      rps: s.requests / (s.duration_us / 1e6),
      p50_ms: s.p50_us / 1000,
      p99_ms: s.p99_us / 1000,
      errors: s.errors,
      requests: s.requests,
      rss_mb: rssKb / 1024,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Checks every route a server has (`serves`, default all) answers correctly before it is measured. */
async function verify(name, url, serves = [...ALL_ROUTES.map((r) => r.name), RELAY_PATH]) {
  const check = async (route, init, test) => {
    if (!serves.includes(route)) return;
    const res = await fetch(url + route, init);
    const body = await res.json();
    if (res.status !== 200 || !test(body)) throw new Error(`${name} ${route}: ${res.status} ${JSON.stringify(body)}`);
  };
  await check('/async-example', {}, (b) => b.message === 'Async operation completed');
  await check('/external-api', {}, (b) => b.title === 'edge-relay benchmark document');
  if (name !== 'fastapi' && serves.includes(RELAY_PATH)) {
    const relayed = await fetch(url + RELAY_PATH).then((r) => r.arrayBuffer());
    if (relayed.byteLength !== RELAY_BYTES) throw new Error(`${name} ${RELAY_PATH}: ${relayed.byteLength} bytes`);
  }
  const items = Array.from({ length: 6 }, (_, i) => ({ id: `v${i}`, upstream: 'bench', path: `/delay/100?verify=${i}` }));
  await check(
    '/aggregate',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requests: items }) },
    (b) => b.results.length === 6 && b.results.every((r) => r.status === 200),
  );
}

/** The relay cell: connections downloading the 100 MiB body at once. */
const RELAY_CONNECTIONS = 2;

/** One relay run: throughput, and the server's CPU per MiB relayed. */
async function relayRun(url, pid, seconds) {
  const before = await cpuMs(pid);
  const result = await load(url, { path: RELAY_PATH }, RELAY_CONNECTIONS, seconds, pid);
  const cpu = (await cpuMs(pid)) - before;
  const mib = (result.requests * RELAY_BYTES) / 2 ** 20;
  return { mib_s: mib / seconds, cpu_ms_per_mib: mib ? cpu / mib : NaN, requests: result.requests, errors: result.errors, rss_mb: result.rss_mb };
}

/** The routes of the servers that have only some (the floor answers one constant body). */
const SERVES = { floor: ['/async-example'], plain: ['/async-example', '/aggregate'] };

async function startupTimes(configs) {
  const times = { edge: [], js: [], floor: [], plain: [] };
  const keys = Object.keys(times);
  for (let i = 0; i < STARTUP_RUNS; i++) {
    for (const key of [...keys.slice(i % keys.length), ...keys.slice(0, i % keys.length)]) {
      const started = performance.now();
      const child = configs[key].start();
      await waitReady(`${configs[key].url}/healthz`, child, 30_000, 1);
      times[key].push(performance.now() - started);
      await child.stop();
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const againstJs = (a) => median(a.map((ms, i) => ms / times.js[i]));
  return {
    runs: STARTUP_RUNS,
    edge_ms: median(times.edge),
    js_ms: median(times.js),
    floor_ms: median(times.floor),
    plain_ms: median(times.plain),
    edge_vs_js: againstJs(times.edge),
    floor_vs_js: againstJs(times.floor),
    plain_vs_js: againstJs(times.plain),
  };
}

async function main() {
  await fs.mkdir(OUT, { recursive: true });
  console.log(`[bench] ${QUICK ? 'quick' : 'full'} run: ${ROUNDS} round(s) × ${DURATION_S}s, concurrency ${CONCURRENCY.join(', ')}`);
  const wasm = await fs.readFile(path.join(BUILD, 'index_bg.wasm'));
  const size = { wasm_raw: wasm.length, wasm_gzip: zlib.gzipSync(wasm, { level: 9 }).length };

  const nginx = await startNginx();
  const configs = await workerConfigs(nginx.url, BUILD);
  const startup = await startupTimes(configs);
  const servers = {};
  const stopAll = async () => Promise.all(Object.values(servers).map((s) => s.child.stop()).concat(nginx.child.stop()));
  process.on('SIGINT', () => stopAll().then(() => process.exit(130)));
  try {
    for (const key of ['edge', 'js', 'floor', 'plain']) {
      const child = configs[key].start();
      await waitReady(`${configs[key].url}/healthz`, child);
      servers[key] = { url: configs[key].url, child };
    }
    servers.fastapi = await startFastApi(nginx.url);
    const names = { edge: 'edge-relay', js: 'js-worker', floor: 'rust-floor', plain: 'rust-plain', fastapi: 'fastapi' };
    for (const [key, s] of Object.entries(servers)) await verify(names[key], s.url, SERVES[key]);

    // A server still working through requests wrk abandoned (FastAPI after an overload keeps
    // processing them for minutes) would spoil the next cell: wait for it to answer health
    // checks promptly, and restart it if it does not within 10 s.
    const restart = {
      edge: async () => ({ child: configs.edge.start() }),
      js: async () => ({ child: configs.js.start() }),
      floor: async () => ({ child: configs.floor.start() }),
      plain: async () => ({ child: configs.plain.start() }),
      fastapi: () => startFastApi(nginx.url),
    };
    const settle = async (key) => {
      const s = servers[key];
      const deadline = performance.now() + 10_000;
      while (performance.now() < deadline) {
        const t = performance.now();
        const ok = await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
        if (ok && performance.now() - t < 50) return;
        await sleep(200);
      }
      console.log(`[bench] ${names[key]} still busy after 10 s: restarting it`);
      await s.child.stop();
      Object.assign(s, await restart[key]());
      await waitReady(`${s.url}/healthz`, s.child);
      restarts[names[key]] = (restarts[names[key]] ?? 0) + 1;
    };

    const restarts = {};
    const samples = [];
    const order = Object.keys(servers);
    for (let round = 0; round < ROUNDS; round++) {
      for (const route of ROUTES) {
        for (const c of CONCURRENCY) {
          // Rotate who goes first each round and step, so drift hits every server alike.
          const shift = (round + CONCURRENCY.indexOf(c)) % order.length;
          for (const key of [...order.slice(shift), ...order.slice(0, shift)]) {
            if (SERVES[key] && !SERVES[key].includes(route.name)) continue;
            const s = servers[key];
            await settle(key);
            await load(s.url, route, c, WARMUP_S, s.child.pid);
            const result = await load(s.url, route, c, DURATION_S, s.child.pid);
            samples.push({ round, server: names[key], route: route.name, concurrency: c, ...result });
            process.stdout.write(`[bench] r${round} ${route.name} c=${c} ${names[key]}: ${result.rps.toFixed(0)} req/s p99 ${result.p99_ms.toFixed(1)} ms\n`);
          }
        }
      }
    }
    // The relay cell: edge-relay and the JS worker pass the same 100 MiB body through.
    const relay = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const key of round % 2 ? ['js', 'edge'] : ['edge', 'js']) {
        const s = servers[key];
        await settle(key);
        await relayRun(s.url, s.child.pid, WARMUP_S);
        const result = await relayRun(s.url, s.child.pid, DURATION_S);
        relay.push({ round, server: names[key], ...result });
        process.stdout.write(`[bench] r${round} relay ${names[key]}: ${result.mib_s.toFixed(0)} MiB/s, ${result.cpu_ms_per_mib.toFixed(2)} ms CPU per MiB\n`);
      }
    }
    const peak = {};
    for (const [key, s] of Object.entries(servers)) peak[names[key]] = (await peakRssKb(s.child.pid)) / 1024;
    const machine = { cpus: (await fs.readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.+)/)?.[1], cores: (await run('nproc', [])).trim(), node: process.version };
    const report = await writeReports(RESULTS, { quick: QUICK, rounds: ROUNDS, duration_s: DURATION_S, concurrency: CONCURRENCY, size, startup, peak_rss_mb: peak, restarts, machine, samples, relay, relay_connections: RELAY_CONNECTIONS });
    console.log(report);
    // The smoke run asserts the harness works: every cell served requests without errors.
    // A full run reports what happened in the table instead (an overloaded FastAPI may not
    // finish a single request in a cell).
    const failed = QUICK ? [...samples, ...relay].filter((s) => s.requests === 0 || s.errors > 0) : [];
    if (failed.length) {
      console.error(`[bench] ${failed.length} run(s) failed: ${JSON.stringify(failed)}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    await sleep(50);
  }
}

await main();
