// rust-plain's own JS: a timer as a promise.
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
