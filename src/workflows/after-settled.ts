/**
 * A continuation with one promise where an async function makes two. The SDK's promise hook captures a stack (source
 * mapped) for every promise workflow code creates, so on the path every step takes an async wrapper around one await
 * is the workflow thread's largest cost. `start().then(onValue, onError)` settles on the same microtask as
 * `try { onValue(await start()) } catch (err) { onError(err) }`, so the commands and their order stay the same.
 */
export function afterSettled<T, R>(start: () => Promise<T>, onValue: (value: T) => R, onError: (err: unknown) => R): Promise<R> {
  let started: Promise<T>;
  try {
    started = start();
  } catch (err) {
    // As in an async function: a synchronous throw is handled as a rejection.
    started = Promise.reject(err);
  }
  return started.then(onValue, onError);
}
