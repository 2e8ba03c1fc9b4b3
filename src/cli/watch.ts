/**
 * Renders a followed run: every view the client's `follow` yields feeds the timeline renderer, and the outcome is
 * printed once the run closes. Shared by `watch`, `start --wait` and apps that show a run the same way (the demo).
 */
import type { SagentClient } from '../client';
import type { RunView } from '../operations/run-view';
import type { RunState } from '../shared/contracts';
import { exitCodeFor, type ExitCode } from './errors';
import type { Output } from './io';
import { TimelineRenderer, type TimelineOptions } from './timeline';

/** How `watchRun` follows a run: how often, what to call on each state, and when to stop. */
export interface WatchOptions {
  /** @default FOLLOW_POLL_MS (500 ms) */
  pollMs?: number;
  /** Called with every fresh state while the run is live (the demo answers approvals here). @default none */
  onState?: (state: RunState, renderer: TimelineRenderer) => Promise<void> | void;
  /** Stop at `blocked` instead of waiting for an operator. @default false */
  exitOnBlocked?: boolean;
  /** Print nothing while following (the `--json` modes). @default false */
  quiet?: boolean;
  /** The renderer's options beyond the run and its UI link. @default the {@link TimelineOptions} defaults */
  renderer?: Partial<TimelineOptions>;
  /** Stops following early (Ctrl-C); the run itself goes on. @default none: follows until the run ends */
  signal?: AbortSignal;
  /** Print Claude's text as it arrives, from the run's live feed (and its sub-agents'). @default true unless quiet */
  text?: boolean;
}

/** How a watched run ended: its last view, and the exit code the CLI gives for it. */
export interface WatchResult {
  view: RunView;
  exitCode: ExitCode;
}

/** Follows a run to its end (or to `blocked` with `exitOnBlocked`, or until `signal`), printing its timeline on `out`. */
export async function watchRun(sagent: SagentClient, out: Output, workflowId: string, options: WatchOptions = {}): Promise<WatchResult> {
  const renderer = new TimelineRenderer(out, { workflowId, uiUrl: sagent.uiLink(workflowId), ...options.renderer });
  const quiet = options.quiet === true;
  const delegates = new Map<string, string>();
  const feedStop = new AbortController();
  const stopFeed = () => feedStop.abort();
  options.signal?.addEventListener('abort', stopFeed, { once: true });
  const reader = new FeedReadPoint();
  const feed =
    quiet || options.text === false ? Promise.resolve() : printText(sagent, renderer, workflowId, reader, feedStop.signal).finally(() => reader.end());
  let last: RunView | undefined;
  try {
    for await (const view of sagent.follow(workflowId, { pollMs: options.pollMs, closedState: !quiet, signal: options.signal })) {
      last = view;
      if (view.closed) {
        // The feed ends by itself once the run's last text is read; it gets a moment to, never longer.
        await Promise.race([feed, new Promise((resolve) => setTimeout(resolve, TEXT_GRACE_MS).unref())]);
        if (!quiet) renderer.finish(view);
        return { view, exitCode: exitCodeFor(view.status) };
      }
      if (view.state) {
        if (!quiet) {
          // The text the run wrote before this state comes first: the state waits (briefly) for the feed to catch up.
          await reader.reached(view.state.feedOffset);
          renderer.update(view.state);
          showDelegations(view.state, renderer, delegates);
        }
        await options.onState?.(view.state, renderer);
        if (options.exitOnBlocked && view.state.status === 'blocked') {
          if (!quiet) renderer.finish(view);
          return { view, exitCode: exitCodeFor('blocked') };
        }
      } else if (!quiet) {
        renderer.waiting(`${view.status} (from search attributes) · ${view.fallbackReason ?? 'waiting for a worker'}`);
      }
    }
  } catch (err) {
    renderer.stop();
    throw err;
  } finally {
    feedStop.abort();
    options.signal?.removeEventListener('abort', stopFeed);
  }
  // Only an aborted signal ends the following before the run closes.
  renderer.stop();
  if (!last) throw new Error(`stopped following ${workflowId} before its first read`);
  return { view: last, exitCode: exitCodeFor(last.status) };
}

/** How long a closed run's last text may take to arrive before the outcome is printed. */
const TEXT_GRACE_MS = 3000;

/** How long a state waits for the feed to reach the point it was read at, before it is printed all the same. */
const FEED_CATCH_UP_MS = 1500;

/** How far the run's own feed has been read, and a wait for it to reach an offset (bounded, and over once it ends). */
export class FeedReadPoint {
  private next = 0;
  private ended = false;
  private waiters: Array<() => void> = [];

  read(offset: number): void {
    this.next = Math.max(this.next, offset + 1);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  async reached(offset: number | undefined): Promise<void> {
    const deadline = Date.now() + FEED_CATCH_UP_MS;
    while (offset !== undefined && !this.ended && this.next < offset) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Prints Claude's text as the feed brings it; a feed that cannot be read leaves the timeline as it is. */
async function printText(sagent: SagentClient, renderer: TimelineRenderer, workflowId: string, reader: FeedReadPoint, signal: AbortSignal): Promise<void> {
  const agents = new Map<string, string>();
  try {
    for await (const item of sagent.feed(workflowId, { signal })) {
      if (item.workflowId === workflowId) reader.read(item.kind === 'gap' ? item.offset + item.missed - 1 : item.offset);
      const source = item.workflowId === workflowId ? '' : (agents.get(item.workflowId) ?? item.workflowId);
      if (item.kind === 'delegate') agents.set(item.child, item.agent);
      else if (item.kind === 'text') renderer.text(source, item.turn, item.text);
      else if (item.kind === 'reset')
        renderer.say(`  ↺ ${source ? `${source} ` : ''}turn ${item.turn}: the model call is tried again (attempt ${item.attempt}); its text starts over`);
      else if (item.kind === 'gap') renderer.say(`  … ${item.missed} earlier feed events are no longer held`);
    }
  } catch {
    // A run without a feed (older code) or a feed read that failed: the timeline is still shown.
  }
}

/** A running sub-agent's line, inline under its parent's timeline, whenever its status or pending calls change. */
function showDelegations(state: RunState, renderer: TimelineRenderer, shown: Map<string, string>): void {
  for (const delegation of state.delegations ?? []) {
    const pending = delegation.pendingApprovals.map((request) => `${request.tool} (${request.callId})`).join(', ');
    const line = `  ↳ ${delegation.agent} ${delegation.workflowId} · ${delegation.status}${pending ? ` · awaiting approval: ${pending}` : ''}`;
    if (shown.get(delegation.workflowId) === line) continue;
    shown.set(delegation.workflowId, line);
    renderer.say(line);
  }
}
