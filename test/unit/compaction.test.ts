/** What continue-as-new carries of the books: each cap and the ledger's compaction, a rollback over what is left, and its readers. */
import { PassThrough } from 'node:stream';
import { compactedLines } from '../../src/cli/compacted';
import { Output } from '../../src/cli/io';
import { ledgerLines } from '../../src/cli/ledger-view';
import { TimelineRenderer } from '../../src/cli/timeline';
import { ZERO_USAGE, resolveLimits } from '../../src/policies/budget';
import { newConversation } from '../../src/policies/context';
import { EMPTY_REPEATS } from '../../src/policies/repeat-guard';
import type { ApprovalRecord, EffectRecord, TimelineEntry, TurnInFlight } from '../../src/shared/records';
import type { CarriedState, RunState } from '../../src/shared/run';
import {
  CARRY_LIMITS,
  compactBooks,
  compactCallCounts,
  compactLedger,
  keepNewestEntries,
  NOTHING_COMPACTED,
  resolveCarryLimits,
  settledOutcome,
} from '../../src/workflows/compaction';
import { carryOver, startMemory } from '../../src/workflows/run-memory';
import { SagaLedger } from '../../src/workflows/saga';
import { Timeline, TIMELINE_LIMIT } from '../../src/workflows/timeline';

const effect = (seq: number, over: Partial<EffectRecord> = {}): EffectRecord => ({
  effectId: `wf/effect-${seq}`,
  seq,
  tool: 'book_hotel',
  input: { n: seq },
  state: 'committed',
  undo: 'cancel_hotel',
  compensation: 'registered',
  compensationAttempts: 0,
  ...over,
});
const irreversible = (seq: number) => effect(seq, { tool: 'send_email', undo: null, compensation: 'none' });
const refused = (seq: number) => effect(seq, { state: 'failed' });
const entry = (n: number): TimelineEntry => ({ kind: 'tool', title: `step ${n}`, at: '2026-01-01T00:00:00.000Z', state: 'ok' });
const decision = (n: number): ApprovalRecord => ({
  callId: `call-${n}`,
  tool: 'send_email',
  argsHash: 'h',
  decision: 'approve',
  approver: 'ana',
  reason: null,
  at: '2026-01-01T00:00:00.000Z',
});

function carried(over: Partial<CarriedState> = {}): CarriedState {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    turn: 250,
    nextSeq: 40,
    usage: { ...ZERO_USAGE, inputTokens: 123_456, costUsd: 1.5 },
    limits: resolveLimits(undefined),
    callsPerTool: { book_hotel: 30, send_email: 9 },
    callCounts: {},
    consecutiveToolErrors: 1,
    effects: [],
    approvals: [],
    rejectedAttempts: [],
    conversation: newConversation('task'),
    timeline: [],
    runsSoFar: 2,
    inFlight: null,
    pendingApprovals: [],
    decidedApprovals: {},
    finalText: null,
    repeats: EMPTY_REPEATS,
    humanWaitMs: 0,
    ...over,
  };
}

describe('settledOutcome', () => {
  test('an effect a rollback may still undo, or must learn about, is not settled', () => {
    expect(settledOutcome(effect(1))).toBeNull();
    expect(settledOutcome(effect(1, { state: 'pending' }))).toBeNull();
    expect(settledOutcome(effect(1, { state: 'unknown' }))).toBeNull();
    // An irreversible step whose outcome is unknown still has to be reconciled.
    expect(settledOutcome(effect(1, { state: 'unknown', undo: null, compensation: 'none' }))).toBeNull();
    expect(settledOutcome(effect(1, { undo: null, delegation: { workflowId: 'child', agent: 'payments', effects: [] } as never }))).toBeNull();
  });

  test('a refused step needs no undo, an irreversible one has none, a final outcome stays', () => {
    expect(settledOutcome(refused(1))).toBe('not_needed');
    expect(settledOutcome(irreversible(1))).toBe('not_compensable');
    expect(settledOutcome(effect(1, { compensation: 'compensated' }))).toBe('compensated');
    expect(settledOutcome(effect(1, { compensation: 'skipped' }))).toBe('skipped');
  });
});

