// The jobs queue's producer binding, for `src/jobs/mod.rs`.

/** Sends each string as one message's body, in one call. */
export function send_bodies(queue, bodies) {
  return queue.sendBatch(bodies.map((body) => ({ body })));
}
