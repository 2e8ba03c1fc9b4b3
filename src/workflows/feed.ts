/**
 * The run's live feed, held in workflow memory: a bounded list of events with increasing offsets. Text comes in
 * batches from the model activity (a signal each), only while a reader's follow lease is live: a run nobody follows
 * gets no signal, and each answer's text joins the feed whole when it arrives. Steps and statuses are added as the run
 * takes them, which issues no command. Readers poll by query, so reading adds nothing to the history; a replay rebuilds the same events from
 * the same signals. Continue-as-new carries the next offset and the newest events.
 */
import { setHandler } from '@temporalio/workflow';
import {
  FEED_BATCH_MAX_BYTES,
  FEED_BUFFER_BYTES,
  FEED_BUFFER_EVENTS,
  FEED_CARRIED_BYTES,
  FEED_CARRIED_EVENTS,
  FEED_POLL_MAX,
  feedFollowSignal,
  feedPollQuery,
  feedPublishSignal,
  type CarriedFeed,
  type FeedBatch,
  type FeedEvent,
  type FeedEventBody,
  type FeedFollow,
  type FeedPage,
  type FeedPollRequest,
  leaseSecondsOf,
} from '../shared/feed';
import { byteLength } from '../policies/canonical';
import type { TimelineEntry } from '../shared/records';
import type { RunStatus } from '../shared/run';
import type { ModelTurn } from '../shared/wire';

const FINAL_STATUSES: readonly RunStatus[] = ['completed', 'compensated', 'cancelled'];

/** What the feed holds of one model turn's text: its newest attempt and batch, and that attempt's text so far. */
interface TurnText {
  attempt: number;
  seq: number;
  /** The attempt's text as the feed has it, while it is the start of the answer; `null` once a batch was lost or cut. */
  text: string | null;
  /** The answer came: its text is whole in the feed, and later batches are dropped. */
  answered: boolean;
}

export class FeedLog {
  private readonly events: FeedEvent[];
  private nextOffset: number;
  private bytes = 0;
  /** The newest attempt heard of per model turn, its newest batch, the text it sent, and whether the answer came. */
  private readonly attempts = new Map<number, TurnText>();
  private lastStatus: { status: RunStatus; detail: string | null } | null = null;
  /** Until when (workflow time, epoch ms) a reader follows; 0 when nobody has. */
  private followedUntil: number;

  constructor(carried?: CarriedFeed) {
    this.events = carried?.tail.slice(-FEED_CARRIED_EVENTS) ?? [];
    this.nextOffset = carried?.nextOffset ?? 0;
    this.followedUntil = Number.isSafeInteger(carried?.followedUntil) ? carried!.followedUntil! : 0;
    for (const event of this.events) this.bytes += sizeOf(event);
  }

  /** The offset the next event takes: a state read at this point is in step with the feed up to here. */
  get offset(): number {
    return this.nextOffset;
  }

  get done(): boolean {
    return this.lastStatus !== null && FINAL_STATUSES.includes(this.lastStatus.status);
  }

  /** A reader follows from `now` for its (bounded) lease; a shorter lease never cuts a longer one short. */
  follow(request: FeedFollow | undefined, now: number): void {
    this.followedUntil = Math.max(this.followedUntil, now + leaseSecondsOf(request) * 1000);
  }

  /** Whether a model call scheduled at `now` publishes its text: only while a follow lease is live. */
  followed(now: number): boolean {
    return now < this.followedUntil;
  }

  /**
   * Claude's answer to `turn` arrived, before its step settles in the feed. When no batch of its text came (nobody
   * followed when the call began), the text joins the feed whole, from the activity's result, which the history holds
   * already. When batches came, the text they did not bring joins now, so a reader has the whole turn before its step,
   * however late the last batch is; a batch that comes after the answer is dropped. Batches that are not the start of
   * the answer (one was lost, or they came from another attempt) are voided by a reset and the whole answer follows.
   */
  answered(turn: number, answer: ModelTurn): void {
    const text = answer.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
    const known = this.attempts.get(turn);
    if (!known) {
      this.attempts.set(turn, { attempt: 1, seq: 0, text: '', answered: true });
      if (text) this.append({ kind: 'text', turn, attempt: 1, text: cutToBytes(text, FEED_BATCH_MAX_BYTES) });
      return;
    }
    if (known.answered) return;
    known.answered = true;
    const sent = known.text;
    known.text = '';
    if (sent !== null && text.startsWith(sent)) {
      const rest = text.slice(sent.length);
      if (rest) this.append({ kind: 'text', turn, attempt: known.attempt, text: cutToBytes(rest, FEED_BATCH_MAX_BYTES) });
      return;
    }
    known.attempt += 1;
    this.append({ kind: 'reset', turn, attempt: known.attempt });
    if (text) this.append({ kind: 'text', turn, attempt: known.attempt, text: cutToBytes(text, FEED_BATCH_MAX_BYTES) });
  }

  /** Text of the model call for `turnInFlight`; batches of another turn, an older attempt or an older seq are dropped. */
  publish(batch: FeedBatch, turnInFlight: number | null): void {
    if (!isBatch(batch) || batch.turn !== turnInFlight) return;
    const known = this.attempts.get(batch.turn);
    if (known && (known.answered || batch.attempt < known.attempt || (batch.attempt === known.attempt && batch.seq <= known.seq))) return;
    if (batch.attempt > 1 && known?.attempt !== batch.attempt) this.append({ kind: 'reset', turn: batch.turn, attempt: batch.attempt });
    const text = cutToBytes(batch.text, FEED_BATCH_MAX_BYTES);
    const sameAttempt = known?.attempt === batch.attempt;
    // After a lost batch, or a batch cut short, the feed no longer holds the start of the answer: `null` says so.
    const before = sameAttempt ? known.text : '';
    const follows = before !== null && batch.seq === (sameAttempt ? known.seq : 0) + 1 && text === batch.text;
    this.attempts.set(batch.turn, { attempt: batch.attempt, seq: batch.seq, text: follows ? before + text : null, answered: false });
    if (text) this.append({ kind: 'text', turn: batch.turn, attempt: batch.attempt, text });
  }