describe('compactLedger', () => {
  test('every effect to undo stays exact and in order; the oldest settled ones beyond the cap are counted', () => {
    const effects = [effect(1), refused(2), irreversible(3), effect(4, { state: 'unknown' }), irreversible(5), effect(6, { state: 'pending' }), refused(7)];
    const { effects: kept, compacted } = compactLedger(effects, 1, null);
    expect(kept.map((e) => e.seq)).toEqual([1, 4, 6, 7]);
    expect(kept[0]).toBe(effects[0]);
    expect(compacted).toEqual({ effects: 3, effectOutcomes: { not_needed: 1, not_compensable: 2 }, effectsThroughSeq: 5 });
  });

  test('counts add up over several continue-as-news; nothing is dropped under the cap', () => {
    const first = compactLedger([irreversible(1), irreversible(2)], 1, null);
    const second = compactLedger([...first.effects, refused(3), effect(4)], 1, null, { ...NOTHING_COMPACTED, ...first.compacted });
    expect(second.effects.map((e) => e.seq)).toEqual([3, 4]);
    expect(second.compacted).toEqual({ effects: 2, effectOutcomes: { not_compensable: 2 }, effectsThroughSeq: 2 });
    expect(compactLedger([refused(1), effect(2)], 5, null).effects).toHaveLength(2);
  });

  test('the turn in flight keeps its effects, settled or not', () => {
    const inFlight: TurnInFlight = {
      turn: 9,
      assistant: [],
      readsDone: true,
      approvalsNotified: true,
      calls: [{ toolUseId: 't', tool: 'send_email', input: {}, changesWorld: true, seq: 2, effectId: 'wf/effect-2', callId: 'call-2', status: 'ready' }],
    };
    expect(compactLedger([irreversible(1), irreversible(2)], 0, inFlight).effects.map((e) => e.seq)).toEqual([2]);
  });

  test('a rollback over the compacted ledger undoes every reversible effect newest-first, once each', async () => {
    const effects = [effect(1), irreversible(2), refused(3), effect(4), irreversible(5), effect(6), refused(7)];
    const ledger = new SagaLedger(compactLedger(effects, 0, null).effects);
    const undone: number[] = [];
    const settled: number[] = [];
    const policy = { blockAfter: 3, initialBackoffMs: 1, maxBackoffMs: 1 };
    for await (const step of ledger.rollback(async (e) => (undone.push(e.seq), 'compensated'), policy)) {
      if (step.kind === 'settled') settled.push(step.effect.seq);
    }
    expect(undone).toEqual([6, 4, 1]);
    expect(settled).toEqual([6, 4, 1]);
    expect(ledger.effects.every((e) => e.compensation === 'compensated')).toBe(true);
  });
});

describe('compactCallCounts', () => {
  test('calls made more than once go first, then the newest; the original order is kept', () => {
    const counts = { a: 1, b: 3, c: 1, d: 1, e: 2, f: 1 };
    expect(compactCallCounts(counts, 4)).toEqual({ counts: { b: 3, d: 1, e: 2, f: 1 }, dropped: 2 });
    expect(compactCallCounts(counts, 1)).toEqual({ counts: { e: 2 }, dropped: 5 });
    expect(compactCallCounts(counts, 10)).toEqual({ counts, dropped: 0 });
  });
});

describe('keepNewestEntries', () => {
  test('the newest entries, and how many were left out', () => {
    expect(keepNewestEntries([1, 2, 3, 4], 2)).toEqual({ kept: [3, 4], dropped: 2 });
    expect(keepNewestEntries([1], 2)).toEqual({ kept: [1], dropped: 0 });
  });
});

