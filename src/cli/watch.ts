/**
 * Follows a run until it ends: polls its state (about twice a second), feeds the timeline renderer, and reads the
 * outcome once the run closes. The handle carries no run id, so a continue-as-new is followed to the next run.
 */
import type { RunState } from '../shared/contracts';
import type { CliContext } from './context';
import { exitCodeFor, type ExitCode } from './errors';
import { readRun, type RunView } from './run-view';
import { TimelineRenderer, type TimelineOptions } from './timeline';

export interface WatchOptions {
  /** @default 500 */
  pollMs?: number;
  /** Called with every fresh state while the run is live (the demo answers approvals here). */
  onState?: (state: RunState, renderer: TimelineRenderer) => Promise<void> | void;
  /** Stop at `blocked` instead of waiting for an operator. @default false */
  exitOnBlocked?: boolean;
  /** Print nothing while following (the `--json` modes). @default false */
  quiet?: boolean;
  renderer?: Partial<TimelineOptions>;
  /** Stops following early (Ctrl-C); the run itself goes on. */
  signal?: AbortSignal;
}

export interface WatchResult {
  view: RunView;
  exitCode: ExitCode;
}

export async function watchRun(ctx: CliContext, workflowId: string, options: WatchOptions = {}): Promise<WatchResult> {
  const renderer = new TimelineRenderer(ctx.out, { workflowId, uiUrl: ctx.uiLink(workflowId), ...options.renderer });
  const pollMs = options.pollMs ?? 500;
  try {
    for (;;) {
      const view = await readRun(ctx, workflowId, { closedState: !options.quiet });
      if (view.closed) {
        if (!options.quiet) renderer.finish(view);
        return { view, exitCode: exitCodeFor(view.status) };
      }
      if (view.state) {
        if (!options.quiet) renderer.update(view.state);
        await options.onState?.(view.state, renderer);
        if (options.exitOnBlocked && view.state.status === 'blocked') {
          if (!options.quiet) renderer.finish(view);
          return { view, exitCode: exitCodeFor('blocked') };
        }
      } else if (!options.quiet) {
        renderer.waiting(`${view.status} (from search attributes) · ${view.fallbackReason ?? 'waiting for a worker'}`);
      }
      if (options.signal?.aborted) {
        renderer.stop();
        return { view, exitCode: exitCodeFor(view.status) };
      }
      await sleep(pollMs, options.signal);
    }
  } catch (err) {
    renderer.stop();
    throw err;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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
