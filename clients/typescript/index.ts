// The API's TypeScript client: openapi-fetch over the types `npm run sdk` generates from the
// document (schema.d.ts). A call's path, parameters, body, answer and problem are all typed.
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths } from './schema';
/** Every error answer's body (RFC 9457 problem+json). */
export type Problem = components['schemas']['Problem'];
/** One entry of a 422's `errors`: which input (`loc`) and what is wrong with it. */
export type FieldError = components['schemas']['FieldError'];

/** A client of the API at `options.baseUrl` (openapi-fetch's options: headers, fetch, …). */
export function createEdgeRelayClient(options: ClientOptions = {}) {
  return createClient<paths>(options);
}