  /** A timeline entry opened or settled. */
  step(entry: TimelineEntry): void {
    const { kind, title, state, detail, effectId } = entry;
    this.append({ kind: 'step', step: { kind, title, state, ...(detail ? { detail } : {}), ...(effectId ? { effectId } : {}) } });
  }

  /** The run's status, when it changed. */
  status(status: RunStatus, detail: string | null): void {
    if (this.lastStatus?.status === status && this.lastStatus.detail === detail) return;
    this.lastStatus = { status, detail };
    this.append({ kind: 'status', status, detail });
  }

  delegate(child: string, agent: string, effectId: string): void {
    this.append({ kind: 'delegate', child, agent, effectId });
  }

  /** The events from `request.from` on; `mask` hides secrets in what people read. */
  page(request: FeedPollRequest, mask: (text: string) => string): FeedPage {
    const from = Number.isSafeInteger(request?.from) && request.from >= 0 ? request.from : 0;
    const max = Number.isSafeInteger(request?.max) && request.max! > 0 ? Math.min(request.max!, FEED_POLL_MAX) : FEED_POLL_MAX;
    const first = this.events[0]?.offset ?? this.nextOffset;
    const events = this.events
      .filter((event) => event.offset >= from)
      .slice(0, max)
      .map((event) => masked(event, mask));
    const next = events.at(-1) ? events.at(-1)!.offset + 1 : Math.max(from, first);
    return { events, next: Math.min(next, this.nextOffset), first, done: this.done && next >= this.nextOffset };
  }

  /**
   * What continue-as-new carries at `now`: the next offset and the lease, and the newest events (bounded in count and
   * bytes) only while a reader follows. Nobody reads a tail that nobody follows, and every link would carry it twice
   * (its start and its continue-as-new), so a long run's links would grow by it.
   */
  carry(now: number): CarriedFeed {
    return {
      nextOffset: this.nextOffset,
      tail: this.followed(now) ? newestWithin(this.events, FEED_CARRIED_EVENTS, FEED_CARRIED_BYTES) : [],
      ...(this.followedUntil > 0 ? { followedUntil: this.followedUntil } : {}),
    };
  }

  private append(body: FeedEventBody): void {
    const event = { ...body, offset: this.nextOffset, at: new Date(Date.now()).toISOString() } as FeedEvent;
    this.nextOffset += 1;
    this.events.push(event);
    this.bytes += sizeOf(event);
    while (this.events.length > FEED_BUFFER_EVENTS || (this.bytes > FEED_BUFFER_BYTES && this.events.length > 1)) {
      this.bytes -= sizeOf(this.events.shift()!);
    }
  }
}

/** Installs the feed's signals and query; `turnInFlight` and `mask` read the run as it stands. */
export function installFeedHandlers(feed: FeedLog, turnInFlight: () => number | null, mask: () => (text: string) => string): void {
  setHandler(feedPublishSignal, (batch) => feed.publish(batch, turnInFlight()), {
    description: "Claude's text as it is written, in batches from the model call (sent by the worker).",
  });
  setHandler(feedFollowSignal, (request) => feed.follow(request, Date.now()), {
    description: 'A reader follows the live feed: Claude\'s text is published for the lease, e.g. {"leaseSeconds": 120} (at most 3600).',
  });
  setHandler(feedPollQuery, (request) => feed.page(request, mask()), {
    description: 'The live feed from an offset: text pieces, steps, statuses and sub-agents, e.g. {"from": 0}.',
  });
}

function masked(event: FeedEvent, mask: (text: string) => string): FeedEvent {
  if (event.kind === 'text') return { ...event, text: mask(event.text) };
  if (event.kind === 'step')
    return { ...event, step: { ...event.step, title: mask(event.step.title), ...(event.step.detail ? { detail: mask(event.step.detail) } : {}) } };
  if (event.kind === 'status' && event.detail) return { ...event, detail: mask(event.detail) };
  return event;
}

function isBatch(batch: FeedBatch): boolean {
  return (
    typeof batch === 'object' &&
    batch !== null &&
    Number.isSafeInteger(batch.turn) &&
    Number.isSafeInteger(batch.attempt) &&
    batch.attempt >= 1 &&
    Number.isSafeInteger(batch.seq) &&
    typeof batch.text === 'string'
  );
}

/** The newest `maxEvents` of `events` whose JSON fits in `maxBytes` together, oldest first. */
function newestWithin(events: readonly FeedEvent[], maxEvents: number, maxBytes: number): FeedEvent[] {
  let bytes = 0;
  let start = events.length;
  while (start > 0 && events.length - start < maxEvents) {
    bytes += byteLength(JSON.stringify(events[start - 1]));
    if (bytes > maxBytes) break;
    start -= 1;
  }
  return events.slice(start);
}

function sizeOf(event: FeedEvent): number {
  return event.kind === 'text' ? event.text.length + 64 : event.kind === 'step' ? event.step.title.length + (event.step.detail?.length ?? 0) + 64 : 128;
}

/** At most `max` UTF-8 bytes of `text`, cut at a character. */
function cutToBytes(text: string, max: number): string {
  if (text.length * 3 <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const point = char.codePointAt(0)!;
    const size = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    if (bytes + size > max) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
