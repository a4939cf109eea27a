// CPU profile of a worker under load: starts it on raw workerd with the V8 inspector on,
// drives one route with wrk, records a sampling profile over the inspector protocol, and
// prints where the time goes (self time by function, and by kind: wasm / JS glue / runtime).
//
//   node bench/profile.mjs [--build DIR] [--js] [--route /async-example] [--seconds 5] [--warmup 2] [--connections 64] [--callers NAME] [--inclusive TEXT]
//
// For function names in the wasm, profile an unstripped build:
//   CARGO_PROFILE_RELEASE_STRIP=false bash scripts/build.sh && cp -r build /tmp/prof-build
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OUT, ROOT, ROUTES, freePort, sleep, startNginx, waitReady, workerConfigs, wrk } from './servers.mjs';

const { values: opts } = parseArgs({
  options: {
    build: { type: 'string', default: path.join(ROOT, 'build') },
    js: { type: 'boolean', default: false },
    route: { type: 'string', default: '/async-example' },
    seconds: { type: 'string', default: '5' },
    // Seconds of load before recording; ~30 profiles optimised code (wasm leaves Liftoff late).
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    top: { type: 'string', default: '25' },
    // Also break down the self time of functions with this name by their callers' names.
    callers: { type: 'string' },
    // Also list the functions whose names contain this text by inclusive time (their own and
    // their callees'), in µs per request: where a request's time goes, phase by phase.
    inclusive: { type: 'string' },
  },
});

/** One request/response exchange over the inspector's WebSocket. */
function inspector(wsUrl) {
  const ws = new WebSocket(wsUrl);
  let id = 0;
  const pending = new Map();
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  const opened = new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  return {
    opened,
    send: (method, params = {}) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

function kindOf(frame) {
  const { url, functionName } = frame.callFrame;
  if (url.startsWith('wasm://') || functionName.startsWith('$') || /^wasm-function/.test(functionName)) return 'wasm';
  if (url.endsWith('index.js') || url.endsWith('worker.js')) return 'JS glue / worker JS';
  if (['(garbage collector)', '(idle)', '(program)', '(root)'].includes(functionName)) return functionName;
  return 'runtime JS';
}

const nginx = await startNginx();
const configs = await workerConfigs(nginx.url, opts.build);
const server = opts.js ? configs.js : configs.edge;
const inspectorPort = await freePort();
await fs.mkdir(OUT, { recursive: true });
const capnp = path.join(OUT, `${opts.js ? 'js-worker' : 'edge-relay'}.capnp`);
const child = spawn(path.join(ROOT, 'node_modules/.bin/workerd'), ['serve', capnp, `--inspector-addr=127.0.0.1:${inspectorPort}`], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  await waitReady(`${server.url}/healthz`, child);
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const session = inspector(targets[0].webSocketDebuggerUrl);
  await session.opened;
  const route = ROUTES.find((r) => r.name === opts.route) ?? { path: opts.route };
  const load = (seconds) => wrk(`${server.url}${route.path}`, { connections: Number(opts.connections), seconds, body: route.body });
  await load(Number(opts.warmup));
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  const summary = await load(opts.seconds);
  const { result } = await session.send('Profiler.stop');
  session.close();

  const { nodes, samples, timeDeltas } = result.profile;
  const nameOf = (node) => `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url ? path.basename(node.callFrame.url) : ''}`.trim();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byKind = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    const name = nameOf(node);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const kind = kindOf(node);
    byKind.set(kind, (byKind.get(kind) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const rps = summary.requests / (summary.duration_us / 1e6);
  console.log(`${opts.route}: ${rps.toFixed(0)} req/s, p50 ${(summary.p50_us / 1000).toFixed(1)} ms, ${summary.errors} errors (while profiled)`);
  console.log(`\nself time by kind (${(total / 1e6).toFixed(2)} s sampled):`);
  for (const [kind, us] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`${pct(us)}  ${kind}`);
  console.log(`\ntop ${opts.top} functions by self time:`);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))) console.log(`${pct(us)}  ${name}`);
  const parent = new Map(nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n])));
  if (opts.inclusive) {
    const inclusive = new Map();
    for (const [id, us] of self) {
      const names = new Set();
      for (let n = byId.get(id); n; n = parent.get(n.id)) if (nameOf(n).includes(opts.inclusive)) names.add(nameOf(n));
      for (const name of names) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
    }
    console.log(`\ntop ${opts.top} functions containing "${opts.inclusive}" by inclusive time, µs per request:`);
    for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))) {
      console.log(`${(us / summary.requests).toFixed(1).padStart(8)}  ${name.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 160)}`);
    }
  }
  if (opts.callers) {
    const byCaller = new Map();
    for (const [id, us] of self) {
      const node = byId.get(id);
      if (nameOf(node) !== opts.callers) continue;
      const chain = [];
      for (let p = parent.get(id); p && chain.length < 3; p = parent.get(p.id)) chain.push(nameOf(p));
      const key = chain.join(' ← ') || '(root)';
      byCaller.set(key, (byCaller.get(key) ?? 0) + us);
    }
    console.log(`\nself time of ${opts.callers} by caller (up to three frames):`);
    for (const [key, us] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(us)}  ${key}`);
  }
} finally {
  child.kill('SIGTERM');
  nginx.child.kill('SIGTERM');
  await sleep(100);
}
