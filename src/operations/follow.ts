/**
 * Following a run until it ends: its view about twice a second, as an async iterator. The handle carries no run
 * id, so a continue-as-new is followed to the next run.
 */
import { FOLLOW_POLL_MS } from '../shared/constants';
import type { ClientContext } from './context';
import { readRun, type RunView } from './run-view';

/** How `SagentClient.follow` follows a run: how often, and whether to read a closed run's full state. */
export interface FollowOptions {
  /** How often the run is read. @default FOLLOW_POLL_MS (500 ms) */
  pollMs?: number;
  /** Also read a closed run's state (its full timeline) from a worker. @default true */
  closedState?: boolean;
  /** Stops following early (Ctrl-C, say); the run itself goes on. @default none: follows until the run ends */
  signal?: AbortSignal;
}

/**
 * Yields the run's view on every poll; the last one yielded is closed, unless `signal` stopped the following first
 * (then the iterator ends after the view it was reading). A consumer may also `break` at any time.
 */
export async function* followRun(ctx: ClientContext, workflowId: string, options: FollowOptions = {}): AsyncGenerator<RunView, void, undefined> {
  const pollMs = options.pollMs ?? FOLLOW_POLL_MS;
  for (;;) {
    const view = await readRun(ctx, workflowId, { closedState: options.closedState ?? true });
    yield view;
    if (view.closed || options.signal?.aborted) return;
    await sleep(pollMs, options.signal);
  }
}

/** Waits `ms`, or less when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
