// The streaming relay's side in JS, for `src/upstream/relay.rs`: the client's body goes up and
// the upstream's comes back as the runtime's own streams, never copied into wasm.
import { addHeaderLines, CLIENT_CLOSED } from '../response.mjs';
import { TOO_LARGE } from './exchange.mjs';
import { endSpan, inUpstreamSpan, traceparentOf } from '../trace/span.mjs';

// The client's body for the upstream: a stream that fails past `limit` bytes or, when it may
// have to be sent again (`whole`), its bytes, read up to `limit`. Kept in JS either way.
export function relay_body(request, limit, whole) {
  if (!request.body) return Promise.resolve(null);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return Promise.reject(TOO_LARGE);
  let size = 0;
  // Past the limit, or when the client's body breaks off, the upload itself is aborted: a
  // body stream that merely errors is ended cleanly by the runtime, and the upstream would
  // take the truncated body for a whole one.
  const control = new AbortController();
  const limited = request.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      size += chunk.byteLength;
      if (size <= limit) return controller.enqueue(chunk);
      control.abort();
      controller.error(new Error(TOO_LARGE));
    },
    cancel() {
      control.abort();
    },
  }));
  const tooLarge = () => size > limit;
  if (whole) {
    return new Response(limited).arrayBuffer().then(
      (body) => ({ body, tooLarge }),
      () => { throw tooLarge() ? TOO_LARGE : CLIENT_CLOSED; },
    );
  }
  // A declared length goes up as one, so the upstream sees Content-Length, not chunks.
  const body = declared === null ? limited : limited.pipeThrough(new FixedLengthStream(Number(declared)));
  return Promise.resolve({ body, tooLarge, control });
}
// Sends the request with the `traceparent` of its `facts`; resolves to ["status\nname\nvalue…",
// response, span] once headers arrive, within `budgetMs`. The client hanging up aborts it, then
// or while its body streams. The attempt's span (null where none) stays open until the body
// has been passed on (`stream_response`) or let go (`relay_discard`).
export function relay_open(url, method, headers, source, budgetMs, request, tracing, facts) {
  return inUpstreamSpan(tracing, facts, method, (span) => {
    const control = source?.control ?? new AbortController();
    const timer = setTimeout(() => control.abort(), budgetMs);
    const hangUp = () => control.abort();
    request.signal?.addEventListener("abort", hangUp);
    const init = { method, headers: addHeaderLines(new Headers(), headers, "set"), body: source?.body ?? null, signal: control.signal, redirect: "manual" };
    init.headers.set("traceparent", traceparentOf(facts));
    return fetch(url, init).then((response) => {
      clearTimeout(timer);
      span?.setAttribute("http.response.status_code", response.status);
      let meta = String(response.status);
      for (const [name, value] of response.headers) meta += `\n${name}\n${value}`;
      return [meta, response, span];
    }, (error) => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", hangUp);
      const failure = source?.tooLarge() ? TOO_LARGE : request.signal?.aborted ? CLIENT_CLOSED : control.signal.aborted ? null : error;
      endSpan(span, { "error.type": failure === null ? "timeout" : typeof failure === "string" ? failure : "unreachable" });
      throw failure;
    });
  });
}
export function relay_discard(response, span) {
  response.body?.cancel().catch(() => {});
  endSpan(span, { "upstream.passed_on": false });
}
export function body_of(response) {
  return response.body;
}
export function signal_of(request) {
  return request.signal;
}
