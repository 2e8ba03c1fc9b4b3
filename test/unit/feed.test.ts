/** The live feed's rules without a server: what the run keeps of text batches, what a reader gets, what is carried. */
import { FeedPublisher } from '../../src/activities/feed-publisher';
import { FeedReadPoint } from '../../src/cli/watch';
import { parseScenario } from '../../src/dev/scenario';
import { FeedTranscript, type FeedItem } from '../../src/operations/feed';
import {
  FEED_BATCH_MAX_BYTES,
  FEED_BUFFER_EVENTS,
  FEED_CARRIED_BYTES,
  FEED_CARRIED_EVENTS,
  FEED_LEASE_DEFAULT_SECONDS,
  FEED_LEASE_MAX_SECONDS,
  leaseSecondsOf,
  type FeedBatch,
  type FeedEvent,
} from '../../src/shared/feed';
import type { TimelineEntry } from '../../src/shared/records';
import type { ModelTurn } from '../../src/shared/wire';
import { FeedLog } from '../../src/workflows/feed';

const plain = (text: string) => text;
const batch = (seq: number, text: string, attempt = 1, turn = 1): FeedBatch => ({ turn, attempt, seq, text });
const answer = (text: string): ModelTurn =>
  ({
    model: 'claude',
    content: [
      { type: 'thinking', thinking: 'secret plan', signature: 'sig' },
      { type: 'text', text },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 1, output_tokens: 1 },
    cost_usd: 0,
    request_id: null,
  }) as ModelTurn;
const texts = (events: FeedEvent[]) => events.flatMap((event) => (event.kind === 'text' ? [event.text] : []));

describe('FeedLog', () => {
  it('keeps batches of the turn in flight in order, and drops repeats, older seqs, other turns and malformed ones', () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'Hello '), 1);
    feed.publish(batch(1, 'Hello '), 1);
    feed.publish(batch(3, 'world'), 1);
    feed.publish(batch(2, 'late'), 1);
    feed.publish(batch(4, 'next turn', 1, 2), 1);
    feed.publish(batch(5, 'no call in flight'), null);
    feed.publish({ turn: 1, attempt: 0, seq: 9, text: 'x' }, 1);
    feed.publish(null as unknown as FeedBatch, 1);
    expect(texts(feed.page({ from: 0 }, plain).events)).toEqual(['Hello ', 'world']);
  });

  it("a retry's first batch voids the failed attempt's text with a reset; the failed attempt's late batches are dropped", () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'Part'), 1);
    feed.publish(batch(1, '', 2), 1);
    feed.publish(batch(2, 'ial, late'), 1);
    feed.publish(batch(2, 'Whole answer.', 2), 1);
    const { events } = feed.page({ from: 0 }, plain);
    expect(events.map((event) => event.kind)).toEqual(['text', 'reset', 'text']);
    expect(events[1]).toMatchObject({ kind: 'reset', turn: 1, attempt: 2 });
    const transcript = new FeedTranscript();
    for (const event of events) transcript.apply({ ...event, workflowId: 'run' } as FeedItem);
    expect(transcript.text('run', 1)).toBe('Whole answer.');
  });

  it('bounds what one batch stores, and what the run holds; a reader behind the oldest offset sees where it starts', () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'é'.repeat(FEED_BATCH_MAX_BYTES)), 1);
    expect(Buffer.byteLength(texts(feed.page({ from: 0 }, plain).events)[0])).toBeLessThanOrEqual(FEED_BATCH_MAX_BYTES);
    for (let index = 0; index < FEED_BUFFER_EVENTS + 10; index += 1) feed.status(index % 2 ? 'running' : 'awaiting_approval', String(index));
    const page = feed.page({ from: 0 }, plain);
    expect(page.first).toBeGreaterThan(0);
    expect(page.events[0].offset).toBe(page.first);
    expect(page.events.length).toBeLessThanOrEqual(500);
  });

  it('answers from an offset, masks text and steps, and says done only once the final status is read', () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'Card 4242424242424242 charged.'), 1);
    feed.step({ kind: 'tool', title: 'charge_card 4242424242424242', at: '', state: 'ok' });
    feed.status('completed', null);
    const mask = (text: string) => text.replace(/4242424242424242/g, '•••• 4242');
    const all = feed.page({ from: 0 }, mask);
    expect(texts(all.events)).toEqual(['Card •••• 4242 charged.']);
    expect(all.events[1]).toMatchObject({ kind: 'step', step: { title: 'charge_card •••• 4242' } });
    expect(all).toMatchObject({ next: 3, done: true });
    expect(feed.page({ from: 0, max: 1 }, mask)).toMatchObject({ next: 1, done: false });
    expect(feed.page({ from: 3 }, mask)).toMatchObject({ events: [], next: 3, done: true });
    expect(feed.page({ from: -4 } as never, mask).events).toHaveLength(3);
  });

  it('carries its next offset and newest events over continue-as-new while a reader follows, and the next run goes on from there', () => {
    const now = Date.UTC(2026, 0, 1);
    const feed = new FeedLog();
    feed.follow({ leaseSeconds: 60 }, now);
    for (let index = 0; index < FEED_CARRIED_EVENTS + 5; index += 1) feed.status('running', String(index));
    const next = new FeedLog(feed.carry(now));
    next.status('completed', null);
    const page = next.page({ from: 0 }, plain);
    expect(page.first).toBe(5);
    expect(page.events.at(-1)).toMatchObject({ offset: FEED_CARRIED_EVENTS + 5, kind: 'status', status: 'completed' });
  });

  // regression: every link of a 10,000-step run carried 100 events (~20 KB) nobody read, twice in its history.
  it('a run nobody follows carries its next offset but no events; the next run goes on from that offset', () => {
    const now = Date.UTC(2026, 0, 1);
    const feed = new FeedLog();
    for (let index = 0; index < 10; index += 1) feed.status('running', String(index));
    feed.follow({ leaseSeconds: 60 }, now);
    const lapsed = feed.carry(now + 60_000);
    expect(lapsed).toMatchObject({ nextOffset: 10, tail: [] });
    const next = new FeedLog(lapsed);
    next.status('completed', null);
    expect(next.page({ from: 0 }, plain)).toMatchObject({ first: 10, next: 11, events: [{ offset: 10, status: 'completed' }] });
  });

  it('carries at most FEED_CARRIED_BYTES of events, the newest whole, however large the answers were', () => {
    const now = Date.UTC(2026, 0, 1);
    const feed = new FeedLog();
    feed.follow({ leaseSeconds: 60 }, now);
    for (let turn = 1; turn <= 20; turn += 1) feed.answered(turn, answer(`${turn} `.padEnd(FEED_BATCH_MAX_BYTES, 'é')));
    const { tail } = feed.carry(now);
    expect(Buffer.byteLength(JSON.stringify(tail))).toBeLessThanOrEqual(FEED_CARRIED_BYTES);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.at(-1)).toMatchObject({ kind: 'text', turn: 20 });
    expect(tail.map((event) => (event.kind === 'text' ? event.turn : null))).toEqual([...Array(tail.length).keys()].map((index) => 21 - tail.length + index));
  });
});