describe('compactBooks', () => {
  test('each book is bounded and counted; the counters are carried exactly', () => {
    const before = carried({
      timeline: Array.from({ length: 120 }, (_, i) => entry(i)),
      approvals: Array.from({ length: 70 }, (_, i) => decision(i)),
      callCounts: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`key-${i}`, 1])),
      effects: [...Array.from({ length: 30 }, (_, i) => irreversible(i + 1)), effect(31)],
      compacted: { ...NOTHING_COMPACTED, timelineEntries: 400, approvals: 5, effects: 2, effectOutcomes: { not_needed: 2 }, effectsThroughSeq: 0 },
    });
    const after = compactBooks(before, CARRY_LIMITS);
    expect(after.timeline).toEqual(before.timeline.slice(-CARRY_LIMITS.timelineEntries));
    expect(after.approvals).toEqual(before.approvals.slice(-CARRY_LIMITS.approvals));
    expect(Object.keys(after.callCounts)).toHaveLength(CARRY_LIMITS.callKeys);
    expect(after.effects.map((e) => e.seq)).toEqual([...Array.from({ length: 20 }, (_, i) => i + 11), 31]);
    expect(after.compacted).toEqual({
      timelineEntries: 400 + 120 - CARRY_LIMITS.timelineEntries,
      approvals: 5 + 70 - CARRY_LIMITS.approvals,
      callKeys: 150 - CARRY_LIMITS.callKeys,
      effects: 12,
      effectOutcomes: { not_needed: 2, not_compensable: 10 },
      effectsThroughSeq: 10,
    });
    for (const key of ['turn', 'nextSeq', 'usage', 'callsPerTool', 'consecutiveToolErrors', 'runsSoFar', 'limits'] as const) {
      expect(after[key]).toEqual(before[key]);
    }
  });

  test('a run carries the same bounded size however long it has run', () => {
    const size = (links: number) => {
      let state = carried();
      for (let link = 0; link < links; link += 1) {
        const turn = link * 100;
        state = compactBooks({
          ...state,
          timeline: [...state.timeline, ...Array.from({ length: 200 }, (_, i) => entry(turn + i))],
          approvals: [...state.approvals, ...Array.from({ length: 10 }, (_, i) => decision(turn + i))],
          callCounts: { ...state.callCounts, ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key-${turn + i}`, 1])) },
          effects: [...state.effects, ...Array.from({ length: 10 }, (_, i) => irreversible(turn + i + 1))],
        });
      }
      return JSON.stringify(state).length;
    };
    // Once every cap is reached (link 5 here), only the digits of the counts and ids may grow.
    expect(size(100)).toBeLessThanOrEqual(size(10) * 1.02);
  });

  test('limits come from the run input, with defaults for the rest', () => {
    expect(resolveCarryLimits({ timelineEntries: 4 })).toEqual({ ...CARRY_LIMITS, timelineEntries: 4 });
  });
});

describe('carryOver', () => {
  const memory = () => startMemory({ agent: 'travel', task: 't', carried: carried({ timeline: Array.from({ length: 50 }, (_, i) => entry(i)) }) }, 0);

  test('without limits (histories from before the patch) the books go as they are, with no counts', () => {
    const next = carryOver(memory());
    expect(next.timeline).toHaveLength(50);
    expect(next.compacted).toBeUndefined();
    expect(next.runsSoFar).toBe(3);
  });

  test('with limits the books are bounded and the counts carried', () => {
    const next = carryOver(memory(), { ...CARRY_LIMITS, timelineEntries: 10 });
    expect(next.timeline).toHaveLength(10);
    expect(next.compacted?.timelineEntries).toBe(40);
    expect(next.runsSoFar).toBe(3);
  });
});

describe('Timeline', () => {
  test('entries dropped within a run are counted too', () => {
    const books = { timelineEntries: 7 };
    const timeline = new Timeline([], books);
    for (let i = 0; i < TIMELINE_LIMIT + 5; i += 1) timeline.note('tool', `step ${i}`, 'ok');
    expect(timeline.entries).toHaveLength(TIMELINE_LIMIT);
    expect(timeline.entries[0].title).toBe('step 5');
    expect(books.timelineEntries).toBe(12);
  });
});

describe('readers of compacted books', () => {
  const books = {
    ...NOTHING_COMPACTED,
    timelineEntries: 130,
    effects: 3,
    effectOutcomes: { not_compensable: 2, not_needed: 1 },
    effectsThroughSeq: 9,
    approvals: 4,
    callKeys: 0,
  };

  test('the status lines say what is not listed, and nothing when nothing was left out', () => {
    expect(compactedLines(books)).toEqual([
      "… 130 earlier steps in earlier runs (timeline entries not kept; the earlier runs' histories hold them)",
      '3 earlier effects (through effect-9) compacted: 2 not_compensable, 1 not_needed; nothing left to undo',
      "4 earlier approval decisions not listed (in the earlier runs' histories)",
    ]);
    expect(compactedLines(NOTHING_COMPACTED)).toEqual([]);
    expect(compactedLines(undefined)).toEqual([]);
  });

  test('`sagent ledger` says the compacted effects under its header', () => {
    const lines = ledgerLines({ workflowId: 'wf', status: 'running', effects: [], compacted: books, undoOrder: null, services: null });
    expect(lines).toEqual([
      'wf  running  0 effect(s)',
      '3 earlier effects (through effect-9) compacted: 2 not_compensable, 1 not_needed; nothing left to undo',
    ]);
  });

  test('`sagent watch` says the earlier steps once, before the first entry it prints', () => {
    const written: string[] = [];
    const stdout = Object.assign(new PassThrough(), { isTTY: false });
    stdout.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    const renderer = new TimelineRenderer(new Output({ stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} }), {
      workflowId: 'wf',
      uiUrl: 'http://ui',
    });
    const state = (timeline: TimelineEntry[]) =>
      ({
        status: 'running',
        statusDetail: null,
        steps: 131,
        usage: { ...ZERO_USAGE },
        pendingApprovals: [],
        effects: [],
        timeline,
        compacted: books,
      }) as unknown as RunState;
    renderer.update(state([entry(1)]));
    renderer.update(state([entry(1), entry(2)]));
    renderer.stop();
    const text = written.join('');
    expect(text.match(/130 earlier steps in earlier runs/g)).toHaveLength(1);
    expect(text.indexOf('130 earlier steps')).toBeLessThan(text.indexOf('step 1'));
    expect(text).toContain('step 2');
  });
});
