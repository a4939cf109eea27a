// The `RATE_LIMITER` binding (Workers' rate limiting API), for `src/middleware/rate_limit.rs`
// and the config that looks it up once.

/** Whether the binding is bound. */
export function has_rate_limiter(env) {
  return typeof env.RATE_LIMITER?.limit === 'function';
}

/** Resolves to whether `key` is still within its limit. */
export async function allows(env, key) {
  return (await env.RATE_LIMITER.limit({ key })).success === true;
}
