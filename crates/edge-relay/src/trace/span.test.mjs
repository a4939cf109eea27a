// src/trace/span.mjs: spans of upstream calls through a stand-in for the runtime's
// `ctx.tracing`, and nothing at all where the runtime has no tracing API or does not trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endSpan, inUpstreamSpan, record_call_span, traceparentOf, tracing_of } from './span.mjs';
import { attemptFacts, recordingTracing } from '../../testing/tracing.mjs';

test('the traceparent is the first line of the facts, or the facts without a span to describe', () => {
  assert.equal(traceparentOf(attemptFacts()), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.equal(traceparentOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
});

test('the tracing API is used only where the runtime has it and records the invocation', () => {
  for (const ctx of [undefined, null, {}, { tracing: {} }, { tracing: { enterSpan() {} } }]) assert.equal(tracing_of(ctx), null);
  assert.equal(tracing_of({ tracing: recordingTracing({ traced: false }).tracing }), null);
  const { tracing } = recordingTracing();
  assert.equal(tracing_of({ tracing }), tracing);
  const older = { startActiveSpan() {} };
  assert.equal(tracing_of({ tracing: older }), older, 'without getActiveSpan, each span says for itself');
});

test('an attempt runs inside an active span named for its upstream, with its facts', () => {
  const { tracing, spans } = recordingTracing();
  const result = inUpstreamSpan(tracing, attemptFacts({ attempt: 2, breaker: 'half-open', cache: 'miss' }), 'GET', (span) => {
    endSpan(span, { 'http.response.status_code': 200, 'http.response.body.size': 12, 'error.type': undefined });
    return 'answer';
  });
  assert.equal(result, 'answer', 'what the attempt returns comes back');
  assert.deepEqual(spans, [{
    name: 'upstream demo',
    active: true,
    ended: true,
    attributes: {
      'upstream.name': 'demo',
      'http.request.method': 'GET',
      'upstream.attempt': 2,
      'upstream.breaker': 'half-open',
      'upstream.cache_status': 'miss',
      'w3c.trace_id': '4bf92f3577b34da6a3ce929d0e0e4736',
      'w3c.span_id': '00f067aa0ba902b7',
      'http.response.status_code': 200,
      'http.response.body.size': 12,
    },
  }]);
});

test('without tracing, or with a span that is not traced, the attempt runs with no span', () => {
  assert.equal(inUpstreamSpan(null, attemptFacts(), 'GET', (span) => span), null);
  const untraced = recordingTracing({ traced: false });
  assert.equal(inUpstreamSpan(untraced.tracing, attemptFacts(), 'GET', (span) => span), null);
  assert.deepEqual(untraced.spans, []);
  endSpan(null, { 'http.response.status_code': 200 });
});

test('a call that sent nothing is a span opened and ended at once', () => {
  const { tracing, spans } = recordingTracing();
  record_call_span(tracing, 'users\nGET\n\nedge-relay; hit; ttl=42\nok\n');
  record_call_span(tracing, 'orders\nGET\nopen\n\nupstream-circuit-open\n');
  record_call_span(tracing, 'users\nGET\nclosed\n\nok\ntrue');
  assert.deepEqual(spans.map((s) => [s.name, s.active, s.ended]), [['upstream users', false, true], ['upstream orders', false, true], ['upstream users', false, true]]);
  assert.deepEqual(spans[0].attributes, {
    'upstream.name': 'users',
    'http.request.method': 'GET',
    'upstream.attempt': 0,
    'upstream.cache_status': 'edge-relay; hit; ttl=42',
    'upstream.outcome': 'ok',
    'upstream.coalesced': false,
  });
  assert.equal(spans[1].attributes['upstream.breaker'], 'open');
  assert.equal(spans[2].attributes['upstream.coalesced'], true);
  record_call_span({ startActiveSpan() {} }, 'users\nGET\n\n\nok\n');
});
