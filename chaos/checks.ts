/**
 * What a trial proves, read from the services' own records (not from sagent's word) and from each run's end:
 * every run terminal and as its shape expects, at most one effect per key and per intent, no double undo, undos
 * newest-first, nothing left active after a rollback, nothing unknown left, and how fast each model hang failed over.
 */
import { ledgerOf } from '../test/helpers/services';
import { EXPECTED } from './scenario';
import type { ChaosStack } from './stack';
import type { TrialLog } from './trial';

export interface TrialFindings {
  runs: number;
  ended: Record<string, number>;
  /** Runs still running, failed or terminated when the trial ended. */
  lost: string[];
  /** Runs that ended otherwise than their shape expects (e.g. a trip rolled back). */
  unexpected: string[];
  duplicateKeys: number;
  duplicateIntents: number;
  doubleUndos: number;
  undosOutOfOrder: string[];
  /** Effects still active in a rolled-back run, or undone in a completed one. */
  leaked: string[];
  /** Effects sagent still calls `unknown` when the run ended. */
  unknownLeft: string[];
  effects: number;
  undos: number;
  /** Seconds from a hung model call's first attempt to its retry, by kind. */
  hangFailover: Record<string, number | null>;
}

/** `expected` says what each kind of run must end as (the cluster's sub-agent runs bring their own). */
export async function checkTrial(stack: ChaosStack, trial: TrialLog, expected: Readonly<Record<string, string>> = EXPECTED): Promise<TrialFindings> {
  const findings: TrialFindings = {
    runs: trial.runs.length,
    ended: {},
    lost: [],
    unexpected: [],
    duplicateKeys: 0,
    duplicateIntents: 0,
    doubleUndos: 0,
    undosOutOfOrder: [],
    leaked: [],
    unknownLeft: [],
    effects: 0,
    undos: 0,
    hangFailover: {},
  };
  for (const run of trial.runs) {
    const view = await stack.sagent.read(run.workflowId).catch(() => null);
    const status = view?.closed ? view.status : 'running';
    findings.ended[status] = (findings.ended[status] ?? 0) + 1;
    if (!view?.closed || !['completed', 'compensated', 'cancelled'].includes(status)) {
      findings.lost.push(`${run.workflowId} (${view?.execution ?? 'unreadable'})`);
      continue;
    }
    if (status !== expected[run.shape]) findings.unexpected.push(`${run.workflowId}: ${status} (${view.outcome?.reason ?? view.statusDetail ?? ''})`);
    for (const effect of view.effects) if (effect.state === 'unknown') findings.unknownLeft.push(effect.effectId);

    const ledger = await ledgerOf(stack.services.url, `${run.workflowId}/`);
    findings.effects += ledger.effects.length;
    findings.undos += ledger.undos.length;
    findings.duplicateKeys += surplus(ledger.effects.map((effect) => effect.key));
    findings.duplicateIntents += surplus(ledger.effects.map((effect) => `${effect.operation} ${JSON.stringify(effect.request)}`));
    const undone = ledger.undos.filter((undo) => undo.result === 'compensated');
    findings.doubleUndos += surplus(undone.map((undo) => undo.targetKey));
    const order = [...undone].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)).map((undo) => seqOf(undo.targetKey));
    if (order.some((seq, i) => i > 0 && seq > order[i - 1])) findings.undosOutOfOrder.push(`${run.workflowId}: ${order.join(',')}`);
    const rolledBack = status !== 'completed';
    for (const effect of ledger.effects) {
      if (rolledBack && effect.state === 'active') findings.leaked.push(`${effect.key} still active`);
      if (!rolledBack && effect.state === 'undone') findings.leaked.push(`${effect.key} undone in a completed run`);
    }
  }
  for (const hang of trial.hangs) {
    const attempts = stack.model.requests.filter((r) => r.runId === hang.workflowId && r.turn === 1).sort((a, b) => (a.attempt ?? 0) - (b.attempt ?? 0));
    const [first, second] = attempts;
    findings.hangFailover[hang.kind] = first && second ? round((Date.parse(second.receivedAt) - Date.parse(first.receivedAt)) / 1000) : null;
    const view = await stack.sagent.read(hang.workflowId).catch(() => null);
    if (!view?.closed || view.status !== 'completed')
      findings.lost.push(`${hang.workflowId} (${view?.status ?? 'unreadable'}: ${view?.outcome?.reason ?? ''})`);
  }
  return findings;
}

/** How many entries repeat an earlier one. */
function surplus(values: string[]): number {
  return values.length - new Set(values).size;
}

function seqOf(key: string): number {
  return Number(/effect-(\d+)/.exec(key)?.[1] ?? NaN);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Slack over a hang's own deadline: the retry's 1 s initial interval and a loaded machine's scheduling (on two busy
 * cores a dropped answer's retry was measured at 3.2 s). A hang that never fails over is caught all the same: it
 * waits for the activity's start-to-close timeout, minutes, not seconds.
 */
const FAILOVER_SLACK_S = 8;

/** Each hang's deadline in seconds: a stall waits for the idle deadline, silence for the first byte, breaks for none. */
export function failoverBounds(timeouts: { firstByteMs: number; idleMs: number }): Record<string, number> {
  return { stall: timeouts.idleMs / 1000, silent: timeouts.firstByteMs / 1000, cut: 0, drop: 0, garbage: 0 };
}

/** True when nothing the guarantees forbid was found, and every hang failed over within its deadline. */
export function passed(findings: TrialFindings, timeouts: { firstByteMs: number; idleMs: number }): boolean {
  const bounds = failoverBounds(timeouts);
  return (
    findings.lost.length === 0 &&
    findings.unexpected.length === 0 &&
    findings.duplicateKeys === 0 &&
    findings.duplicateIntents === 0 &&
    findings.doubleUndos === 0 &&
    findings.undosOutOfOrder.length === 0 &&
    findings.leaked.length === 0 &&
    findings.unknownLeft.length === 0 &&
    Object.entries(findings.hangFailover).every(([kind, seconds]) => seconds !== null && seconds <= bounds[kind] + FAILOVER_SLACK_S)
  );
}
