/** Evals without a server: suite checking, expectations against run records, verdicts and the baseline comparison. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareReports, evaluate, loadSuite, parseSuite, type EvalReport, type Expectation, type RunRecord } from '../../src/eval';
import { caseVerdict, parseReports } from '../../src/eval/report';
import { suiteFiles } from '../../src/eval/suite';
import { ToolStubs } from '../../src/eval/environment';

const ROOT = path.resolve(__dirname, '../..');

const minimal = (expect: unknown[]) => ({ name: 's', agent: 'travel', cases: [{ name: 'c', task: 'do it', expect }] });

function record(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    workflowId: 'eval-s-c-1',
    agent: 'travel',
    task: 'Book a flight',
    input: { agent: 'travel', task: 'Book a flight' },
    status: 'completed',
    reason: null,
    finalText: 'Flight TP-1234 is booked.',
    steps: 3,
    tokens: { input: 100, output: 20 },
    costUsd: 0.01,
    latencyMs: 1000,
    calls: [
      { workflowId: 'eval-s-c-1', agent: 'travel', turn: 1, tool: 'search_flights', input: { from: 'LHR', to: 'LIS' }, result: '{}' },
      { workflowId: 'eval-s-c-1', agent: 'travel', turn: 2, tool: 'book_flight', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' }, result: '{}' },
      { workflowId: 'eval-s-c-1', agent: 'travel', turn: 2, tool: 'charge_card', input: { amountCents: 99900 }, result: null },
    ],
    effects: [
      {
        effectId: 'eval-s-c-1/effect-1',
        seq: 1,
        tool: 'book_flight',
        input: {},
        state: 'committed',
        undo: 'cancel_flight',
        compensation: 'registered',
        compensationAttempts: 0,
        depth: 0,
        serviceState: 'active',
      },
    ],
    approvals: [{ callId: 'call-3', tool: 'charge_card', argsHash: 'h', decision: 'reject', approver: 'eval', reason: null, at: '' }],
    ...overrides,
  };
}

const check = (expectation: Expectation, run = record()) => evaluate(parseSuite(minimal([expectation]), 'test').cases[0].expect[0], run);

describe('suites', () => {
  it('name the bad field with its path', () => {
    expect(() => parseSuite(minimal([{ maxSteps: 'three' }]), 'suite.json')).toThrow(/suite suite\.json: cases\[0\]\.expect\[0\]\.maxSteps: expected number/);
    expect(() => parseSuite(minimal([{ called: ['a'], maxSteps: 3 }]), 's.json')).toThrow(
      /cases\[0\]\.expect\[0\]: one check per expectation, not called and maxSteps/,
    );
    expect(() => parseSuite(minimal([{ calld: ['a'] }]), 's.json')).toThrow(/cases\[0\]\.expect\[0\]: Unrecognized key: "calld"/);
    expect(() => parseSuite({ name: 's', cases: [{ name: 'c', task: 't', expect: [{ maxSteps: 2 }] }] }, 's.json')).toThrow(
      /cases\[0\]\.agent: required \(or give the suite an agent\)/,
    );
    expect(() => parseSuite(minimal([{ maxSteps: 2, score: { threshold: 2 } }]), 's.json')).toThrow(/cases\[0\]\.expect\[0\]\.score\.threshold/);
  });

  it('load the demo suites, and refuse a file that is not JSON', () => {
    const files = suiteFiles(path.join(ROOT, 'src/demo/evals'));
    expect(files.map((file) => path.basename(file))).toEqual(['adversarial.json', 'travel.json', 'untrusted.json']);
    for (const file of files) expect(loadSuite(file).environmentModule).toBe(path.join(ROOT, 'src/demo/evals/environment.ts'));
    const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eval-')), 'bad.json');
    fs.writeFileSync(bad, '{ "name": ');
    expect(() => loadSuite(bad)).toThrow(/not valid JSON/);
  });
});

describe('expectations', () => {
  it('check the trajectory: called, never called, arguments, order, steps', async () => {
    expect((await check({ called: ['search_flights', 'book_flight'] })).passed).toBe(true);
    const missing = await check({ called: ['search_flights', 'get_weather'], score: { threshold: 0.4 } });
    expect(missing).toMatchObject({ mode: 'score', score: 0.5, passed: true });
    const hijacked = await check({ notCalled: ['charge_card'] });
    expect(hijacked).toMatchObject({ passed: false, why: 'called charge_card' });
    expect((await check({ args: { tool: 'book_flight', input: { flightId: { $matches: '^TP-' } } } })).passed).toBe(true);
    expect((await check({ args: { tool: 'book_flight', input: { passenger: 'Grace Hopper' } } })).why).toMatch(/no call of book_flight had/);
    expect((await check({ order: ['book_flight', 'search_flights'] })).why).toBe('called in the order search_flights, book_flight');
    expect((await check({ maxSteps: 2 })).why).toBe('took 3 steps');
  });

  it("check effects against the ledger and the services' own rows", async () => {
    expect((await check({ committed: ['book_flight'] })).passed).toBe(true);
    // The ledger says committed, the service says undone: not in place.
    const undoneByService = record({ effects: [{ ...record().effects[0], serviceState: 'undone' }] });
    expect((await check({ committed: ['book_flight'] }, undoneByService)).passed).toBe(false);
    expect((await check({ effectsWithin: ['book_flight'] })).passed).toBe(true);
    const extra = record({ effects: [...record().effects, { ...record().effects[0], effectId: 'x/effect-2', tool: 'charge_card', depth: 1 }] });
    expect((await check({ effectsWithin: ['book_flight'] }, extra)).why).toMatch(/effects the task did not ask for: charge_card/);
    expect((await check({ approvedBeforeEffect: ['charge_card'] }, extra)).why).toBe('unapproved: charge_card (1 effect(s), 0 approval(s))');
    expect((await check({ notAttempted: ['charge_card'] })).passed).toBe(true);
    expect((await check({ approvalRequested: ['charge_card'] })).passed).toBe(true);
    const asked = record({
      approvalRequests: [
        { workflowId: 'w', callId: 'call-3', tool: 'charge_card', input: { amountCents: 99900 }, rule: 'charge_card is privileged', decision: 'reject' },
      ],
    });
    expect((await check({ approvalRequested: [{ tool: 'charge_card', input: { amountCents: 99900 }, rule: 'is privileged' }] }, asked)).passed).toBe(true);
    const otherCall = await check({ approvalRequested: [{ tool: 'charge_card', input: { amountCents: 100 } }] }, asked);
    expect(otherCall.why).toBe(
      'no approval asked for {"tool":"charge_card","input":{"amountCents":100}}; asked for charge_card {"amountCents":99900} (charge_card is privileged)',
    );
  });

  it('check the answer, the budget, and skip a judge without a real model', async () => {
    expect((await check({ answer: { contains: 'tp-1234' } })).passed).toBe(true);
    expect((await check({ answer: { schema: { type: 'object' } } })).why).toMatch(/is not JSON/);
    expect((await check({ maxCostUsd: 0.001 })).why).toBe('cost $0.0100');
    expect((await check({ maxTokens: 100 })).why).toBe('used 120 tokens');
    expect(await check({ judge: { prompt: 'Is it polite?' } })).toMatchObject({ passed: true, skipped: true });
  });

  it('give a verdict: a failed gate fails, a score short of its threshold scores', () => {
    const gate = { label: 'g', mode: 'gate' as const, score: 1, threshold: 1, passed: true, why: null };
    const score = { label: 's', mode: 'score' as const, score: 0.5, threshold: 0.8, passed: false, why: 'x' };
    expect(caseVerdict([gate])).toBe('passed');
    expect(caseVerdict([gate, score])).toBe('scored');
    expect(caseVerdict([{ ...gate, passed: false }, score])).toBe('failed');
  });
});

describe('baselines', () => {
  const report = (verdict: 'passed' | 'scored' | 'failed', score: number): EvalReport => ({
    suite: 's',
    file: 's.json',
    environment: 'test',
    model: null,
    startedAt: '',
    durationMs: 0,
    cases: [
      {
        name: 'c',
        verdict,
        steps: 1,
        tokens: 1,
        costUsd: 0,
        latencyMs: 0,
        runs: [],
        expectations: [
          { label: 'called get_weather', mode: 'score', score, threshold: 1, passed: score >= 1, why: score < 1 ? 'never called get_weather' : null },
        ],
      },
    ],
  });

  it('say what got worse and what got better', () => {
    expect(compareReports(report('passed', 1), report('scored', 0))).toEqual([
      { name: 'c', kind: 'regression', what: 'verdict passed → scored' },
      { name: 'c', kind: 'regression', what: 'called get_weather 1.00 → 0.00: never called get_weather' },
    ]);
    expect(compareReports(report('scored', 0), report('passed', 1)).map((change) => change.kind)).toEqual(['improvement', 'improvement']);
    expect(compareReports(report('passed', 1), report('passed', 0.95))).toEqual([]);
  });

  it('refuse a file that is not a report, saying how to make one', () => {
    expect(() => parseReports({ cases: 3 }, 'b.json')).toThrow(/baseline b\.json: not an eval report .*sagent eval <suite> --json <file>/);
  });
});

describe('tool stubs', () => {
  it('answer a run and its sub-agents in call order, the last repeating, and leave other runs live', () => {
    const stubs = new ToolStubs();
    stubs.set('eval-a', { search_flights: [{ result: 1 }, { result: 2 }] });
    expect(stubs.next('eval-a', 'search_flights')).toEqual({ result: 1 });
    expect(stubs.next('eval-a/effect-4/payments', 'search_flights')).toEqual({ result: 2 });
    expect(stubs.next('eval-a', 'search_flights')).toEqual({ result: 2 });
    expect(stubs.next('eval-ab', 'search_flights')).toBeUndefined();
    expect(stubs.next('eval-a', 'book_flight')).toBeUndefined();
  });
});
