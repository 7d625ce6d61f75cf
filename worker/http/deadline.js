// A deadline on a promise: the I/O the worker waits for (Pleo's token
// endpoint, a receipt download's next chunk, an event sink) must answer in
// time, or the caller's own error is thrown and the timer is cleared.

/** `promise`, or `timeoutError()` thrown when it has not settled within `ms`. */
export function withDeadline(promise, ms, timeoutError) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
