// A stand-in for the runtime's `ctx.tracing` in the JS glue's node:test files: it records the
// spans the glue opens, their attributes and whether they ended. `traced: false` makes spans
// that are not recorded (`isTraced` false), as a runtime that does not trace this invocation.
//
//   const { tracing, spans } = recordingTracing();
//   await exchange(url, 'GET', '', undefined, 2000, 1024, tracing, facts);
//   spans[0]  // { name: 'upstream demo', attributes: {…}, ended: true, active: true }

/** { tracing, spans }: `tracing` with `startActiveSpan`, `startSpan` and `getActiveSpan`. */
export function recordingTracing({ traced = true } = {}) {
  const spans = [];
  const open = (name, active) => {
    const record = { name, attributes: {}, ended: false, active };
    if (traced) spans.push(record);
    return {
      isTraced: traced,
      setAttribute(key, value) {
        if (value !== undefined) record.attributes[key] = value;
        return this;
      },
      setAttributes(attributes) {
        for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
        return this;
      },
      end() {
        record.ended = true;
      },
    };
  };
  const tracing = {
    startActiveSpan: (name, run) => run(open(name, true)),
    startSpan: (name) => open(name, false),
    getActiveSpan: () => ({ isTraced: traced }),
  };
  return { tracing, spans };
}

/** The facts Rust hands an upstream attempt (`Trace::attempt_facts`), for a test to pass on. */
export function attemptFacts({
  traceId = '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId = '00f067aa0ba902b7',
  upstream = 'demo',
  attempt = 1,
  breaker = 'closed',
  cache = '',
} = {}) {
  return `00-${traceId}-${spanId}-01\n${upstream}\n${attempt}\n${breaker}\n${cache}`;
}
