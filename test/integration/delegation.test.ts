/**
 * Sub-agents as child workflows: the `trip` agent delegates to `payments`. A parent that aborts undoes its own
 * effects and its children's, newest-first across the tree (checked against the services' own undo order); a
 * child's approval is decided through the parent's id; a child's exhausted budget pauses it until a top-up; a
 * worker killed while a child starts still starts exactly one.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { RespondingScenario, TurnSpec } from '../../src/dev/scenario';
import { SagentClient } from '../../src/client';
import { extendBudgetUpdate, type AgentRunInput, type RunOutcome, type RunState } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, workflowBundle, type Harness } from '../helpers/harness';
import * as services from '../helpers/services';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(90_000);

const book = (name: string, input: Record<string, unknown>): TurnSpec => ({ content: [{ type: 'tool_use', name, input }] });
const say = (text: string): TurnSpec => ({ content: [{ type: 'text', text }] });
const flight = book('book_flight', { flightId: 'TP-1234', passenger: 'Ada Lovelace' });
const hotel = book('book_hotel', { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-17', guest: 'Ada Lovelace' });
const delegate = (task: string) => book('delegate_payments', { task });

/** The parent: `deleg-abort-` delegates twice between bookings, then aborts; the others delegate once and finish. */
const parent: RespondingScenario = {
  name: 'delegation-parent',
  match: { runIdPrefix: 'deleg-', priority: 1 },
  respond({ runId, turn }) {
    if (runId!.startsWith('deleg-abort-')) {
      const turns = [flight, delegate('Charge 10000 EUR cents for the flight'), hotel, delegate('Charge 20000 EUR cents for the hotel')];
      return turns[turn - 1] ?? book('abort', { reason: 'the traveller cancelled the trip' });
    }
    return [flight, delegate('Charge 10000 EUR cents for the flight')][turn - 1] ?? say('Booked and paid.');
  },
};

/** The child: one charge (which waits for approval), then its summary. */
const child: RespondingScenario = {
  name: 'delegation-child',
  match: { runIdPrefix: 'deleg-', runIdSuffix: '/payments', priority: 2 },
  respond({ turn, task }) {
    const amountCents = Number(/(\d+) EUR/.exec(task)?.[1] ?? 100);
    // Each child turn reports 1000 output tokens, which the parent's usage must include.
    const usage = { output_tokens: 1000 };
    if (turn === 1) return { ...book('charge_card', { amountCents, currency: 'EUR', card: '4242424242424242', description: task.slice(0, 100) }), usage };
    return { ...say(`Charged ${amountCents} cents.`), usage };
  },
};

let harness: Harness;
let sagent: SagentClient;

beforeAll(async () => {
  harness = await startHarness('delegation', [parent, child]);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
});
afterAll(() => harness?.stop());

const input = (overrides: Partial<AgentRunInput> = {}): AgentRunInput => ({
  agent: 'trip',
  task: 'Book Lisbon',
  approval: { approvers: ['ana'] },
  ...overrides,
});

/** Approves, through the parent's id, the next call a child waits on. */
async function approveThroughParent(handle: WorkflowHandle): Promise<RunState> {
  const state = await harness.waitFor(handle, (s) => (s.delegations ?? []).some((d) => d.pendingApprovals.length > 0));
  const call = state.delegations!.flatMap((d) => d.pendingApprovals)[0];
  const report = await sagent.decide({ workflowId: handle.workflowId, callId: call.callId, decision: 'approve', approver: 'ana', expectHash: call.argsHash });
  expect(report.workflowId).toBe(`${state.delegations![0].workflowId}`);
  return state;
}

