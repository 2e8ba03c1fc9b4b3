/**
 * Sub-agents under faults, for the cluster: `trip` runs that book a flight and a hotel, then delegate the charge to the
 * `payments` agent (a child workflow, usually on another history shard), and either finish (`sub`) or abort after
 * the child charged (`subundo`: the parent undoes the child's charge, then its own bookings, newest first). Each round
 * holds its runs at one phase of the child (its model call, its approval wait, the parent's undo of its charge) and
 * SIGKILLs a worker there. Child ids are `<parent>/effect-3/payments`, so the scripted model and the services'
 * ledger see the whole tree under the parent's id.
 */
import type { RespondingScenario, TurnSpec } from '../src/testing';
import * as services from '../test/helpers/services';
import { MODEL_HOLD_MS } from './scenario';
import type { ChaosStack } from './stack';
import { Person, waitAll, type StartedRun } from './trial';

export const SUB_SHAPES = ['sub', 'subundo'] as const;
export type SubShape = (typeof SUB_SHAPES)[number];
export const SUB_EXPECTED: Readonly<Record<SubShape, string>> = { sub: 'completed', subundo: 'compensated' };

export const SUB_PHASES = ['child-model', 'child-approval', 'child-undo'] as const;
export type SubPhase = (typeof SUB_PHASES)[number];

const APPROVER = 'chaos';
const HOLD_TIMEOUT_MS = 30_000;

/** The child workflow of a `sub` run: the delegation is the parent's third effect. */
export function childOf(workflowId: string): string {
  return `${workflowId}/effect-3/payments`;
}

const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Amsterdam trip: flight and hotel' };

/** The scripted model of the parents (`trip`) and of their children (`payments`). */
export const subAgentScenario: RespondingScenario = {
  name: 'chaos-subagents',
  match: { runIdPrefix: 'chaos-sub', priority: 5 },
  respond({ runId, turn, attempt }) {
    const id = runId ?? '';
    if (id.endsWith('/payments')) {
      if (turn > 1) return { content: [{ type: 'text', text: 'Charged EUR 412.50.' }] };
      const step: TurnSpec = { content: [{ type: 'tool_use', name: 'charge_card', input: { ...CHARGE } }] };
      return id.includes('-child-model-') && attempt === 1 ? { ...step, delayMs: MODEL_HOLD_MS } : step;
    }
    if (turn === 1) return { content: [{ type: 'tool_use', name: 'book_flight', input: { flightId: 'KL-1692', passenger: 'Edsger Dijkstra' } }] };
    if (turn === 2) {
      return {
        content: [
          { type: 'tool_use', name: 'book_hotel', input: { city: 'Amsterdam', checkIn: '2026-05-11', checkOut: '2026-05-14', guest: 'Edsger Dijkstra' } },
        ],
      };
    }
    if (turn === 3) {
      return {
        content: [
          {
            type: 'tool_use',
            name: 'delegate_payments',
            input: { task: `Charge ${CHARGE.amountCents} cents ${CHARGE.currency} to card ${CHARGE.card} for the Amsterdam trip, once.` },
          },
        ],
      };
    }
    if (turn === 4 && id.startsWith('chaos-subundo-'))
      return { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'the traveller cancelled after paying' } }] };
    return { content: [{ type: 'text', text: 'Booked and paid.' }] };
  },
};

/** Rounds of sub-agent runs, a worker killed at each round's phase; returns the runs it started. */
export async function runSubAgentRounds(
  stack: ChaosStack,
  rounds: number,
  trialName: string,
  log: (line: string) => void,
): Promise<{ runs: StartedRun[]; kills: Record<SubPhase, number>; missedHolds: number }> {
  const runs: StartedRun[] = [];
  const kills: Record<SubPhase, number> = { 'child-model': 0, 'child-approval': 0, 'child-undo': 0 };
  let missedHolds = 0;
  const person = new Person(stack);
  person.start();
  try {
    for (let round = 0; round < rounds; round++) {
      const phase = SUB_PHASES[round % SUB_PHASES.length];
      const held: Array<() => Promise<boolean>> = [];
      for (let i = 0; i < 2; i++) {
        const shape: SubShape = phase === 'child-undo' || i === 1 ? 'subundo' : 'sub';
        const workflowId = `chaos-${shape}-${runs.length}-${phase}-${trialName}`;
        held.push(await holdAt(stack, phase, workflowId, person));
        await stack.sagent.start(
          { agent: 'trip', task: `Chaos sub-agent run ${runs.length}: an Amsterdam trip`, approval: { approvers: [APPROVER] } },
          { workflowId, acceptTimeoutMs: 0 },
        );
        runs.push({ workflowId, shape, startedAt: Date.now() });
      }
      if (!(await waitAll(held, HOLD_TIMEOUT_MS))) missedHolds += 1;
      await stack.workers.killOne();
      person.release();
      kills[phase] += 1;
    }
    log(`${trialName}: ${rounds} sub-agent rounds, ${runs.length} parent runs started; waiting for them to end`);
    await person.waitForAll(
      runs.flatMap((run) => [run.workflowId, childOf(run.workflowId)]),
      240_000,
    );
  } finally {
    person.stop();
  }
  return { runs, kills, missedHolds };
}

/** What holds a run at `phase`, and how to tell the hold fired. */
async function holdAt(stack: ChaosStack, phase: SubPhase, workflowId: string, person: Person): Promise<() => Promise<boolean>> {
  const child = childOf(workflowId);
  switch (phase) {
    case 'child-model':
      return async () => stack.model.requests.some((r) => r.runId === child && r.turn === 1 && r.attempt === 1);
    case 'child-approval':
      person.holdApproval(child);
      return async () =>
        (await stack.sagent.pending().catch(() => ({ calls: [] as Array<{ workflowId: string }> }))).calls.some((call) => call.workflowId === child);
    case 'child-undo': {
      const id = await services.addFault(stack.services.url, {
        path: '/effects/undo',
        keyPrefix: `${child}/effect-1`,
        mode: 'delay',
        delayMs: MODEL_HOLD_MS,
        times: 1,
      });
      return async () => (await services.faultFired(stack.services.url, id)) > 0;
    }
  }
}
