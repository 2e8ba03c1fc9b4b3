/**
 * One fault trial: rounds of runs, each round holding its runs at one phase (a model call, a tool write, a
 * compensation, an approval wait, or a worker's start-up) and killing a worker there; the dev server is killed and
 * restarted every few rounds. A person is played by the trial: it approves charges and cancels the `cancel` runs.
 */
import { HANGS, MODEL_HOLD_MS, SHAPES, runId, type Shape } from './scenario';
import * as services from '../test/helpers/services';
import type { ChaosStack } from './stack';

export const PHASES = ['model', 'tool', 'compensation', 'approval', 'startup'] as const;
export type Phase = (typeof PHASES)[number];

export interface TrialPlan {
  name: string;
  workers: number;
  rounds: number;
  runsPerRound: number;
  serverRestarts: number;
  /** Database restarts (a crash-like stop, then a start), between the server restarts; only where the stack has one. */
  databaseRestarts?: number;
}

export interface StartedRun {
  workflowId: string;
  /** A {@link Shape}, or another trial's own kind of run (the cluster's sub-agents). */
  shape: string;
  startedAt: number;
}

export interface HangRun {
  workflowId: string;
  kind: string;
}

export interface TrialLog {
  plan: TrialPlan;
  runs: StartedRun[];
  hangs: HangRun[];
  kills: Record<Phase, number>;
  serverRestarts: number;
  databaseRestarts: number;
  /** Holds that did not fire in time: the kill still happened, at whatever the runs were doing. */
  missedHolds: number;
  seconds: number;
}

const HOLD_TIMEOUT_MS = 30_000;
const APPROVER = 'chaos';

export async function runTrial(stack: ChaosStack, plan: TrialPlan, log: (line: string) => void): Promise<TrialLog> {
  const began = Date.now();
  const trial: TrialLog = {
    plan,
    runs: [],
    hangs: [],
    kills: { model: 0, tool: 0, compensation: 0, approval: 0, startup: 0 },
    serverRestarts: 0,
    databaseRestarts: 0,
    missedHolds: 0,
    seconds: 0,
  };
  while (stack.workers.size < plan.workers) await stack.workers.start();
  const person = new Person(stack);
  person.start();
  try {
    // The hangs go first and alone, so no worker kill blurs how fast each one fails over.
    for (const kind of HANGS) {
      const workflowId = `chaos-hang-${kind}-${plan.name}`;
      await stack.sagent.start({ agent: 'travel', task: `Chaos: a model call that goes ${kind}` }, { workflowId, acceptTimeoutMs: 0 });
      trial.hangs.push({ workflowId, kind });
    }
    await person.waitForAll(
      trial.hangs.map((hang) => hang.workflowId),
      60_000,
    );
    const restartEvery = plan.serverRestarts > 0 ? Math.max(1, Math.floor(plan.rounds / (plan.serverRestarts + 1))) : Infinity;
    const databaseRestarts = stack.restartDatabase ? (plan.databaseRestarts ?? 0) : 0;
    // Half a period after each server restart, so the two never coincide.
    const databaseEvery = databaseRestarts > 0 ? Math.max(1, Math.floor(plan.rounds / (databaseRestarts + 1))) : Infinity;
    const databaseOffset = Math.floor(databaseEvery / 2);
    for (let round = 0; round < plan.rounds; round++) {
      const phase = PHASES[round % PHASES.length];
      const held: Array<() => Promise<boolean>> = [];
      for (let i = 0; i < plan.runsPerRound; i++) {
        const shape: Shape = phase === 'compensation' ? 'undo' : phase === 'approval' ? 'trip' : SHAPES[(round + i) % SHAPES.length];
        const n = trial.runs.length;
        const hold = phase === 'startup' ? undefined : phase;
        const workflowId = `${runId(shape, n, hold)}-${plan.name}`;
        const fired = await holdAt(stack, phase, workflowId, person);
        await breakServices(stack, workflowId, n);
        await stack.sagent.start(
          { agent: 'travel', task: `Chaos run ${n}: an Amsterdam trip`, approval: { approvers: [APPROVER] } },
          { workflowId, acceptTimeoutMs: 0 },
        );
        if (shape === 'cancel') person.cancelWhenBooked(workflowId);
        trial.runs.push({ workflowId, shape, startedAt: Date.now() });
        if (fired) held.push(fired);
      }
      if (phase === 'startup') {
        await stack.workers.killDuringStartUp(100 + ((round * 137) % 700));
      } else {
        const ok = await waitAll(held, HOLD_TIMEOUT_MS);
        if (!ok) trial.missedHolds += 1;
        await stack.workers.killOne();
        person.release();
      }
      trial.kills[phase] += 1;
      while (stack.workers.size < plan.workers) await stack.workers.start().catch(() => undefined);
      if ((round + 1) % restartEvery === 0 && trial.serverRestarts < plan.serverRestarts) {
        log(`${plan.name}: restarting the Temporal server (kill -9) after round ${round + 1}`);
        await stack.restartServer();
        trial.serverRestarts += 1;
      } else if ((round + 1 + databaseOffset) % databaseEvery === 0 && trial.databaseRestarts < databaseRestarts) {
        log(`${plan.name}: restarting the database (immediate stop, then start) after round ${round + 1}`);
        await stack.restartDatabase!();
        trial.databaseRestarts += 1;
      }
      if ((round + 1) % 10 === 0) log(`${plan.name}: ${round + 1}/${plan.rounds} rounds, ${trial.runs.length} runs started`);
    }
    await person.waitForAll([...trial.runs.map((run) => run.workflowId), ...trial.hangs.map((hang) => hang.workflowId)], 240_000);
  } finally {
    person.stop();
  }
  trial.seconds = Math.round((Date.now() - began) / 1000);
  return trial;
}

