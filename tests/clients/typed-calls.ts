// A program against the TypeScript client (clients/typescript), type-checked by `tsc --strict`
// in tests/clients.test.mjs and never run: what the types promise a caller, held to the document.
import { createEdgeRelayClient, type FieldError, type operations, type Problem } from '../../clients/typescript/index.ts';

const api = createEdgeRelayClient({ baseUrl: 'http://127.0.0.1:8787' });

/** A 422's field errors, as `query.delay_ms: must be a whole number`. */
export function describeFields(problem: Problem): string[] {
  return (problem.errors ?? []).map((e: FieldError) => `${e.loc.join('.')}: ${e.msg}${e.input == null ? '' : ` (${e.input})`}`);
}

export async function waitFor(delayMs: number): Promise<string> {
  const { data, error } = await api.GET('/async-example', { params: { query: { delay_ms: delayMs } } });
  if (error) return `${error.status} ${error.title}: ${describeFields(error).join('; ')}`;
  return data.message;
}

export async function runJob(token: string): Promise<number> {
  const headers = { Authorization: `Bearer ${token}` };
  const accepted = await api.POST('/jobs', {
    headers,
    params: { header: { 'Idempotency-Key': 'typed-1' } },
    body: { requests: [{ id: 'doc', upstream: 'demo', path: '/json' }] },
  });
  if (accepted.error) throw new Error(`${accepted.error.type}: ${accepted.error.detail}`);
  const job = await api.GET('/jobs/{id}', { headers, params: { path: { id: accepted.data.id }, query: { limit: 10 } } });
  if (job.error) throw new Error(job.error.detail);
  return job.data.progress.succeeded;
}

export async function dashboard(userId: number): Promise<string[]> {
  const { data, error } = await api.GET('/dashboard/{user_id}', { params: { path: { user_id: userId } } });
  if (error) return [error.detail];
  return [data.user?.name ?? 'unknown', ...data.missing.map((m) => `${m.part}: ${m.error.title}`)];
}

export function misuse() {
  // @ts-expect-error delay_ms is a number
  void api.GET('/async-example', { params: { query: { delay_ms: 'soon' } } });
  // @ts-expect-error no such route
  void api.GET('/nowhere');
  // @ts-expect-error POST /jobs needs its Idempotency-Key header
  void api.POST('/jobs', { body: { requests: [{ id: 'a', upstream: 'demo', path: '/' }] } });
}

// Every problem answer (application/problem+json) of every operation is typed as Problem: an
// operation whose problems are anything else is named by the compile error.
type ProblemBodies<Op> = Op extends { responses: infer R }
  ? { [S in keyof R]: R[S] extends { content: { 'application/problem+json': infer B } } ? B : never }[keyof R]
  : never;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Untyped = { [K in keyof operations]: Same<ProblemBodies<operations[K]>, Problem> extends true ? never : K }[keyof operations];
export const everyProblemTyped: [Untyped] extends [never] ? true : Untyped = true;
