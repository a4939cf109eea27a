// Spans of upstream calls through the runtime's tracing API (`ctx.tracing`, the same object as
// `tracing` from 'cloudflare:workers'), where the runtime has one and records this invocation's
// spans: asked once per request (`tracing_of`), so an older runtime, or one that does not trace
// this invocation, costs that question and nothing more. The facts of an attempt come from Rust
// as one string, `traceparent\nupstream\nattempt\nbreaker\ncache` (`Trace::attempt_facts`), or
// its `traceparent` alone where there is no span to describe.

/** The runtime's tracing where it records this invocation's spans, else null. */
export function tracing_of(ctx) {
  const tracing = ctx?.tracing;
  if (typeof tracing?.startActiveSpan !== 'function') return null;
  // A runtime without `getActiveSpan` leaves it to each span (`isTraced`).
  return tracing.getActiveSpan?.()?.isTraced === false ? null : tracing;
}

/** The `traceparent` an attempt sends: the first line of its facts. */
export function traceparentOf(facts) {
  const end = facts.indexOf('\n');
  return end < 0 ? facts : facts.slice(0, end);
}

/**
 * Runs `run(span)` inside an active span for one upstream attempt, so the runtime's own fetch
 * span nests below it; the caller ends it with `endSpan` when the call, or its stream, ends.
 * `span` is null where there is nothing to record (`tracing` null, or the span not traced).
 */
export function inUpstreamSpan(tracing, facts, method, run) {
  if (!tracing) return run(null);
  const nameAt = facts.indexOf('\n') + 1;
  return tracing.startActiveSpan(`upstream ${facts.slice(nameAt, facts.indexOf('\n', nameAt))}`, (span) => {
    if (!span.isTraced) {
      span.end();
      return run(null);
    }
    const [traceparent, upstream, attempt, breaker, cache] = facts.split('\n');
    const [, traceId, spanId] = traceparent.split('-');
    span.setAttributes({
      'upstream.name': upstream,
      'http.request.method': method,
      'upstream.attempt': Number(attempt),
      'upstream.breaker': breaker || undefined,
      'upstream.cache_status': cache || undefined,
      'w3c.trace_id': traceId,
      'w3c.span_id': spanId,
    });
    return run(span);
  });
}

/** Sets what the call came to (`http.response.status_code`, `http.response.body.size`,
 * `upstream.outcome`…; undefined values are left out) and ends the span. */
export function endSpan(span, attributes) {
  if (!span) return;
  span.setAttributes(attributes);
  span.end();
}

/** A span for a call that sent nothing (a cache hit, an open breaker, a shared call): opened and
 * ended at once with its facts, `upstream\nmethod\nbreaker\ncache\noutcome\ncoalesced`. */
export function record_call_span(tracing, facts) {
  if (typeof tracing.startSpan !== 'function') return;
  const [upstream, method, breaker, cache, outcome, coalesced] = facts.split('\n');
  const span = tracing.startSpan(`upstream ${upstream}`);
  if (span.isTraced) {
    span.setAttributes({
      'upstream.name': upstream,
      'http.request.method': method,
      'upstream.attempt': 0,
      'upstream.breaker': breaker || undefined,
      'upstream.cache_status': cache || undefined,
      'upstream.outcome': outcome,
      'upstream.coalesced': coalesced === 'true',
    });
  }
  span.end();
}