/**
 * Service faults, by run: a response lost after the booking committed (the retry must get the stored response, not a
 * second booking), or two 5xx on arrival before anything is claimed.
 */
async function breakServices(stack: ChaosStack, workflowId: string, n: number): Promise<void> {
  const rule =
    n % 3 === 1
      ? { path: '/flights/bookings', keyPrefix: `${workflowId}/effect-1`, mode: 'commitThenDrop', times: 1 }
      : n % 3 === 2
        ? { path: '/cars/rentals', keyPrefix: `${workflowId}/effect-3`, mode: 'error5xx', times: 2 }
        : null;
  if (rule === null) return;
  await services.addFault(stack.services.url, rule);
}

/** Installs what holds a run at `phase` and returns how to tell that the hold fired. */
async function holdAt(stack: ChaosStack, phase: Phase, workflowId: string, person: Person): Promise<(() => Promise<boolean>) | undefined> {
  const addFault = async (rule: Record<string, unknown>) => {
    const id = await services.addFault(stack.services.url, rule);
    return async () => (await services.faultFired(stack.services.url, id)) > 0;
  };
  switch (phase) {
    case 'model':
      return async () => stack.model.requests.some((r) => r.runId === workflowId && r.turn === 2 && r.attempt === 1);
    case 'tool':
      return addFault({ path: '/hotels/bookings', keyPrefix: `${workflowId}/effect-2`, mode: 'delay', delayMs: MODEL_HOLD_MS, times: 1 });
    case 'compensation':
      return addFault({ path: '/effects/undo', keyPrefix: `${workflowId}/effect-3`, mode: 'delay', delayMs: MODEL_HOLD_MS, times: 1 });
    case 'approval':
      person.holdApproval(workflowId);
      return async () =>
        (await stack.sagent.pending().catch(() => ({ calls: [] as Array<{ workflowId: string }> }))).calls.some((call) => call.workflowId === workflowId);
    case 'startup':
      return undefined;
  }
}

/** True once every check holds, false when `timeoutMs` passes first. */
export async function waitAll(checks: Array<() => Promise<boolean>>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const pending = [...checks];
  while (pending.length > 0) {
    if (Date.now() > deadline) return false;
    for (let i = pending.length - 1; i >= 0; i--) if (await pending[i]().catch(() => false)) pending.splice(i, 1);
    if (pending.length > 0) await sleep(100);
  }
  return true;
}

/** Plays the person: approves waiting charges (except runs held at the approval phase), cancels `cancel` runs. */
export class Person {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly held = new Set<string>();
  private readonly toCancel = new Set<string>();

  constructor(private readonly stack: ChaosStack) {}

  holdApproval(workflowId: string): void {
    this.held.add(workflowId);
  }

  /** The round's kill happened: held approvals may now be given. */
  release(): void {
    this.held.clear();
  }

  cancelWhenBooked(workflowId: string): void {
    this.toCancel.add(workflowId);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 400);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async waitForAll(workflowIds: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const workflowId of workflowIds) {
      for (;;) {
        const description = await this.stack.temporal.client.workflow
          .getHandle(workflowId)
          .describe()
          .catch(() => null);
        if (description && description.status.name !== 'RUNNING') break;
        if (Date.now() > deadline) return;
        await sleep(250);
      }
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { calls } = await this.stack.sagent.pending();
      for (const call of calls) {
        if (this.held.has(call.workflowId)) continue;
        await this.stack.sagent.decide({ workflowId: call.workflowId, callId: call.callId, decision: 'approve', approver: APPROVER }).catch(() => undefined);
      }
      for (const workflowId of [...this.toCancel]) {
        const ledger = await services.ledgerOf(this.stack.services.url, `${workflowId}/`);
        if (ledger.effects.length < 3) continue;
        this.toCancel.delete(workflowId);
        await this.stack.sagent.cancel(workflowId).catch(() => undefined);
      }
    } catch {
      // The server may be restarting: the next tick tries again.
    } finally {
      this.busy = false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
