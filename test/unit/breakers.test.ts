/**
 * A worker's circuit breakers (cockatiel underneath): they open on a failing service, fail calls fast without
 * reaching it, let exactly one probe through when half-open, and obey an operator's override; a service's own
 * refusal does not count against it. The workflow side: Claude is told `service_unavailable` with the tool's words.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { breakerSnapshot, WorkerBreakers } from '../../src/breakers/registry';
import { TOOL_ERRORS, toolError } from '../../src/shared/tool-errors';
import { defineTool } from '../../src/tools/define';
import { ToolError } from '../../src/tools/runtime';
import { isDefinitiveRejection, toolFailureDetails } from '../../src/workflows/saga';
import { jitteredDelay } from '../../src/activities/tools';

const HALF_OPEN_MS = 40;
const tool = defineTool({
  name: 'get_quote',
  description: 'x',
  input: z.object({}),
  risk: 'read',
  breaker: { service: 'quotes', threshold: 0.5, windowMs: 5000, minimumCalls: 3, halfOpenAfterMs: HALF_OPEN_MS },
});
const down = () => Promise.reject(new ToolError('transient', 'http_503', 'the quotes service answered 503'));

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure & { details: Array<Record<string, unknown>> }> {
  try {
    await promise;
  } catch (err) {
    return err as ApplicationFailure & { details: Array<Record<string, unknown>> };
  }
  throw new Error('the call did not fail');
}

async function openBreaker(breakers: WorkerBreakers): Promise<void> {
  for (let i = 0; i < 3; i += 1) await breakers.run(tool, down).catch(() => undefined);
}

describe('a worker breaker', () => {
  let breakers: WorkerBreakers;
  beforeEach(() => {
    breakers = new WorkerBreakers();
  });
  afterEach(() => breakers.close());

  it('opens on a failing service, then fails calls without reaching it, as ServiceUnavailable with a retry-after', async () => {
    await openBreaker(breakers);
    let reached = 0;
    const failure = await failureOf(breakers.run(tool, async () => ++reached, 1));
    expect(reached).toBe(0);
    expect(failure.type).toBe('ToolFailure.ServiceUnavailable');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details[0]).toMatchObject({ code: 'circuit_open', firstAttempt: true });
    expect(failure.details[0].retryAfterMs).toEqual(expect.any(Number));
    expect(breakers.snapshot()).toEqual([expect.objectContaining({ name: 'quotes', state: 'open', opened: 1, tools: ['get_quote'] })]);
    expect(breakerSnapshot()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'quotes', state: 'open' })]));
  });

  it('half-open lets exactly one probe reach the service; the calls behind it go once it closed the breaker', async () => {
    await openBreaker(breakers);
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_MS * 2));
    let reached = 0;
    let answer!: () => void;
    const probeAnswered = new Promise<void>((resolve) => (answer = resolve));
    const calls = Array.from({ length: 5 }, () =>
      breakers.run(tool, async () => {
        reached += 1;
        await probeAnswered;
        return 'sunny';
      }),
    );
    const settled = Promise.allSettled(calls);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reached).toBe(1);
    expect(breakers.snapshot()[0].state).toBe('half_open');
    answer();
    const results = await settled;
    expect(results.map((result) => result.status)).toEqual(Array(5).fill('fulfilled'));
    expect(reached).toBe(5);
    expect(breakers.snapshot()[0].state).toBe('closed');
  });

  it('a half-open probe that fails opens the breaker again, and the calls behind it fail without reaching the service', async () => {
    await openBreaker(breakers);
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_MS * 2));
    let reached = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        breakers.run(tool, async () => {
          reached += 1;
          return down();
        }),
      ),
    );
    expect(reached).toBe(1);
    expect(results.map((result) => (result as PromiseRejectedResult).reason.name ?? (result as PromiseRejectedResult).reason.type)).toEqual([
      'ToolError',
      'ApplicationFailure',
      'ApplicationFailure',
      'ApplicationFailure',
    ]);
    expect(breakers.snapshot()[0]).toMatchObject({ state: 'open', opened: 2 });
  });

  it('does not count a service that answers with a refusal (the service works)', async () => {
    const refuse = () => Promise.reject(new ToolError('rejected', 'unknown_city', 'no such city'));
    for (let i = 0; i < 6; i += 1) await breakers.run(tool, refuse).catch(() => undefined);
    expect(breakers.snapshot()[0].state).toBe('closed');
  });

  it("obeys an operator's override: held open it fails every call; held closed every call reaches the service", async () => {
    breakers.declare([tool]);
    expect(breakers.snapshot()[0].state).toBe('closed');
    breakers.setOverrides({ quotes: { position: 'open', by: 'ana', reason: 'incident', at: '2026-01-01T00:00:00Z' } });
    let reached = 0;
    const failure = await failureOf(breakers.run(tool, async () => ++reached));
    expect(reached).toBe(0);
    expect(failure.type).toBe('ToolFailure.ServiceUnavailable');
    expect(failure.details[0].hint).toMatch(/operator/);
    expect(breakers.snapshot()[0].state).toBe('forced_open');

    await openBreaker(breakers);
    breakers.setOverrides({ quotes: { position: 'closed', by: 'ana', reason: 'the provider says it is fine', at: '2026-01-01T00:00:00Z' } });
    await expect(breakers.run(tool, async () => ++reached)).resolves.toBe(1);
    expect(breakers.snapshot()[0].state).toBe('forced_closed');
    breakers.setOverrides({});
    expect(breakers.snapshot()[0].state).not.toMatch(/forced/);
  });

  it('a breaker that opens on a later attempt leaves the effect unknown: an earlier attempt may have landed', async () => {
    await openBreaker(breakers);
    const later = await failureOf(breakers.run(tool, down, 3));
    const first = await failureOf(breakers.run(tool, down, 1));
    expect(isDefinitiveRejection(first)).toBe(true);
    expect(isDefinitiveRejection(later)).toBe(false);
  });
});

describe('a defineTool breaker declaration', () => {
  it.each([
    [{ threshold: 1 }, /threshold .* above 0 and below 1/],
    [{ windowMs: 0 }, /windowMs must be a positive whole number/],
    [{ service: 'has space' }, /breaker.service/],
  ])('is refused with what to fix: %j', (breaker, message) => {
    expect(() => defineTool({ name: 'x', description: 'x', input: z.object({}), risk: 'read', breaker })).toThrow(message);
  });
});

describe("what Claude reads of a tool's failure", () => {
  it("carries the tool's own code, hint and retry-after beside a code of the closed table", () => {
    const failure = ApplicationFailure.create({
      type: 'ToolFailure.Transient',
      message: 'x',
      details: [{ code: 'rate_limited', hint: 'slow down', retryAfterMs: 1200 }],
    });
    const body = toolError('tool_failed', 'the quotes service answered 429', toolFailureDetails(failure));
    expect(body).toEqual({ error: 'tool_failed', message: 'the quotes service answered 429', hint: 'slow down', code: 'rate_limited', retry_after_ms: 1200 });
    expect(toolError('service_unavailable', 'down').hint).toBe(TOOL_ERRORS.service_unavailable);
  });

  it('retries wait a jittered backoff, so turned-away runs do not return together', () => {
    expect(jitteredDelay(1, undefined, () => 0)).toBe(250);
    expect(jitteredDelay(1, undefined, () => 1)).toBe(500);
    expect(jitteredDelay(10, undefined, () => 0.5)).toBe(7500);
    expect(jitteredDelay(2, 1000, () => 1)).toBe(1200);
  });
});
