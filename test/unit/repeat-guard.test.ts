/** The repeat guard: committed calls answer their repeats, refusals are counted, a stuck model is slowed and stopped. */
import { z } from 'zod';
import { callKeyOf } from '../../src/policies/loop-guard';
import { countRefusal, EMPTY_REPEATS, REPEAT_LIMITS, rememberCommitted, repeatAnswer, repeatVerdict, type RepeatMemory } from '../../src/policies/repeat-guard';
import type { ModelTurn, ToolUseBlock } from '../../src/shared/wire';
import { defineAgent, defineTool } from '../../src/tools/define';
import { planTurn, type PlanningState } from '../../src/workflows/planner';
import { resolveSettings } from '../../src/workflows/settings';
import { resolveLimits } from '../../src/policies/budget';
import { newConversation } from '../../src/policies/context';

describe('rememberCommitted', () => {
  it('keeps the newest calls, each result capped', () => {
    const limits = { ...REPEAT_LIMITS, committedKept: 2, resultBytes: 16 };
    let memory: RepeatMemory = EMPTY_REPEATS;
    for (const n of [1, 2, 3]) memory = rememberCommitted(memory, `key-${n}`, { tool: 'book', effectId: `wf/effect-${n}`, result: 'x'.repeat(100) }, limits);
    expect(Object.keys(memory.committed)).toEqual(['key-2', 'key-3']);
    expect(Buffer.byteLength(memory.committed['key-3'].result)).toBeLessThanOrEqual(64);
    expect(EMPTY_REPEATS.committed).toEqual({});
  });

  it('answers a repeat with the earlier result and a note that nothing ran', () => {
    const answer = repeatAnswer({ tool: 'book_flight', effectId: 'wf/effect-1', result: '{"bookingId":"FL-1"}' });
    expect(answer).toMatch(/^\[not run again: this exact book_flight call already ran in this run \(wf\/effect-1\)/);
    expect(answer.endsWith('{"bookingId":"FL-1"}')).toBe(true);
  });
});

describe('countRefusal and repeatVerdict', () => {
  it('counts refusals per call and forgets the oldest beyond the bound', () => {
    const refused: Record<string, number> = {};
    const limits = { ...REPEAT_LIMITS, refusedKept: 2 };
    expect(countRefusal(refused, 'a', limits)).toBe(1);
    expect(countRefusal(refused, 'a', limits)).toBe(2);
    countRefusal(refused, 'b', limits);
    countRefusal(refused, 'c', limits);
    expect(refused).toEqual({ b: 1, c: 1 });
  });

  it('goes on, then backs off doubling, then stops naming the loop', () => {
    const stuck = (count: number) => ({ tool: 'book_flight', error: 'invalid_arguments', count });
    expect(repeatVerdict(null)).toEqual({ kind: 'go' });
    expect(repeatVerdict(stuck(1))).toEqual({ kind: 'go' });
    expect(repeatVerdict(stuck(2))).toEqual({ kind: 'backoff', delayMs: 1000 });
    expect(repeatVerdict(stuck(4))).toEqual({ kind: 'backoff', delayMs: 4000 });
    expect(repeatVerdict(stuck(4), { ...REPEAT_LIMITS, maxBackoffMs: 1500 })).toEqual({ kind: 'backoff', delayMs: 1500 });
    expect(repeatVerdict(stuck(5))).toEqual({
      kind: 'stop',
      reason: 'stuck in a loop: Claude made the same refused book_flight call 5 times (invalid_arguments)',
    });
  });
});

describe('planTurn with the repeat guard', () => {
  const book = defineTool({ name: 'book', description: 'books', input: z.object({ id: z.string() }), risk: 'reversible', compensation: 'unbook' });
  const addItem = defineTool({
    name: 'add_item',
    description: 'adds one',
    input: z.object({ sku: z.string() }),
    risk: 'reversible',
    compensation: 'remove_item',
    repeatable: true,
  });
  const agent = defineAgent({ name: 'shop', description: 'test', system: 'test', tools: [book, addItem] });
  const settings = resolveSettings({ agent: 'shop', task: 'shop' }, { shop: agent }, 'wf');
  const use = (name: string, input: Record<string, unknown>, id = `toolu_${name}_${JSON.stringify(input)}`): ToolUseBlock => ({
    type: 'tool_use',
    id,
    name,
    input,
  });
  const answer = (...content: ToolUseBlock[]): ModelTurn =>
    ({
      content,
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      cost_usd: 0,
    }) as unknown as ModelTurn;
  const state = (repeats: RepeatMemory = EMPTY_REPEATS): PlanningState => ({
    conversation: newConversation('shop'),
    callsPerTool: {},
    callCounts: {},
    nextSeq: 1,
    repeats,
    turn: 1,
    limits: resolveLimits(undefined),
  });
  const committed = rememberCommitted(EMPTY_REPEATS, callKeyOf('book', { id: 'A' }), { tool: 'book', effectId: 'wf/effect-1', result: '{"ref":"B-1"}' });

  it('answers an identical committed call from its result, without an effect id', () => {
    const plan = planTurn(answer(use('book', { id: 'A' }), use('book', { id: 'B' })), state(committed), settings, 0);
    if (plan.kind !== 'tools') throw new Error(plan.kind);
    const [repeat, fresh] = plan.inFlight.calls;
    expect(repeat).toMatchObject({ status: 'refused', changesWorld: false });
    expect(repeat.status === 'refused' && repeat.result.is_error).toBeUndefined();
    expect(repeat.status === 'refused' && repeat.result.content).toContain('{"ref":"B-1"}');
    expect(fresh).toMatchObject({ status: 'ready', changesWorld: true, seq: 1 });
    expect(plan.nextSeq).toBe(2);
  });

  it('runs an identical call in one turn once, and lets a repeatable tool run again', () => {
    const plan = planTurn(
      answer(use('book', { id: 'A' }, 't1'), use('book', { id: 'A' }, 't2'), use('add_item', { sku: 'S' }, 't3'), use('add_item', { sku: 'S' }, 't4')),
      state(),
      settings,
      0,
    );
    if (plan.kind !== 'tools') throw new Error(plan.kind);
    expect(plan.inFlight.calls.map((c) => c.status)).toEqual(['ready', 'refused', 'ready', 'ready']);
    const second = plan.inFlight.calls[1];
    expect(second.status === 'refused' && JSON.parse(second.result.content).error).toBe('repeated_call');
  });

  it('counts refusals across turns and ends the saga at the limit', () => {
    let repeats = EMPTY_REPEATS;
    for (let turn = 1; turn < REPEAT_LIMITS.stopAfter; turn += 1) {
      const plan = planTurn(answer(use('book', { id: 7 })), state(repeats), settings, 0);
      if (plan.kind !== 'tools') throw new Error(plan.kind);
      repeats = plan.repeats;
      expect(repeats.stuck).toEqual({ tool: 'book', error: 'invalid_arguments', count: turn });
    }
    expect(planTurn(answer(use('book', { id: 7 })), state(repeats), settings, 0)).toEqual({
      kind: 'abort',
      reason: 'stuck in a loop: Claude made the same refused book call 5 times (invalid_arguments)',
    });
  });

  it('keeps the old behaviour when the guard is off (histories recorded before it)', () => {
    const plan = planTurn(answer(use('book', { id: 'A' })), state(committed), settings, 0, { repeats: false });
    if (plan.kind !== 'tools') throw new Error(plan.kind);
    expect(plan.inFlight.calls[0]).toMatchObject({ status: 'ready', changesWorld: true });
    expect(plan.repeats).toBe(committed);
  });
});
