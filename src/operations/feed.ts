/**
 * Following a run's live feed: Claude's text as it is written, and every step, as one async iterator. The reader
 * asks each run it follows (a sub-agent too) to publish its text with a follow signal, renewed at half its lease:
 * a run nobody follows publishes nothing. Each run of the chain answers a query with the events after an offset
 * (polling adds nothing to the history); the handle names
 * no run id, so a continue-as-new is followed to the next run, which carried the offset on. A sub-agent's feed is
 * followed too, from the moment its parent's feed says it started.
 */
import { FEED_LEASE_MAX_SECONDS, feedFollowSignal, feedPollQuery, leaseSecondsOf, type FeedEvent, type FeedPage } from '../shared/feed';
import type { ClientContext } from './context';
import { handleOf, notFoundAs } from './context';
import { RunNotFoundError } from './errors';
import { sleep } from './follow';

/** Events a reader missed because it fell behind what the run holds (or carried over continue-as-new). */
export interface FeedGap {
  kind: 'gap';
  /** The first offset missed. */
  offset: number;
  missed: number;
  at: string;
}

/** One event of the feed, with the run (the parent's, or a sub-agent's) it comes from. */
export type FeedItem = (FeedEvent | FeedGap) & { workflowId: string };

/** How `SagentClient.feed` follows a run. */
export interface FeedOptions {
  /** The offset to start from in the run's own feed (sub-agents are read from their start). @default 0 */
  from?: number;
  /** The wait between two reads that brought nothing new. @default 200 */
  pollMs?: number;
  /**
   * How long each follow signal asks the run to publish its text; renewed at half of it while the reader reads.
   * @default 120 (at most 3600)
   */
  leaseSeconds?: number;
  /** Follow each sub-agent's feed too. @default true */
  delegates?: boolean;
  /** Stops following (Ctrl-C, say); the run itself goes on. @default none: follows until the run ends */
  signal?: AbortSignal;
}

/** Reads that bring nothing before the run is checked for an end its feed cannot tell (terminated, failed). */
const EMPTY_READS_BEFORE_DESCRIBE = 10;

/**
 * Yields the feed of `workflowId` (and of its sub-agents) as events arrive, until the run and every sub-agent
 * followed have ended, `signal` aborts, or the consumer breaks. `RunNotFoundError` for an unknown id.
 */
export async function* followFeed(ctx: ClientContext, workflowId: string, options: FeedOptions = {}): AsyncGenerator<FeedItem, void, undefined> {
  const lease = options.leaseSeconds;
  if (lease !== undefined && !(typeof lease === 'number' && Number.isFinite(lease) && lease >= 1 && lease <= FEED_LEASE_MAX_SECONDS)) {
    throw new RangeError(`leaseSeconds must be a number of seconds from 1 to ${FEED_LEASE_MAX_SECONDS}; got ${String(lease)}`);
  }
  const leaseMs = leaseSecondsOf({ leaseSeconds: lease }) * 1000;
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const sources = new Map<string, AsyncGenerator<FeedItem, void, undefined>>();
  const pending = new Map<string, Promise<{ id: string; result: IteratorResult<FeedItem, void> }>>();
  const pull = (id: string) =>
    pending.set(
      id,
      sources
        .get(id)!
        .next()
        .then((result) => ({ id, result })),
    );
  const add = (id: string, from: number) => {
    sources.set(id, readRunFeed(ctx, id, from, id === workflowId, { pollMs: options.pollMs ?? 200, leaseMs }, stop.signal));
    pull(id);
  };
  try {
    add(workflowId, options.from ?? 0);
    while (pending.size > 0) {
      const { id, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(id);
        continue;
      }
      pull(id);
      const item = result.value;
      if (item.kind === 'delegate' && options.delegates !== false && !sources.has(item.child)) add(item.child, 0);
      yield item;
    }
  } finally {
    stop.abort();
    options.signal?.removeEventListener('abort', abort);
  }
}

