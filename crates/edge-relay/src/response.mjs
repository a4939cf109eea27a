// The runtime's responses for `src/response.rs`, and the header list every helper reads: Rust
// hands a list of headers over as one string, `name\nvalue\n…` (header names and values never
// hold a newline), which costs one crossing instead of one per header.

import { endSpan } from './trace/span.mjs';

/** How a streamed body ended when the client hung up first (also an upstream call's outcome). */
export const CLIENT_CLOSED = 'client-closed';

/**
 * Adds the headers in `lines` to `headers` and returns it. `add` is 'append' (a repeated name is
 * kept, as a response may repeat one) or 'set' (a later one wins, as a request's list is built).
 */
export function addHeaderLines(headers, lines, add = 'append') {
  const list = lines.split('\n');
  for (let i = 1; i < list.length; i += 2) headers[add](list[i - 1], list[i]);
  return headers;
}

const init = (status, headers) => ({ status, headers: addHeaderLines(new Headers(), headers) });
const nullBody = (status) => status === 101 || status === 204 || status === 205 || status === 304;

/** A response built whole in wasm; `logLine` is the request's access-log line, written now. */
export function build_response(status, headers, body, logLine) {
  console.log(logLine);
  return new Response(nullBody(status) ? null : body.slice(), init(status, headers));
}

// Passes the upstream's body on and logs the request once the body has ended: completed,
// failed upstream, cut off, or abandoned by the client (status 499). A bulk body is piped by
// the runtime itself, never touching JS: memory stays flat and a slow client slows the
// upstream. An event stream is pulled here event by event instead, so that an upstream that
// goes quiet for `idleMs` can be cut off (few, small chunks: nothing piles up).
const LIVE = new Set(['text/event-stream', 'application/x-ndjson', 'application/jsonl']);

/** A response whose body is `body` (a ReadableStream, or null), passed on as the client reads it;
 * `span` (the upstream attempt's, or null) ends with it. */
export function stream_response(status, headers, body, clientSignal, idleMs, logLine, span) {
  const options = init(status, headers);
  if (!body || nullBody(status)) {
    body?.cancel().catch(() => {});
    endSpan(span, { 'http.response.body.size': 0 });
    console.log(logLine);
    return new Response(null, options);
  }
  const started = Date.now();
  let ended = false;
  const end = (outcome, bytes) => {
    if (ended) return;
    ended = true;
    endSpan(span, { 'upstream.stream': outcome, 'http.response.body.size': bytes });
    const entry = JSON.parse(logLine);
    entry.stream = { outcome, bytes, duration_ms: Date.now() - started };
    if (outcome === CLIENT_CLOSED) entry.status = 499;
    else if (outcome !== 'complete') entry.error = `stream-${outcome}`;
    console.log(JSON.stringify(entry));
  };
  const broken = () => (clientSignal?.aborted ? CLIENT_CLOSED : 'upstream-failed');
  // A hang-up ends the request's work at once, pending continuations included; its abort
  // event still runs.
  clientSignal?.addEventListener('abort', () => end(CLIENT_CLOSED), { once: true });
  const type = (options.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!LIVE.has(type)) {
    const length = options.headers.get('content-length');
    // A length that still holds (an identity body) goes out as Content-Length, not chunked.
    const { readable, writable } = length === null ? new IdentityTransformStream() : new FixedLengthStream(Number(length));
    body.pipeTo(writable).then(() => end('complete', length === null ? undefined : Number(length)), () => end(broken()));
    return new Response(readable, options);
  }
  const reader = body.getReader();
  let bytes = 0, timer;
  const live = new ReadableStream({
    async pull(controller) {
      timer = setTimeout(() => {
        end('upstream-idle', bytes);
        controller.error(new Error(`the upstream sent nothing for ${idleMs} ms`));
        reader.cancel().catch(() => {});
      }, idleMs);
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        clearTimeout(timer);
        if (!ended) controller.error(error);
        return end(broken(), bytes);
      }
      clearTimeout(timer);
      if (ended) return;
      if (chunk.done) {
        end('complete', bytes);
        return controller.close();
      }
      bytes += chunk.value.byteLength;
      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      clearTimeout(timer);
      end(CLIENT_CLOSED, bytes);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(live, options);
}