describe('follow leases', () => {
  const T0 = Date.UTC(2026, 0, 1);

  it('bounds a lease: none or an unusable one is the default, a long one the maximum', () => {
    expect(leaseSecondsOf(undefined)).toBe(FEED_LEASE_DEFAULT_SECONDS);
    expect(leaseSecondsOf({})).toBe(FEED_LEASE_DEFAULT_SECONDS);
    for (const leaseSeconds of [0, -5, Number.NaN, Infinity, '60' as unknown as number])
      expect(leaseSecondsOf({ leaseSeconds })).toBe(FEED_LEASE_DEFAULT_SECONDS);
    expect(leaseSecondsOf({ leaseSeconds: 30 })).toBe(30);
    expect(leaseSecondsOf({ leaseSeconds: 10 * FEED_LEASE_MAX_SECONDS })).toBe(FEED_LEASE_MAX_SECONDS);
  });

  it('a run nobody follows publishes nothing; a follow holds for its lease, and a shorter renewal never cuts it short', () => {
    const feed = new FeedLog();
    expect(feed.followed(T0)).toBe(false);
    feed.follow({ leaseSeconds: 10 }, T0);
    expect(feed.followed(T0 + 9_999)).toBe(true);
    expect(feed.followed(T0 + 10_000)).toBe(false);
    feed.follow({ leaseSeconds: 120 }, T0);
    feed.follow({ leaseSeconds: 1 }, T0 + 1000);
    expect(feed.followed(T0 + 119_999)).toBe(true);
    expect(feed.followed(T0 + 120_000)).toBe(false);
    feed.follow({ leaseSeconds: 1e9 }, T0);
    expect(feed.followed(T0 + FEED_LEASE_MAX_SECONDS * 1000 - 1)).toBe(true);
    expect(feed.followed(T0 + FEED_LEASE_MAX_SECONDS * 1000)).toBe(false);
  });

  it('the lease survives continue-as-new; a feed nobody followed carries none', () => {
    const quiet = new FeedLog();
    expect(quiet.carry(T0)).not.toHaveProperty('followedUntil');
    expect(new FeedLog(quiet.carry(T0)).followed(T0)).toBe(false);
    const feed = new FeedLog();
    feed.follow({ leaseSeconds: 60 }, T0);
    const next = new FeedLog(JSON.parse(JSON.stringify(feed.carry(T0))));
    expect(next.followed(T0 + 59_000)).toBe(true);
    expect(next.followed(T0 + 60_000)).toBe(false);
    expect(new FeedLog({ nextOffset: 0, tail: [], followedUntil: 'soon' as unknown as number }).followed(T0)).toBe(false);
  });

  it('an answer nobody streamed joins the feed whole; a streamed one is not added twice; thinking stays out', () => {
    const feed = new FeedLog();
    feed.answered(1, answer('Whole, at the end.'));
    feed.publish(batch(1, 'Stre', 1, 2), 2);
    feed.publish(batch(2, 'amed.', 1, 2), 2);
    feed.answered(2, answer('Streamed.'));
    const { events } = feed.page({ from: 0 }, plain);
    expect(events.map((event) => (event.kind === 'text' ? [event.turn, event.text] : event.kind))).toEqual([
      [1, 'Whole, at the end.'],
      [2, 'Stre'],
      [2, 'amed.'],
    ]);
  });

  it('the answer completes text whose last batch is late, so the text comes before the step; the late batch is dropped', () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'Lisbon is '), 1);
    feed.answered(1, answer('Lisbon is sunny.'));
    feed.step({ kind: 'model', title: 'turn 1', state: 'ok', at: '2026-12-07T00:00:00.000Z' } as TimelineEntry);
    feed.publish(batch(2, 'sunny.'), 1);
    const { events } = feed.page({ from: 0 }, plain);
    expect(events.map((event) => (event.kind === 'text' ? event.text : event.kind))).toEqual(['Lisbon is ', 'sunny.', 'step']);
    const transcript = new FeedTranscript();
    for (const event of events) transcript.apply({ ...event, workflowId: 'w' } as FeedItem);
    expect(transcript.text('w', 1)).toBe('Lisbon is sunny.');
  });

  it('after a lost batch, or batches of another attempt, the answer voids the text with a reset and comes whole', () => {
    const feed = new FeedLog();
    feed.publish(batch(1, 'Lis'), 1);
    feed.publish(batch(3, 'sunny.'), 1);
    feed.answered(1, answer('Lisbon is sunny.'));
    const other = new FeedLog();
    other.publish(batch(1, 'Rain in Por'), 1);
    other.answered(1, answer('Lisbon is sunny.'));
    for (const log of [feed, other]) {
      const transcript = new FeedTranscript();
      const { events } = log.page({ from: 0 }, plain);
      for (const event of events) transcript.apply({ ...event, workflowId: 'w' } as FeedItem);
      expect(events.at(-2)).toMatchObject({ kind: 'reset', turn: 1, attempt: 2 });
      expect(transcript.text('w', 1)).toBe('Lisbon is sunny.');
    }
  });
});

