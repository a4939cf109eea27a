// The servers the benchmark runs, all on 127.0.0.1: nginx as the shared upstream, edge-relay,
// the plain JS worker and the Rust floor worker on raw workerd (generated .capnp configs, no
// wrangler proxy), and FastAPI on uvicorn.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = path.join(ROOT, 'bench/out');
const WORKERD = path.join(ROOT, 'node_modules/.bin/workerd');
const COMPAT_DATE = '2026-11-01';
// As wrangler.toml: `request.signal` aborts when the client hangs up (the relay cancels upstream).
const COMPAT_FLAGS = ['enable_request_signal'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` every `pollMs` until it answers 200; resolves to the milliseconds that took. */
export async function waitReady(url, child, timeoutMs = 30_000, pollMs = 5) {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await sleep(pollMs);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** Starts a server; its output goes to bench/out/NAME.log, written by the kernel, so a
 * server that logs every request (edge-relay's access log) costs the harness no CPU. */
function start(name, command, args, options = {}) {
  const log = openSync(path.join(OUT, `${name}.log`), 'w');
  const child = spawn(command, args, { stdio: ['ignore', log, log], ...options });
  closeSync(log);
  child.on('exit', (code) => {
    if (code && !child.stopping) console.error(`[bench] ${name} exited with ${code}: see bench/out/${name}.log`);
  });
  child.stop = () => {
    child.stopping = true;
    child.kill('SIGTERM');
    return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  };
  return child;
}

/** Where each route sends its load: `body` names the POST body bench/wrk.lua writes. */
export const ROUTES = [
  { name: '/async-example', path: '/async-example' },
  { name: '/external-api', path: '/external-api' },
  { name: '/aggregate', path: '/aggregate', body: 'aggregate' },
];

/** One wrk run with bench/wrk.lua (which writes /aggregate's POST bodies); resolves to its
 * JSON summary { requests, duration_us, errors, non2xx, p50_us, p99_us, mean_us }. `cpu` pins
 * wrk to that core. */
export function wrk(url, { connections, seconds, threads = Math.min(2, connections), body = '', cpu, authorization = '' } = {}) {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', path.join(ROOT, 'bench/wrk.lua'), url];
  const [command, argv] = cpu === undefined ? ['wrk', args] : ['taskset', ['-c', String(cpu), 'wrk', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: { ...process.env, BENCH_BODY: body, BENCH_AUTH: authorization }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${out}`));
      resolve(JSON.parse(line.slice('BENCH_JSON '.length)));
    });
  });
}

