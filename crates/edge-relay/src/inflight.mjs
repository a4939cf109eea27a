// The response promises of the requests in flight, for `src/inflight.rs`: settled by Rust, or by
// `abandon_all` when the wasm instance aborts.
const pending = new Map();
export function begin(id, requestId, traceId) {
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, requestId, traceId }));
}
export function settle(id, response) {
  const p = pending.get(id);
  if (p) {
    pending.delete(id);
    p.resolve(response);
  }
}
// The problem an aborted request gets, made by Rust ahead of time: after a trap the instance's
// memory cannot be trusted to build it.
let abortProblem;
export function prepare_abort(problem) {
  abortProblem = JSON.parse(problem);
}
export function abandon_all(current) {
  for (const [id, p] of pending) {
    if (id === current) {
      console.error(JSON.stringify({ event: 'request', request_id: p.requestId, trace_id: p.traceId, status: 500, error: 'internal', abort: 'the wasm instance aborted; a fresh one serves the next request' }));
      const problem = JSON.stringify({ ...abortProblem, instance: p.requestId, trace_id: p.traceId });
      p.resolve(new Response(problem, { status: 500, headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': p.requestId } }));
    } else {
      p.reject(new Error(`request ${p.requestId}: the wasm instance aborted while it was in flight`));
    }
  }
  pending.clear();
}
