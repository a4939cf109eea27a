// Promises and timers for `src/executor/settled.rs`: every outcome reaches Rust through one
// callback, by slot.
// Each registration keeps the callback of the instance that made it: after an abort, the
// fresh instance sets its own and numbers its slots from the start, so a late outcome for the
// old instance is dropped instead of reaching whatever took its slot.
let fire;
export function set_fire(callback) {
  fire = callback;
}
export function when(promise, index, generation) {
  const f = fire;
  promise.then((value) => f === fire && f(index, generation, true, value), (error) => f === fire && f(index, generation, false, error));
}
export function after(ms, index, generation) {
  const f = fire;
  return setTimeout(() => f === fire && f(index, generation, true, undefined), ms);
}
export function cancel(timer) {
  clearTimeout(timer);
}
