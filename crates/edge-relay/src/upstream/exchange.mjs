// One whole exchange with an upstream, for `src/upstream/exchange.rs`. The benchmark's baselines
// use it too: bench/plain calls upstreams through `exchange`, bench/js-worker.mjs reads bodies
// with `readCapped`.
import { addHeaderLines } from '../response.mjs';
import { endSpan, inUpstreamSpan, traceparentOf } from '../trace/span.mjs';

/** A body refused for its size: the request's (relay) or the answer's. */
export const TOO_LARGE = "too-large";
// The body, refused as soon as it is known to pass `cap` bytes: by its declared length, or
// while it is read (always, when the runtime decodes it: a small gzip body can inflate).
// Without a length it is read into a buffer that doubles as it fills, each `readAtLeast`
// filling the buffer or ending the body, however many chunks it came in (a read per chunk
// cost ~15 % more CPU on /aggregate). A read that comes back short of the room it was given
// has met the end of the body (the runtime's documented `readAtLeast` contract), so a body
// that fits the buffer takes one read, not a second one that only says `done` (a read is
// ~10–20 µs of runtime work).
export async function readCapped(response, cap) {
  const declared = response.headers.has("content-encoding") ? null : response.headers.get("content-length");
  if (declared !== null && Number(declared) > cap) throw TOO_LARGE;
  if (declared !== null || !response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader({ mode: "byob" });
  let buffer = new Uint8Array(Math.min(cap + 1, 16384)), size = 0;
  for (;;) {
    const room = buffer.byteLength - size;
    const { done, value } = await reader.readAtLeast(room, new Uint8Array(buffer.buffer, size, room));
    if (value) {
      buffer = new Uint8Array(value.buffer);
      size += value.byteLength;
    }
    if (done || (value && value.byteLength < room)) return buffer.subarray(0, size);
    if (size > cap) {
      reader.cancel().catch(() => {});
      throw TOO_LARGE;
    }
    if (size === buffer.byteLength) {
      const larger = new Uint8Array(Math.min(cap + 1, buffer.byteLength * 2));
      larger.set(buffer);
      buffer = larger;
    }
  }
}
// One attempt, sent with the `traceparent` of its `facts` (without facts, as the benchmark's
// plain Rust worker calls it, none) inside its span where the runtime traces.
export function exchange(url, method, headers, body, budgetMs, cap, tracing, facts) {
  return inUpstreamSpan(tracing, facts, method, (span) => {
    // Aborts the fetch *and* a body read still pending: a slow body is cut off like slow headers.
    const signal = AbortSignal.timeout(budgetMs);
    const init = { method, headers: addHeaderLines(new Headers(), headers, "set"), body, signal };
    if (facts) init.headers.set("traceparent", traceparentOf(facts));
    let status;
    return fetch(url, init).then((response) => {
      status = response.status;
      return readCapped(response, cap).then((bytes) => {
        endSpan(span, { "http.response.status_code": status, "http.response.body.size": bytes.byteLength });
        const h = (name) => response.headers.get(name) ?? "";
        return [`${status}\n${h("content-type")}\n${h("retry-after")}\n${h("etag")}\n${h("last-modified")}`, bytes];
      });
    }).catch((error) => {
      const failure = signal.aborted ? "timeout" : error === TOO_LARGE ? TOO_LARGE : "unreachable";
      endSpan(span, { "http.response.status_code": status, "error.type": failure });
      throw signal.aborted ? null : error;
    });
  });
}