/** How long a run may go without the feed's query before it is taken for older code (its start-up activities run first). */
const FEED_REGISTRATION_GRACE_MS = 60_000;

/** One run's feed (across its continue-as-new chain) until it is done. */
async function* readRunFeed(
  ctx: ClientContext,
  workflowId: string,
  from: number,
  root: boolean,
  { pollMs, leaseMs }: { pollMs: number; leaseMs: number },
  signal: AbortSignal,
): AsyncGenerator<FeedItem, void, undefined> {
  const handle = handleOf(ctx, workflowId);
  let offset = from;
  let empty = 0;
  let closedSeen = false;
  let followedAt = -Infinity;
  let unregisteredSince: number | null = null;
  while (!signal.aborted) {
    // The follow lease, asked at once and renewed at half its length; a run that has ended (or not begun) refuses it.
    if (Date.now() - followedAt >= leaseMs / 2) {
      followedAt = Date.now();
      await handle.signal(feedFollowSignal, { leaseSeconds: leaseMs / 1000 }).catch(() => undefined);
    }
    let page: FeedPage | null = null;
    try {
      page = await ctx.client.connection.withDeadline(Date.now() + ctx.queryTimeoutMs, () => handle.query(feedPollQuery, { from: offset }));
    } catch (err) {
      const missing = notFoundAs(ctx, workflowId, err);
      // A sub-agent's run may not be there yet when its parent's feed names it.
      if (missing instanceof RunNotFoundError && root) throw missing;
      // A run registers the feed with its other handlers once its start-up activities (MCP tools, access) are done;
      // one that still has none after a grace period is older code, or not a sagent run.
      if ((err as Error).name === 'QueryNotRegisteredError') {
        unregisteredSince ??= Date.now();
        if (Date.now() - unregisteredSince > FEED_REGISTRATION_GRACE_MS)
          throw new Error(`${workflowId} has no live feed (a run started by an older sagent, or not a sagent run)`);
      }
    }
    if (page) {
      unregisteredSince = null;
      if (page.first > offset) yield { kind: 'gap', offset, missed: page.first - offset, at: new Date().toISOString(), workflowId };
      for (const event of page.events) yield { ...event, workflowId };
      offset = page.next;
      if (page.done) return;
      if (page.events.length > 0) {
        empty = 0;
        continue;
      }
    }
    // A run that ended without a final status in its feed (terminated, timed out, failed) is read once more, then left.
    empty += 1;
    if (empty % EMPTY_READS_BEFORE_DESCRIBE === 0) {
      if (closedSeen) return;
      const status = await handle
        .describe()
        .then((description) => description.status.name)
        .catch(() => 'RUNNING');
      closedSeen = status !== 'RUNNING' && status !== 'CONTINUED_AS_NEW';
    }
    await sleep(pollMs, signal);
  }
}

/**
 * The text of each model turn as a feed has it so far: pieces appended in order, and a retried call's text
 * replacing the failed attempt's. Apps that show a run's text (a web page, a terminal) keep one.
 */
export class FeedTranscript {
  private readonly turns = new Map<string, { attempt: number; text: string }>();

  /** Takes in one item of the feed; returns the turn's text when the item changed it. */
  apply(item: FeedItem): string | undefined {
    if (item.kind !== 'text' && item.kind !== 'reset') return undefined;
    const key = `${item.workflowId}\u0000${item.turn}`;
    const known = this.turns.get(key);
    if (item.kind === 'reset' || (known && item.attempt > known.attempt)) this.turns.set(key, { attempt: item.attempt, text: '' });
    else if (known && item.attempt < known.attempt) return undefined;
    const turn = this.turns.get(key) ?? { attempt: item.attempt, text: '' };
    if (item.kind === 'text') turn.text += item.text;
    this.turns.set(key, turn);
    return turn.text;
  }

  /** The text of `turn` of `workflowId` so far ('' when none). */
  text(workflowId: string, turn: number): string {
    return this.turns.get(`${workflowId}\u0000${turn}`)?.text ?? '';
  }
}