describe('FeedReadPoint (watch prints a state once the feed is read up to it)', () => {
  it('holds a state until the feed reaches its offset; a state without one, or an ended feed, waits for nothing', async () => {
    const point = new FeedReadPoint();
    let printed = false;
    const held = point.reached(3).then(() => (printed = true));
    point.read(0);
    point.read(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(printed).toBe(false);
    point.read(2);
    await held;
    expect(printed).toBe(true);
    await point.reached(undefined);
    const ended = new FeedReadPoint();
    const waiting = ended.reached(50);
    ended.end();
    await waiting;
    await ended.reached(99);
  });
});

describe('FeedPublisher', () => {
  it('sends text in order in few batches, a retry opens with an empty batch, and a failed send never fails the call', async () => {
    const sent: FeedBatch[] = [];
    let fail = true;
    const publisher = new FeedPublisher(
      async (b) => {
        if (fail) {
          fail = false;
          throw new Error('the run has moved on');
        }
        sent.push(b);
      },
      3,
      2,
      { flushMs: 10_000, maxBatchBytes: 8, closeTimeoutMs: 1000 },
    );
    for (const piece of ['a', 'b', 'cdefghij', 'k']) publisher.push(piece);
    await publisher.close();
    // The opening batch was lost; the rest came in order, cut by size, the tail sent on close.
    expect(sent.map((b) => [b.seq, b.text])).toEqual([
      [2, 'abcdefghij'],
      [3, 'k'],
    ]);
    expect(sent.every((b) => b.turn === 3 && b.attempt === 2)).toBe(true);
  });
});

describe('scripted streams', () => {
  it('refuses a cut stream without content or times, and takes a paced, held one', () => {
    const scenario = (turn: object) => ({ name: 'pacing', turns: [turn] });
    expect(() => parseScenario(scenario({ content: [{ type: 'text', text: 'hi' }], error: { cutAfterDeltas: 2 } }))).toThrow(/error.times/);
    expect(() => parseScenario(scenario({ error: { cutAfterDeltas: 2, times: 1 } }))).toThrow(/content/);
    expect(() =>
      parseScenario(scenario({ content: [{ type: 'text', text: 'hi' }], streamDelayMs: 50, holdAfterDeltas: 1, error: { cutAfterDeltas: 2, times: 1 } })),
    ).not.toThrow();
  });
});
