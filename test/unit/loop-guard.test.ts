/** Loop guards: a tool called too often, or the same call made again and again, is refused with a code Claude sees. */
import { callKeyOf, checkCallGuards } from '../../src/policies/loop-guard';

const LIMITS = { maxCallsPerTool: 3, maxIdenticalCalls: 2 };
const INPUT = { from: 'LHR', to: 'LIS', passengers: [{ name: 'Ana', age: 30 }] };

describe('callKeyOf', () => {
  it('is the same for the same call in any key order, nested keys included', () => {
    const reordered = { passengers: [{ age: 30, name: 'Ana' }], to: 'LIS', from: 'LHR' };
    expect(callKeyOf('search_flights', reordered)).toBe(callKeyOf('search_flights', INPUT));
  });

  it('is a 32-character hex key', () => {
    expect(callKeyOf('search_flights', INPUT)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('differs when the tool, a value, or the order of an array differs', () => {
    const key = callKeyOf('search_flights', INPUT);
    expect(callKeyOf('search_trains', INPUT)).not.toBe(key);
    expect(callKeyOf('search_flights', { ...INPUT, to: 'OPO' })).not.toBe(key);
    expect(callKeyOf('search_flights', { a: [1, 2] })).not.toBe(callKeyOf('search_flights', { a: [2, 1] }));
  });
});

describe('checkCallGuards', () => {
  const key = callKeyOf('search_flights', INPUT);

  it('lets a call through under both limits and returns its key', () => {
    expect(checkCallGuards('search_flights', INPUT, { perTool: { search_flights: 2 }, perCall: { [key]: 1 } }, LIMITS)).toEqual({
      kind: 'ok',
      callKey: key,
    });
    expect(checkCallGuards('search_flights', INPUT, { perTool: {}, perCall: {} }, LIMITS)).toEqual({ kind: 'ok', callKey: key });
  });

  it('refuses a tool that has reached maxCallsPerTool with tool_budget_exhausted', () => {
    expect(checkCallGuards('search_flights', { to: 'OPO' }, { perTool: { search_flights: 3 }, perCall: {} }, LIMITS)).toEqual({
      kind: 'refuse',
      callKey: callKeyOf('search_flights', { to: 'OPO' }),
      error: 'tool_budget_exhausted',
      message: 'search_flights has been called 3 times, the most this run allows',
      hint: 'finish with what you have, or use another tool; an operator can raise the limit',
    });
  });

  it('counts calls per tool: another tool is still allowed', () => {
    expect(checkCallGuards('search_hotels', {}, { perTool: { search_flights: 3 }, perCall: {} }, LIMITS).kind).toBe('ok');
  });

  it('refuses the same call made maxIdenticalCalls times with repeated_call, whatever the key order', () => {
    const reordered = { to: 'LIS', passengers: [{ age: 30, name: 'Ana' }], from: 'LHR' };
    expect(checkCallGuards('search_flights', reordered, { perTool: { search_flights: 2 }, perCall: { [key]: 2 } }, LIMITS)).toEqual({
      kind: 'refuse',
      callKey: key,
      error: 'repeated_call',
      message: 'this exact search_flights call was already made 2 times',
      hint: 'the answer will not change; use the earlier result or change the arguments',
    });
  });

  it('still allows the same tool with other arguments after identical calls are used up', () => {
    const counts = { perTool: { search_flights: 2 }, perCall: { [key]: 2 } };
    expect(checkCallGuards('search_flights', { ...INPUT, to: 'OPO' }, counts, LIMITS).kind).toBe('ok');
  });

  it('reports the per-tool limit first when both are reached', () => {
    const counts = { perTool: { search_flights: 3 }, perCall: { [key]: 2 } };
    expect(checkCallGuards('search_flights', INPUT, counts, LIMITS)).toMatchObject({ kind: 'refuse', error: 'tool_budget_exhausted' });
  });
});
