// A streaming tail worker for tests: workerd reports the spans of the worker it is attached to
// (the runtime's own, e.g. `fetch`, and those opened through `ctx.tracing`), and this one
// keeps them; `GET /` answers them as JSON: [{ id, parent, name, attributes, closed }].
const spans = new Map();

export default {
  tailStream() {
    return ({ event, spanContext }) => {
      if (event.type === 'spanOpen') {
        spans.set(event.spanId, { id: event.spanId, parent: spanContext.spanId, name: event.name, attributes: {}, closed: false });
        return;
      }
      const span = spans.get(spanContext.spanId);
      if (!span) return;
      // Whole numbers arrive as BigInt, which JSON cannot hold.
      if (event.type === 'attributes') for (const { name, value } of event.info) span.attributes[name] = typeof value === 'bigint' ? Number(value) : value;
      if (event.type === 'spanClose') span.closed = true;
    };
  },
  fetch() {
    return Response.json([...spans.values()]);
  },
};
