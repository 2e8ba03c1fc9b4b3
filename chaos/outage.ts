/**
 * The outage trial: runs book a flight, then every model request answers 529 `overloaded_error` for a while. Runs
 * without a fallback must pause in `model_unavailable`, undo nothing, and complete after the outage; runs that name a
 * fallback model (the outage hits only their first model) must complete during it, on the fallback. Checked from the
 * services' own records: each run's flight booked once, still active, nothing undone. Last, the workers' API key is
 * revoked: a run started then must pause with a reason naming the key, and complete once the key is back and an operator
 * resumes it.
 */
import type { RespondingScenario } from '../src/dev/scenario';
import type { RunStatus } from '../src/shared/contracts';
import { ledgerOf } from '../test/helpers/services';
import type { ChaosStack } from './stack';

export const OUTAGE_PREFIX = 'outage-';
const PRIMARY = 'claude-sonnet-4-6';
const FALLBACK = 'claude-haiku-4-5';

const BOOKING = { content: [{ type: 'tool_use' as const, name: 'book_flight', input: { flightId: 'KL-1001', passenger: 'Grace Hopper' } }] };

/**
 * Turn 1 books a flight, turn 2 answers. The paused runs' first turns are held until all of them have asked, and the
 * outage begins before any is answered: every one of them books, and meets the outage at its next turn.
 */
