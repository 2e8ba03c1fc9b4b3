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

/**
 * A call not yet continued: the work to start and what its value or failure becomes. Each stage maps it without a
 * promise of its own, and `settled()` attaches them all with one `.then`, so a tool call's executor, its settling and
 * the read path's bookkeeping cost one promise, not one each. A stage may hand back a promise (a rare path, such as a
 * fallback model): the stages after it then continue on that promise.
 */
export class Pending<T> {
  private constructor(
    /**
     * Starts the call and hands back the call's own promise, with no continuation of ours on it: for the loop, which
     * awaits it (a synchronous throw handled as a rejection) and passes what it settled with to `resume`, so a step's
     * call costs the loop's await and nothing more. The loop calls it directly: a method around it would be one more
     * frame in the stack the SDK captures and source-maps for every promise the call makes.
     */
    readonly start: () => Promise<unknown>,
    private readonly onValue: (value: unknown) => T | Promise<T>,
    private readonly onError: (err: unknown) => T | Promise<T>,
  ) {}

  /** The call `start` makes, continued by `onValue` or `onError` once it settles. */
  static of<S, T>(start: () => Promise<S>, onValue: (value: S) => T | Promise<T>, onError: (err: unknown) => T | Promise<T>): Pending<T> {
    return new Pending<T>(start, onValue as (value: unknown) => T | Promise<T>, onError);
  }

  /** The value or failure of `start` as it is. */
  static from<T>(start: () => Promise<T>): Pending<T> {
    return Pending.of(start, (value: T) => value, rethrow);
  }

  /** A further stage: `onValue` takes this stage's value, `onError` its failure (or a failure of `onValue`'s stage). */
  map<R>(onValue: (value: T) => R | Promise<R>, onError: (err: unknown) => R | Promise<R>): Pending<R> {
    const next = (stage: () => T | Promise<T>): R | Promise<R> => {
      let value: T | Promise<T>;
      try {
        value = stage();
      } catch (err) {
        return onError(err);
      }
      return isPromise(value) ? value.then(onValue, onError) : onValue(value);
    };
    return new Pending<R>(
      this.start,
      (value) => next(() => this.onValue(value)),
      (err) => next(() => this.onError(err)),
    );
  }

  /** Every stage applied to what `start()`'s promise settled with; a promise when a stage handed one back. */
  resume(settled: Settled): T | Promise<T> {
    return settled.ok ? this.onValue(settled.value) : this.onError(settled.error);
  }

  /** Starts the call and continues it through every stage with one `.then`. */
  settled(): Promise<T> {
    // A stage's promise is adopted by the `.then`, so what settles is always the value.
    return afterSettled(this.start, this.onValue, this.onError) as Promise<T>;
  }
}

/** What an awaited call settled with: its value, or what the await threw. */
export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

// By shape, not `instanceof`: a promise may come from another realm than the one this module runs in.
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Passes a failure on to the next stage. */
export function rethrow(err: unknown): never {
  throw err;
}
