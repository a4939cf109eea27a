// The request headers a request's context starts from, for `src/context.rs`: read in one call
// (each header read from Rust is a crossing of its own).

/** `X-Request-Id`, then `traceparent`, a line each; empty when absent (neither may be empty). */
export function context_headers(headers) {
  return `${headers.get('x-request-id') ?? ''}\n${headers.get('traceparent') ?? ''}`;
}
