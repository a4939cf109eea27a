// Builds the release worker of the crate in the current directory into OUT (default build/):
// index.js and index_bg.wasm, with panic=unwind, so that a panic unwinds to the request, message
// or task that raised it. The steps worker-build 0.8.7 runs for `--release --panic-unwind`, with
// the tools already here: cargo (nightly, std rebuilt), wasm-bindgen's CLI, wasm-opt (npm
// binaryen) and esbuild, which bundles the library's entry over the bindings. Arguments go to
// cargo (`--features diagnostics`). scripts/build.sh runs it after installing what is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const SCRIPTS = path.dirname(fileURLToPath(import.meta.url));
const ENTRY = path.resolve(SCRIPTS, '../crates/edge-relay/src/entry.mjs');
const GLUE = path.join(SCRIPTS, 'glue.mjs');

// Unwinding tables and landing pads grow the wasm; three nightly options win part of that back
// (docs/build-size.md): std's `optimize_for_size` feature; panic locations without file names
// (the message still says what panicked; the log line carries the request id); and
// `panic-in-drop=abort`: destructors do not unwind, so no code is kept to clean up after one
// that panicked (a panic inside a destructor traps the instance instead, which the abort guard
// answers; none of ours can). That one must reach std too, so it goes in RUSTFLAGS. So does
// `-Zcross-crate-inline-threshold=yes`: every function may be inlined into another crate (the
// app into the library, both into std); two crates were 10 KB gzip larger without it.
export const RUSTFLAGS = ['-Zpanic-in-drop=abort', '-Zcross-crate-inline-threshold=yes', '-Cpanic=unwind'];
export const CARGO_ARGS = [
  'build', '--lib', '--release', '--target', 'wasm32-unknown-unknown',
  '-Zbuild-std=std,panic_unwind', '-Zbuild-std-features=optimize_for_size',
  '-Zprofile-rustflags', '--config', 'profile.release.rustflags = ["-Zlocation-detail=none"]',
  '--no-default-features', '--message-format=json-render-diagnostics',
];
// wasm-bindgen's `module` target (an ES module importing the wasm), with the function that
// replaces the instance after an abort and the abort handler that calls it.
export const BINDGEN_ARGS = [
  '--target', 'module', '--out-name', 'index', '--no-typescript',
  '--experimental-reset-state-function', '--force-enable-abort-handler',
];
// The features workerd runs, named rather than `--all-features`, so wasm-opt never emits an
// encoding the runtime does not know yet.
export const WASM_FEATURES = [
  'mutable-globals', 'sign-ext', 'nontrapping-float-to-int', 'bulk-memory', 'multivalue',
  'reference-types', 'exception-handling',
].map((feature) => `--enable-${feature}`);

/** The .wasm cargo linked for the package at `manifestPath`, from cargo's JSON messages. */
export function wasmArtifact(cargoOutput, manifestPath) {
  for (const line of cargoOutput.split('\n')) {
    if (!line.startsWith('{')) continue;
    const message = JSON.parse(line);
    if (message.reason !== 'compiler-artifact' || message.manifest_path !== manifestPath) continue;
    const wasm = message.filenames.find((file) => file.endsWith('.wasm'));
    if (wasm) return wasm;
  }
  throw new Error(`cargo linked no .wasm for ${manifestPath}`);
}

/**
 * wasm-opt's arguments for the package at `manifestPath`, from `cargo metadata`: its
 * `[package.metadata.wasm-pack.profile.release] wasm-opt` list, `-O` without one, none when false.
 */
export function wasmOptArgs(metadata, manifestPath) {
  const pkg = metadata.packages.find((p) => p.manifest_path === manifestPath);
  if (!pkg) throw new Error(`cargo metadata has no package at ${manifestPath}`);
  const configured = pkg.metadata?.['wasm-pack']?.profile?.release?.['wasm-opt'] ?? true;
  if (configured === false) return null;
  return [...(configured === true ? ['-O'] : configured), ...WASM_FEATURES];
}

/** Runs `command` (logged as `step`, with its time); its stdout when `capture`, else inherited. */
function run(step, command, args, { capture = false, ...options } = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...options,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited with ${result.status ?? result.signal}`);
  console.error(`[build] ${step}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

async function build(crateDir, out, cargoArgs) {
  const manifestPath = path.join(crateDir, 'Cargo.toml');
  const env = {
    ...process.env,
    // RUSTFLAGS holds -Z options, so cargo's own probes of rustc must run the nightly one too.
    RUSTUP_TOOLCHAIN: 'nightly',
    RUSTFLAGS: [process.env.RUSTFLAGS, ...RUSTFLAGS].filter(Boolean).join(' '),
    // workers-rs's futures through js-sys, as worker-build builds it.
    WASM_BINDGEN_USE_JS_SYS: '1',
  };
  const wasm = wasmArtifact(run('cargo build', 'cargo', [...CARGO_ARGS, ...cargoArgs], { cwd: crateDir, env, capture: true }), manifestPath);
  const metadata = JSON.parse(run('cargo metadata', 'cargo', ['metadata', '--no-deps', '--format-version', '1'], { cwd: crateDir, env, capture: true }));

  const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'edge-relay-build-'));
  try {
    run('wasm-bindgen', process.env.WASM_BINDGEN ?? 'wasm-bindgen', [wasm, '--out-dir', stage, ...BINDGEN_ARGS]);
    const built = path.join(stage, 'built');
    await fs.mkdir(built);
    const optArgs = wasmOptArgs(metadata, manifestPath);
    if (optArgs) run('wasm-opt', 'wasm-opt', [path.join(stage, 'index_bg.wasm'), '-o', path.join(built, 'index_bg.wasm'), ...optArgs]);
    else await fs.copyFile(path.join(stage, 'index_bg.wasm'), path.join(built, 'index_bg.wasm'));

    // The bindings import the wasm as a source-phase import; wrangler and workerd take the
    // plain import of a .wasm module, which gives the same WebAssembly.Module.
    const bindings = path.join(stage, 'index.js');
    await fs.writeFile(bindings, (await fs.readFile(bindings, 'utf8')).replaceAll('import source ', 'import '));
    await fs.copyFile(GLUE, path.join(stage, 'glue.js'));
    await fs.copyFile(ENTRY, path.join(stage, 'entry.mjs'));
    await esbuild.build({
      entryPoints: [path.join(stage, 'entry.mjs')],
      bundle: true,
      minify: true,
      format: 'esm',
      external: ['./index_bg.wasm', 'cloudflare:*'],
      outfile: path.join(built, 'index.js'),
      logLevel: 'error',
    });
    // The output directory holds exactly this build, replaced only once it is complete.
    await fs.rm(out, { recursive: true, force: true });
    await fs.cp(built, out, { recursive: true });
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
  const size = (await fs.stat(path.join(out, 'index_bg.wasm'))).size;
  console.error(`[build] ${path.relative(process.cwd(), out) || '.'}/index_bg.wasm: ${size.toLocaleString('en')} bytes`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const crateDir = process.cwd();
  await build(crateDir, path.resolve(crateDir, process.env.OUT ?? 'build'), process.argv.slice(2));
}
