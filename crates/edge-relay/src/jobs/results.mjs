// The jobs' result objects in R2 (the JOBS_RESULTS bucket), for `src/jobs/results.rs`: one
// object per finished item, `jobs/{job}/{index}`, holding its result as one NDJSON line.

/** Keys one R2 `delete` call takes at most. */
export const DELETE_BATCH = 1000;
/** Results of a page read at once. */
const READ_WINDOW = 8;
const NEWLINE = new Uint8Array([10]);

/** The object key of item `index` of job `job`. */
export const resultKey = (job, index) => `jobs/${job}/${index}`;

/** Stores item `index`'s result line (a string). */
export function put_result(bucket, job, index, line) {
  return bucket.put(resultKey(job, index), line, { httpMetadata: { contentType: 'application/x-ndjson' } });
}

/** The result lines of items `indices`, in order, as an array of strings (`null` for a missing one). */
export async function read_results(bucket, job, view) {
  const indices = view.slice(); // a view of wasm memory, valid only during the call
  const lines = [];
  for (let at = 0; at < indices.length; at += READ_WINDOW) {
    const window = Array.from(indices.slice(at, at + READ_WINDOW), (index) => bucket.get(resultKey(job, index)).then((o) => o?.text() ?? null));
    lines.push(...(await Promise.all(window)));
  }
  return lines;
}

/** Objects looked up ahead of the one streaming: their bodies wait unread. */
const LOOK_AHEAD = 8;

/**
 * The result lines of items `indices` (a Uint32Array, in order) as one NDJSON stream, read
 * object by object and chunk by chunk as the client takes them: one chunk in memory at a time,
 * while the next `LOOK_AHEAD` objects' lookups go on. An object deleted meanwhile (retention)
 * is left out.
 */
export function results_stream(bucket, job, view) {
  const indices = view.slice(); // a view of wasm memory, valid only during the call
  let next = 0;
  let reader = null;
  const ahead = [];
  const lookUp = () => {
    while (ahead.length < LOOK_AHEAD && next < indices.length) ahead.push(bucket.get(resultKey(job, indices[next++])));
  };
  return new ReadableStream(
    {
      async pull(controller) {
        for (;;) {
          if (!reader) {
            lookUp();
            if (ahead.length === 0) return controller.close();
            const object = await ahead.shift();
            if (!object) continue;
            reader = object.body.getReader();
          }
          const { done, value } = await reader.read();
          if (!done) return controller.enqueue(value);
          reader = null;
          return controller.enqueue(NEWLINE);
        }
      },
      cancel(reason) {
        for (const lookup of ahead.splice(0)) lookup.then((object) => object?.body.cancel()).catch(() => {});
        return reader?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Deletes the result objects of items `0..total` of job `job`, `DELETE_BATCH` keys a call. */
export async function delete_results(bucket, job, total) {
  for (let start = 0; start < total; start += DELETE_BATCH) {
    const keys = [];
    for (let index = start; index < Math.min(total, start + DELETE_BATCH); index++) keys.push(resultKey(job, index));
    await bucket.delete(keys);
  }
}
