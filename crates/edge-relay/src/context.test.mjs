// src/context.mjs: the two headers a request's context starts from, in one string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context_headers } from './context.mjs';

test('the request id and the traceparent come back a line each, empty when absent', () => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  assert.equal(context_headers(new Headers({ 'X-Request-Id': 'r1', TraceParent: traceparent })), `r1\n${traceparent}`);
  assert.equal(context_headers(new Headers({ traceparent })), `\n${traceparent}`);
  assert.equal(context_headers(new Headers()), '\n');
  // Two traceparent fields arrive joined, as the runtime joins them: one malformed value.
  const twice = new Headers([['traceparent', traceparent], ['traceparent', traceparent]]);
  assert.equal(context_headers(twice).split('\n')[1], `${traceparent}, ${traceparent}`);
});
