/**
 * `condition(fn, timeoutMs, options)` with the same commands in fewer promises. The SDK keeps a formatted stack for
 * every pending promise of workflow code, and its timed condition holds eleven (a scope run, a race, both arms and
 * their continuations) for as long as it waits; a run that waits for a person holds its wait for hours, and a fleet
 * holds thousands of them. Here the timer runs in a scope of its own and only raises a flag the untimed condition
 * reads: the same timer is started (same summary), and cancelled once `fn` comes true first, before the caller
 * resumes, so the commands and their order are the SDK's.
 */
import { CancellationScope, condition, sleep, type TimerOptions } from '@temporalio/workflow';

/** Resolves true once `fn()` is true, false once `timeoutMs` passed first; rejects when the run's scope is cancelled. */
export function waitUntil(fn: () => boolean, timeoutMs: number, options?: TimerOptions): Promise<boolean> {
  // A child of the current scope: cancelling the run cancels the timer, as the SDK's timed condition does.
  const expiry = new CancellationScope();
  let expired = false;
  void expiry
    .run(() => sleep(timeoutMs, options))
    .then(
      () => {
        expired = true;
      },
      // Cancelled: `fn` came true first, or the run was cancelled (the condition below rejects then).
      () => undefined,
    );
  return condition(() => expired || fn()).then(() => {
    // The timer's cancellation is queued before the caller's continuation: its command comes first, as the SDK's.
    if (!expired) expiry.cancel();
    return !expired;
  });
}