/** CPU time a process has used so far (user + system), in milliseconds. */
export async function cpuMs(pid) {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Peak resident memory of a process so far, in KiB (VmHWM). */
export async function peakRssKb(pid) {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
}

export async function currentRssKb(pid) {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
}

/** The relay cell's body: a file nginx serves at /files/large.bin. */
export const RELAY_BYTES = 100 * 1024 * 1024;
export const RELAY_PATH = '/upstreams/bench/files/large.bin';

/** nginx serving a fixed JSON document at /json, fixed 100 ms latency at /delay/100 and a
 * 100 MiB file at /files/large.bin. `cpu` pins it to that core (taskset). */
export async function startNginx(cpu) {
  const port = await freePort();
  const dir = path.join(OUT, 'nginx');
  await fs.mkdir(path.join(dir, 'logs'), { recursive: true });
  await fs.mkdir(path.join(dir, 'files'), { recursive: true });
  const large = path.join(dir, 'files/large.bin');
  if ((await fs.stat(large).catch(() => null))?.size !== RELAY_BYTES) await fs.writeFile(large, Buffer.alloc(RELAY_BYTES, 'edge-relay '));
  const doc = JSON.stringify({ id: 1, title: 'edge-relay benchmark document', tags: ['async', 'edge'], nested: { ok: true, ratio: 0.5 } });
  const conf = `
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
error_log ${dir}/logs/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/tmp;
  server {
    listen 127.0.0.1:${port};
    default_type application/json;
    location = /json { return 200 '${doc}'; }
    location = /healthz { return 200 '{"status":"ok"}'; }
    location /delay/100 { echo_sleep 0.1; echo '{"delayed_ms":100}'; }
    location /files/ { root ${dir}; default_type application/octet-stream; sendfile on; }
  }
}`;
  await fs.writeFile(path.join(dir, 'nginx.conf'), conf);
  const args = ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off;'];
  const child = cpu === undefined ? start('nginx', 'nginx', args) : start('nginx', 'taskset', ['-c', String(cpu), 'nginx', ...args]);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/healthz`, child);
  return { url, child };
}

function capnpString(s) {
  return JSON.stringify(s);
}

/** A workerd config for `modules` (name → { kind, file }) with text `bindings`. */
async function writeCapnp(name, port, modules, bindings) {
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
${modules.map((m) => `    (name = ${capnpString(m.name)}, ${m.kind} = embed ${capnpString(path.relative(OUT, m.file))}),`).join('\n')}
  ],
  compatibilityDate = "${COMPAT_DATE}",
  compatibilityFlags = [${COMPAT_FLAGS.map(capnpString).join(', ')}],
  bindings = [
${Object.entries(bindings).map(([k, v]) => `    (name = ${capnpString(k)}, text = ${capnpString(v)}),`).join('\n')}
  ],
  globalOutbound = "internet",
);
`;
  const file = path.join(OUT, `${name}.capnp`);
  await fs.writeFile(file, config);
  return file;
}

/** A worker on raw workerd, calling `upstream`: { url, start() }. `name` names its config and
 * log; `cpu` pins workerd to that core (taskset); `vars` adds text bindings. */
export async function workerConfig(name, upstream, modules, cpu, vars = {}) {
  const bindings = {
    UPSTREAM_URL: `${upstream}/json`,
    UPSTREAM_BASE: upstream,
    UPSTREAMS: JSON.stringify({ bench: { base_url: upstream } }),
    ...vars,
  };
  await fs.mkdir(OUT, { recursive: true });
  const port = await freePort();
  const file = await writeCapnp(name, port, modules, bindings);
  const command = cpu === undefined ? [WORKERD, 'serve', file] : ['taskset', '-c', String(cpu), WORKERD, 'serve', file];
  return { url: `http://127.0.0.1:${port}`, start: () => start(name, command[0], command.slice(1)) };
}

/** The modules of an edge-relay build in `buildDir` (index.js and index_bg.wasm). */
export const edgeModules = (buildDir) => [
  { name: 'index.js', kind: 'esModule', file: path.join(buildDir, 'index.js') },
  { name: 'index_bg.wasm', kind: 'wasm', file: path.join(buildDir, 'index_bg.wasm') },
];

/** The floor worker's build (bench/floor, built by bench/setup.sh). */
export const FLOOR_BUILD = path.join(ROOT, 'bench/floor/build');
/** The plain Rust worker's build (bench/plain, built by bench/setup.sh). */
export const PLAIN_BUILD = path.join(ROOT, 'bench/plain/build');

/** A JS worker's modules: the file, and edge-relay's upstream exchange helper that the JS worker
 * imports with the header-list and span modules that one imports (named by their paths in the
 * repository, so the imports resolve as they do on disk). */
export const jsModules = (file) => [
  { name: 'bench/worker.mjs', kind: 'esModule', file },
  ...['crates/edge-relay/src/upstream/exchange.mjs', 'crates/edge-relay/src/response.mjs', 'crates/edge-relay/src/trace/span.mjs'].map((name) => ({
    name,
    kind: 'esModule',
    file: path.join(ROOT, name),
  })),
];

/** Writes the configs for the workers; returns { edge, js, floor, plain } each with a `start()` function. */
export async function workerConfigs(upstream, buildDir) {
  return {
    edge: await workerConfig('edge-relay', upstream, edgeModules(buildDir)),
    js: await workerConfig('js-worker', upstream, jsModules(path.join(ROOT, 'bench/js-worker.mjs'))),
    floor: await workerConfig('rust-floor', upstream, edgeModules(FLOOR_BUILD)),
    plain: await workerConfig('rust-plain', upstream, edgeModules(PLAIN_BUILD)),
  };
}

export async function startFastApi(upstream) {
  const port = await freePort();
  const child = start(
    'fastapi',
    path.join(ROOT, 'bench/.venv/bin/uvicorn'),
    ['fastapi_app:app', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--loop', 'uvloop', '--http', 'httptools', '--no-access-log', '--log-level', 'warning'],
    { cwd: path.join(ROOT, 'bench'), env: { ...process.env, UPSTREAM_URL: `${upstream}/json`, UPSTREAM_BASE: upstream } },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/healthz`, child);
  return { url, child };
}
