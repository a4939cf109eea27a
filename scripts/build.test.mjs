import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wasmArtifact, wasmOptArgs, WASM_FEATURES } from './build.mjs';

const APP = '/repo/Cargo.toml';
const artifact = (manifestPath, filenames) =>
  JSON.stringify({ reason: 'compiler-artifact', manifest_path: manifestPath, target: { kind: ['cdylib', 'rlib'] }, filenames });

test('the wasm is the one cargo linked for the crate built, not for a dependency', () => {
  const output = [
    artifact('/repo/crates/edge-relay/Cargo.toml', ['/repo/target/wasm32-unknown-unknown/release/libedge_relay.rlib']),
    JSON.stringify({ reason: 'compiler-message', manifest_path: APP }),
    artifact(APP, ['/repo/target/wasm32-unknown-unknown/release/libedge_relay_app.rlib', '/repo/target/wasm32-unknown-unknown/release/edge_relay_app.wasm']),
    JSON.stringify({ reason: 'build-finished', success: true }),
    '',
  ].join('\n');
  assert.equal(wasmArtifact(output, APP), '/repo/target/wasm32-unknown-unknown/release/edge_relay_app.wasm');
  assert.throws(() => wasmArtifact(output, '/elsewhere/Cargo.toml'), /no \.wasm for \/elsewhere/);
});

test("wasm-opt takes the crate's wasm-pack release list, -O by default, nothing when false", () => {
  const metadata = (wasmOpt) => ({
    packages: [
      { manifest_path: '/repo/crates/edge-relay/Cargo.toml', metadata: null },
      { manifest_path: APP, metadata: wasmOpt === undefined ? null : { 'wasm-pack': { profile: { release: { 'wasm-opt': wasmOpt } } } } },
    ],
  });
  assert.deepEqual(wasmOptArgs(metadata(['-O', '--one-caller-inline-max-function-size', '50']), APP), ['-O', '--one-caller-inline-max-function-size', '50', ...WASM_FEATURES]);
  assert.deepEqual(wasmOptArgs(metadata(undefined), APP), ['-O', ...WASM_FEATURES]);
  assert.deepEqual(wasmOptArgs(metadata(true), APP), ['-O', ...WASM_FEATURES]);
  assert.equal(wasmOptArgs(metadata(false), APP), null);
  assert.ok(WASM_FEATURES.includes('--enable-exception-handling'), 'the unwinding instructions');
  assert.throws(() => wasmOptArgs(metadata(undefined), '/elsewhere/Cargo.toml'), /no package/);
});
