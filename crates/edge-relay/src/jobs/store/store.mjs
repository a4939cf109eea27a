// The D1 binding, for `src/jobs/store/mod.rs`.
/** Runs `[sql, args]` statements in one batch (one transaction); resolves to `[[rows, changes], …]` as JSON. */
export function d1_batch(db, statements) {
  const prepared = statements.map(([sql, args]) => db.prepare(sql).bind(...args));
  return db.batch(prepared).then((results) => JSON.stringify(results.map((r) => [r.results ?? [], r.meta?.changes ?? 0])));
}
