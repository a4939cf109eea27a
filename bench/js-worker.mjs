// The plain JavaScript worker: the same routes and behaviour as edge-relay's, written the way
// a careful JS developer would, on the same workerd. The runtime's ceiling for the benchmark.
const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status, slug, detail) =>
  new Response(JSON.stringify({ type: `urn:edge-relay:problem:${slug}`, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

async function getJson(url, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal });
    const text = await res.text();
    if (!res.ok) return { error: problem(502, 'upstream-bad-status', `upstream answered with status ${res.status}`), status: res.status };
    try {
      JSON.parse(text);
    } catch (e) {
      return { error: problem(502, 'upstream-invalid-json', String(e)) };
    }
    return { status: res.status, text };
  } catch (e) {
    return signal.aborted
      ? { error: problem(504, 'upstream-timeout', `no answer within ${timeoutMs} ms`) }
      : { error: problem(502, 'upstream-unreachable', String(e)) };
  }
}

/** Runs `tasks` with at most `limit` in flight, keeping their order. */
async function withLimit(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const timeoutMs = Number(env.UPSTREAM_TIMEOUT_MS ?? 5000);
    if (url.pathname === '/healthz') return json({ status: 'ok' });
    if (url.pathname === '/async-example' && request.method === 'GET') {
      const raw = url.searchParams.get('delay_ms') ?? '0';
      const delay = Number(raw);
      if (!/^\d+$/.test(raw) || delay > 10000) return problem(422, 'validation-failed', 'delay_ms must be 0..=10000');
      await new Promise((resolve) => setTimeout(resolve, delay));
      return json({ message: 'Async operation completed' });
    }
    if (url.pathname === '/external-api' && request.method === 'GET') {
      const out = await getJson(env.UPSTREAM_URL, timeoutMs);
      return out.error ?? new Response(out.text, { headers: { 'content-type': 'application/json' } });
    }
    if (url.pathname === '/aggregate' && request.method === 'POST') {
      let body;
      try {
        body = await request.json();
      } catch {
        return problem(422, 'validation-failed', 'malformed JSON');
      }
      const items = body?.requests;
      if (!Array.isArray(items) || items.length < 1 || items.length > 50) return problem(422, 'validation-failed', '1..=50 requests');
      const started = Date.now();
      const results = await withLimit(
        items.map((item) => async () => {
          const t = Date.now();
          const out = await getJson(env.UPSTREAM_BASE + item.path, timeoutMs);
          const duration_ms = Date.now() - t;
          return out.error
            ? { id: item.id, error: await out.error.json(), duration_ms }
            : { id: item.id, status: out.status, body: JSON.parse(out.text), duration_ms };
        }),
        6,
      );
      return json({ duration_ms: Date.now() - started, results });
    }
    return problem(404, 'not-found', `no route matches path '${url.pathname}'`);
  },
};