export function outageScenario(beginOutage: () => void): OutageScenario {
  let waiting = new Set<string>();
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const scenario: OutageScenario = {
    name: 'outage',
    match: { runIdPrefix: OUTAGE_PREFIX },
    began: null,
    expect(ids) {
      waiting = new Set(ids);
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    async respond({ runId, turn, attempt }) {
      if (turn !== 1) return { content: [{ type: 'text', text: 'Your flight is booked.' }] };
      if (runId !== null && attempt === 1 && waiting.delete(runId) && waiting.size === 0) {
        beginOutage();
        scenario.began = Date.now();
        release();
      }
      await gate;
      return BOOKING;
    },
  };
  return scenario;
}

export type OutageScenario = RespondingScenario & { began: number | null; expect(ids: string[]): void };

/** What the scenario calls to begin the outage: the first model answers 529, the fallback stays up. */
export function beginOutageOn(stack: () => ChaosStack | undefined): () => void {
  return () => stack()?.model.setOutage({ models: [PRIMARY] });
}

export interface OutagePlan {
  /** Runs of each kind: paused (no fallback) and fallback. */
  runs: number;
  outageMs: number;
  /** The paused runs' schedule: first wait and cap (the defaults are 30 s and 10 minutes). */
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface OutageFindings {
  plan: OutagePlan;
  runs: number;
  /** Runs without a fallback seen in `model_unavailable` during the outage. */
  paused: number;
  /** Runs that ended as they should (completed) and with their flight booked once, active, never undone. */
  completed: number;
  compensated: number;
  duplicateBookings: number;
  undos: number;
  /** Fallback runs that completed while the outage lasted, and those whose outcome records the fallback. */
  fallbackDuringOutage: number;
  switchesRecorded: number;
  /** From the outage's end to the last paused run completing, seconds. */
  resumeSeconds: number;
  /** The run started under a revoked key: paused with a reason naming the key, then completed with its flight once. */
  revoked: { paused: boolean; reason: string; completed: boolean };
  overloadedAnswers: number;
  seconds: number;
}

export async function runOutageTrial(stack: ChaosStack, scenario: OutageScenario, plan: OutagePlan, log: (line: string) => void): Promise<OutageFindings> {
  const began = Date.now();
  while (stack.workers.size < 1) await stack.workers.start();
  const tag = Math.random().toString(36).slice(2, 6);
  const plain = Array.from({ length: plan.runs }, (_, n) => `${OUTAGE_PREFIX}${tag}-pause-${n}`);
  const fallback = Array.from({ length: plan.runs }, (_, n) => `${OUTAGE_PREFIX}${tag}-fallback-${n}`);
  const modelOutage = { retryInitialMs: plan.retryInitialMs, retryMaxMs: plan.retryMaxMs };
  const ended = new Map<string, { status: RunStatus; at: number; switches: number }>();

  // Every run books first; then the outage begins, for the first model only: the fallback stays up.
  scenario.expect(plain);
  for (const workflowId of plain) await stack.sagent.start({ agent: 'travel', task: 'Book flight KL-1001', modelOutage }, { workflowId, acceptTimeoutMs: 0 });
  await waitFor(() => scenario.began !== null, 60_000);
  const outageBegan = scenario.began!;
  log(`outage: ${plan.runs} runs booked; every request for ${PRIMARY} answers 529 overloaded_error for ${plan.outageMs / 1000}s`);
  for (const workflowId of fallback) {
    await stack.sagent.start({ agent: 'travel', task: 'Book flight KL-1001', fallbackModels: [FALLBACK], modelOutage }, { workflowId, acceptTimeoutMs: 0 });
  }

  const seenPaused = new Set<string>();
  const poll = async () => {
    for (const workflowId of [...plain, ...fallback]) {
      if (ended.has(workflowId)) continue;
      const view = await stack.sagent.read(workflowId).catch(() => null);
      if (!view) continue;
      if (view.status === 'model_unavailable') seenPaused.add(workflowId);
      if (view.closed) ended.set(workflowId, { status: view.status, at: Date.now(), switches: view.outcome?.models?.fallbacks ?? 0 });
    }
  };
  while (Date.now() - outageBegan < plan.outageMs) {
    await poll();
    await sleep(500);
  }
  stack.model.setOutage(null);
  const outageEnded = Date.now();
  log('outage: over');
  const deadline = outageEnded + plan.retryMaxMs + 120_000;
  while (ended.size < plain.length + fallback.length && Date.now() < deadline) {
    await poll();
    await sleep(500);
  }

  const findings: OutageFindings = {
    plan,
    runs: plain.length + fallback.length,
    paused: plain.filter((id) => seenPaused.has(id)).length,
    completed: 0,
    compensated: 0,
    duplicateBookings: 0,
    undos: 0,
    fallbackDuringOutage: fallback.filter((id) => (ended.get(id)?.at ?? Infinity) < outageEnded).length,
    switchesRecorded: fallback.filter((id) => (ended.get(id)?.switches ?? 0) >= 1).length,
    resumeSeconds: Math.round((Math.max(...plain.map((id) => ended.get(id)?.at ?? Date.now())) - outageEnded) / 100) / 10,
    overloadedAnswers: stack.model.requests.filter((request) => request.runId?.startsWith(`${OUTAGE_PREFIX}${tag}`) && request.errorType === 'overloaded_error')
      .length,
    revoked: await revokedKeyRun(stack, `${OUTAGE_PREFIX}${tag}-revoked`, log),
    seconds: 0,
  };
  if (findings.revoked.completed) ended.set(`${OUTAGE_PREFIX}${tag}-revoked`, { status: 'completed', at: Date.now(), switches: 0 });
  for (const workflowId of [...plain, ...fallback, `${OUTAGE_PREFIX}${tag}-revoked`]) {
    const ledger = await ledgerOf(stack.services.url, `${workflowId}/`);
    const bookedOnce = ledger.effects.length === 1 && ledger.effects[0].state === 'active';
    findings.duplicateBookings += Math.max(0, ledger.effects.length - 1);
    findings.undos += ledger.undos.length;
    const status = ended.get(workflowId)?.status;
    if (status === 'completed' && bookedOnce) findings.completed += 1;
    if (status === 'compensated') findings.compensated += 1;
  }
  findings.seconds = Math.round((Date.now() - began) / 1000);
  return findings;
}

/**
 * The workers' API key (`test`) is revoked before a run starts: the run must pause in `model_unavailable` with a reason
 * naming the key; once the key is restored and an operator resumes the run, it books and completes.
 */
async function revokedKeyRun(stack: ChaosStack, workflowId: string, log: (line: string) => void): Promise<OutageFindings['revoked']> {
  stack.model.revokeKeys(['test']);
  log("outage: the workers' API key is revoked");
  await stack.sagent.start(
    { agent: 'travel', task: 'Book flight KL-1001', modelOutage: { attemptsPerModel: 2, retryInitialMs: 5_000, retryMaxMs: 5_000 } },
    { workflowId, acceptTimeoutMs: 0 },
  );
  let reason = '';
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const view = await stack.sagent.read(workflowId).catch(() => null);
    if (view?.status === 'model_unavailable') {
      reason = view.statusDetail ?? '';
      break;
    }
    await sleep(500);
  }
  stack.model.revokeKeys([]);
  if (reason === '') return { paused: false, reason, completed: false };
  await stack.sagent.resume(workflowId, { by: 'chaos', reason: 'the key is restored' });
  const outcome = await stack.sagent.outcome(workflowId).catch(() => null);
  return { paused: /API key was refused \(401 authentication_error, revoked or invalid\)/.test(reason), reason, completed: outcome?.status === 'completed' };
}

/** Whether the trial found what guarantee 11 promises. */
export function outagePassed(findings: OutageFindings): boolean {
  const half = findings.runs / 2;
  return (
    findings.revoked.paused &&
    findings.revoked.completed &&
    findings.completed === findings.runs + 1 &&
    findings.paused === half &&
    findings.compensated === 0 &&
    findings.undos === 0 &&
    findings.duplicateBookings === 0 &&
    findings.fallbackDuringOutage === half &&
    findings.switchesRecorded === half
  );
}

export function renderOutage(findings: OutageFindings): string {
  const { plan } = findings;
  return [
    '| outage | runs (paused/fallback) | seen model_unavailable | completed, flight once | compensated | undos | duplicate bookings | fallback runs done during outage | fallbacks recorded | last paused run done after outage, s | 529 answers | revoked key: paused naming it / completed after resume | s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${plan.outageMs / 1000}s of 529 (retry ${plan.retryInitialMs / 1000}s→${plan.retryMaxMs / 1000}s) | ${findings.runs} (${findings.runs / 2}/${findings.runs / 2}) + 1 revoked | ${findings.paused} | ${findings.completed} | ${findings.compensated} | ${findings.undos} | ${findings.duplicateBookings} | ${findings.fallbackDuringOutage} | ${findings.switchesRecorded} | ${findings.resumeSeconds} | ${findings.overloadedAnswers} | ${findings.revoked.paused ? 'yes' : 'no'} / ${findings.revoked.completed ? 'yes' : 'no'} | ${findings.seconds} |`,
  ].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('outage trial: the runs did not book before the outage');
    await sleep(200);
  }
}