test('a parent that delegates twice and aborts undoes every effect of the tree, newest-first across it', async () => {
  const workflowId = `deleg-abort-${randomUUID().slice(0, 8)}`;
  const handle = await harness.start(workflowId, input());
  const first = await approveThroughParent(handle);
  // The parent shows it waits on a child that waits on a person; the child sits in the inbox with its own id.
  expect(first.status).toBe('awaiting_approval');
  expect(first.statusDetail).toContain(`waiting on payments (${workflowId}/effect-2/payments), which awaits approval: charge_card`);
  await harness.waitFor(handle, (s) => s.effects.length >= 3);
  await approveThroughParent(handle);
  const outcome = (await outcomeOf(handle)) as RunOutcome;
  await captureFixture(handle, 'delegation-aborted');
  await captureFixture(harness.client.workflow.getHandle(`${workflowId}/effect-4/payments`), 'delegation-aborted-child');

  expect(outcome.status).toBe('compensated');
  expect(outcome.effects.map((e) => [e.tool, e.state, e.compensation])).toEqual([
    ['book_flight', 'committed', 'compensated'],
    ['delegate_payments', 'committed', 'compensated'],
    ['book_hotel', 'committed', 'compensated'],
    ['delegate_payments', 'committed', 'compensated'],
  ]);
  expect(outcome.effects[1].delegation?.effects.map((e) => [e.tool, e.compensation])).toEqual([['charge_card', 'compensated']]);
  // The services' own undo order: the second child's charge, the hotel, the first child's charge, the flight.
  const ledger = await sagent.ledger(workflowId, { servicesUrl: harness.services.url });
  expect(ledger.undoOrder).toEqual([
    `${workflowId}/effect-4/payments/effect-1`,
    `${workflowId}/effect-3`,
    `${workflowId}/effect-2/payments/effect-1`,
    `${workflowId}/effect-1`,
  ]);
  expect(ledger.effects.map((e) => [e.depth, e.tool])).toEqual([
    [0, 'book_flight'],
    [0, 'delegate_payments'],
    [1, 'charge_card'],
    [0, 'book_hotel'],
    [0, 'delegate_payments'],
    [1, 'charge_card'],
  ]);
  // One budget for the tree: the children's model calls count in the parent's usage.
  const childOutcome = (await harness.client.workflow.getHandle(`${workflowId}/effect-2/payments`).result()) as RunOutcome;
  expect(childOutcome.usage.outputTokens).toBe(2000);
  expect(outcome.usage.outputTokens).toBeGreaterThan(4000);
});

test('a child whose budget runs out pauses for a top-up, then finishes, and the parent completes', async () => {
  const workflowId = `deleg-budget-${randomUUID().slice(0, 8)}`;
  // Two parent turns leave the child one step: its charge, then it waits for more.
  const handle = await harness.start(workflowId, input({ budget: { maxSteps: 3 } }));
  await approveThroughParent(handle);
  const childId = `${workflowId}/effect-2/payments`;
  const childHandle = harness.client.workflow.getHandle(childId);
  const paused = await harness
    .waitFor(childHandle, (s) => s.status === 'budget_exhausted')
    .catch(async (err) => {
      throw new Error(`${err}: ${JSON.stringify(await childHandle.query('getState'))}`);
    });
  expect(paused.budget.limits.maxSteps).toBe(1);
  const parentState = await harness.waitFor(handle, (s) => s.delegations?.[0]?.status === 'budget_exhausted');
  expect(parentState.statusDetail).toContain('budget_exhausted');
  await childHandle.executeUpdate(extendBudgetUpdate, { args: [{ by: 'ana', steps: 2 }] });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'delegation-budget');
  await captureFixture(childHandle, 'delegation-budget-child');
  expect(outcome.status).toBe('completed');
  expect(outcome.finalText).toBe('Booked and paid.');
});

describe('a worker killed while a child is being started', () => {
  let worker: WorkerProcess | undefined;
  const taskQueue = `delegation-crash-${randomUUID().slice(0, 8)}`;
  const startWorker = async () =>
    startWorkerProcess({ taskQueue, modelUrl: harness.model.url, servicesUrl: harness.services.url, workflowCode: (await workflowBundle()).code });
  afterAll(() => worker?.kill());

  test('starts exactly one child', async () => {
    worker = await startWorker();
    const workflowId = `deleg-crash-${randomUUID().slice(0, 8)}`;
    const handle = await harness.client.workflow.start('agentSaga', { taskQueue, workflowId, args: [input()] });
    await services.waitUntil(async () => {
      const history = await handle.fetchHistory();
      return history.events!.some((event) => event.startChildWorkflowExecutionInitiatedEventAttributes);
    }, 30_000);
    await worker.kill();
    worker = await startWorker();
    await approveThroughParent(handle);
    const outcome = await outcomeOf(handle);
    expect(outcome.status).toBe('completed');
    const events = (await handle.fetchHistory()).events!;
    expect(events.filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(1);
    expect(events.filter((event) => event.childWorkflowExecutionStartedEventAttributes)).toHaveLength(1);
    const rows = await services.runLedger(harness.services.url, workflowId);
    expect(rows.effects.filter((row: { operation: string }) => row.operation === 'charge')).toHaveLength(1);
  });
});
