/** Delegation declarations and the child's slice of its parent's budget. */
import { z } from 'zod';
import { DEFAULT_LIMITS, ZERO_USAGE } from '../../src/policies/budget';
import { childLimits } from '../../src/policies/delegation';
import { agentRegistry, defineAgent, defineTool } from '../../src/tools/define';

const charge = defineTool({ name: 'charge', description: 'charges', input: z.object({}), risk: 'privileged', compensation: 'refund' });
const payments = defineAgent({ name: 'payments', description: 'pays', system: 'pay', tools: [charge] });

test('a delegate becomes a reversible delegate_<agent> tool taking a task, declared for the loop', () => {
  const trip = defineAgent({
    name: 'trip',
    description: 'books',
    system: 'book',
    tools: [],
    delegates: [{ agent: 'payments', description: 'Pays.', critical: true }],
  });
  const tool = trip.toolsByName.delegate_payments;
  expect(tool).toMatchObject({ risk: 'reversible', critical: true, delegate: { agent: 'payments' } });
  expect(tool.input.safeParse({ task: 'pay 10 EUR' }).success).toBe(true);
  expect(tool.input.safeParse({ task: '' }).success).toBe(false);
  expect(() => agentRegistry([trip, payments])).not.toThrow();
});

test('regression: a delegate to an agent the workflow does not have is refused at load time', () => {
  const trip = defineAgent({ name: 'trip', description: 'books', system: 'book', tools: [], delegates: [{ agent: 'nobody', description: 'x' }] });
  expect(() => agentRegistry([trip])).toThrow(/delegates to "nobody"/);
});

test("a child gets the parent's remaining budget, capped by its slice", () => {
  const parent = {
    limits: { ...DEFAULT_LIMITS, maxSteps: 10, maxCostUsd: 1 },
    usage: { ...ZERO_USAGE, costUsd: 0.25, outputTokens: 1000 },
    steps: 4,
    startedAtMs: 0,
    nowMs: 60_000,
  };
  expect(childLimits(parent)).toMatchObject({
    maxSteps: 6,
    maxCostUsd: 0.75,
    maxOutputTokens: DEFAULT_LIMITS.maxOutputTokens - 1000,
    maxWallClockMs: DEFAULT_LIMITS.maxWallClockMs - 60_000,
  });
  expect(childLimits(parent, { maxCostUsd: 0.1, maxSteps: 20 })).toMatchObject({ maxSteps: 6, maxCostUsd: 0.1 });
});

test('a spent parent still gives a positive budget, so the child starts and waits for a top-up', () => {
  const spent = childLimits({
    limits: { ...DEFAULT_LIMITS, maxSteps: 2, maxCostUsd: 1 },
    usage: { ...ZERO_USAGE, costUsd: 1.5 },
    steps: 2,
    startedAtMs: 0,
    nowMs: 0,
  });
  expect(spent.maxSteps).toBe(1);
  expect(spent.maxCostUsd).toBeGreaterThan(0);
});
