/**
 * Runs a suite: each case as real runs on Temporal (bounded in parallel, repeated), the run's approvals decided by
 * the eval as an approver the run lists (signing with a key made for this eval), then its record checked against
 * the case's expectations.
 */
import { randomBytes } from 'node:crypto';
import { newKeyPair } from '../policies/signature';
import type { AgentRunInput, PendingApproval } from '../shared/contracts';
import { checkRunInput } from '../shared/run-input';
import type { EvalEnvironment, SagentClient } from './environment';
import { evaluate, type ExpectationResult, type Judge } from './expectations';
import { recordOf, type ApprovalRequestSeen, type RunRecord } from './record';
import { caseVerdict, type CaseReport, type EvalReport, type RunSummary } from './report';
import type { ApprovalPolicy, EvalCase, LoadedSuite } from './suite';

/** The approver name eval runs decide their approval requests as. */
export const EVAL_APPROVER = 'eval';
const DEFAULT_CASE_TIMEOUT_MS = 60_000;
const POLL_MS = 150;

/** What `runSuite` takes: where the cases run, and what overrides the suite's own settings. */
export interface RunSuiteOptions {
  /** Where the cases run: a client of a worker that runs the agents. */
  environment: EvalEnvironment;
  /** Overrides the suite's and the cases' model. @default none: a case's model, else the suite's */
  model?: string;
  /** Overrides the suite's and the cases' repeats. @default none: a case's repeat, else the suite's, else 1 */
  repeat?: number;
  /** Runs at a time. @default 4 */
  concurrency?: number;
  /** Scores `judge` expectations; without it they are skipped and count for nothing. @default none */
  judge?: Judge;
  /** Told one line per finished run. @default none */
  say?(line: string): void;
}

/** Runs every case of the suite and reports on each. */
export async function runSuite(suite: LoadedSuite, options: RunSuiteOptions): Promise<EvalReport> {
  const { environment } = options;
  if (suite.scriptedScenarios.length > 0) environment.addScenarios?.(suite.scriptedScenarios);
  const sagent = suite.agents ? await requireVariant(environment, suite) : environment.sagent;
  const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const key = newKeyPair();
  const jobs = suite.cases.flatMap((evalCase) => {
    const repeat = options.repeat ?? evalCase.repeat ?? suite.repeat ?? 1;
    return Array.from({ length: repeat }, (_, i) => ({ evalCase, index: i, workflowId: `eval-${suite.name}-${evalCase.name}-${stamp}-${i + 1}` }));
  });
  const started = Date.now();
  const outcomes = await pool(jobs, options.concurrency ?? 4, async (job) => {
    const model = options.model ?? job.evalCase.run?.model ?? suite.model;
    const run = await runCase(sagent, environment, suite, job.evalCase, job.workflowId, model, key);
    options.say?.(
      `  ${job.evalCase.name}${jobs.filter((other) => other.evalCase === job.evalCase).length > 1 ? ` #${job.index + 1}` : ''}: ${run.record?.status ?? run.error}`,
    );
    const results = run.record ? await Promise.all(job.evalCase.expect.map((expectation) => evaluate(expectation, run.record!, options.judge))) : [];
    return { job, run, results };
  });
  const cases = suite.cases.map((evalCase): CaseReport => {
    const mine = outcomes.filter((outcome) => outcome.job.evalCase === evalCase);
    return caseReport(
      evalCase,
      mine.map(({ run, results }) => ({ run, results })),
      sagent,
    );
  });
  return {
    suite: suite.name,
    file: suite.file,
    environment: environment.description,
    model: options.model ?? suite.model ?? null,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    cases,
  };
}

async function requireVariant(environment: EvalEnvironment, suite: LoadedSuite): Promise<SagentClient> {
  if (!environment.variant)
    throw new Error(`suite ${suite.file}: agents: this environment cannot run prompt variants (name an environment module in the suite)`);
  return environment.variant(suite.agents!);
}

interface CaseRun {
  workflowId: string;
  record: RunRecord | null;
  /** Why the run could not be read (it could not start, or timed out). */
  error: string | null;
  decisions: number;
}

/** One run of a case, from start to record. */
async function runCase(
  sagent: SagentClient,
  environment: EvalEnvironment,
  suite: LoadedSuite,
  evalCase: EvalCase,
  workflowId: string,
  model: string | undefined,
  key: { privateKey: string; publicKey: string },
): Promise<CaseRun> {
  if (environment.model === 'scripted' && evalCase.scenario) {
    if (!environment.routeScenario) return failedRun(workflowId, 'the case names a scenario, but this environment has no scripted model to route it');
    try {
      environment.routeScenario(workflowId, evalCase.scenario);
      for (const [agent, scenario] of Object.entries(evalCase.delegateScenarios ?? {})) environment.routeScenario(workflowId, scenario, `/${agent}`);
    } catch (err) {
      return failedRun(workflowId, `scenario: ${(err as Error).message}`);
    }
  }
  if (evalCase.stubs) {
    if (!environment.stubs) return failedRun(workflowId, 'the case stubs tools, but this environment cannot (name an environment module in the suite)');
    environment.stubs.set(workflowId, evalCase.stubs);
  }
  try {
    const input = runInput(suite, evalCase, model, key.publicKey);
    await sagent.start(input, { workflowId, startedBy: `Started by \`sagent eval\` (suite ${suite.name}, case ${evalCase.name}).` });
    const driven = await driveRun(sagent, workflowId, evalCase.approve, key.privateKey, evalCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS);
    const record = { ...(await recordOfRun(sagent, environment, workflowId)), approvalRequests: driven.requests };
    return {
      workflowId,
      record,
      error: driven.timedOut ? `timed out after ${evalCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS} ms (cancelled)` : null,
      decisions: driven.requests.length,
    };
  } catch (err) {
    return failedRun(workflowId, `${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    environment.stubs?.delete(workflowId);
  }
}

function failedRun(workflowId: string, error: string): CaseRun {
  return { workflowId, record: null, error, decisions: 0 };
}

/** The run's input: the case's options, the eval as its signing approver. */
export function runInput(suite: LoadedSuite, evalCase: EvalCase, model: string | undefined, publicKey: string): AgentRunInput {
  const options = evalCase.run ?? {};
  const input: AgentRunInput = {
    agent: evalCase.agent ?? suite.agent!,
    task: evalCase.task,
    approval: {
      approvers: [{ name: EVAL_APPROVER, publicKey }],
      ...(options.requireApproval ? { requireFor: options.requireApproval } : {}),
    },
    ...(options.maxSteps || options.budgetUsd
      ? { budget: { ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}), ...(options.budgetUsd ? { maxCostUsd: options.budgetUsd } : {}) } }
      : {}),
    ...(options.allowTools ? { allowedTools: options.allowTools } : {}),
    ...(model ? { model } : {}),
  };
  const checked = checkRunInput(input);
  if (!checked.success) throw new Error(`suite ${suite.file}: case ${evalCase.name}: ${checked.error}`);
  return checked.data;
}

/**
 * Follows the run to its end, deciding each pending call (its own and its sub-agents') by the case's policy; a run
 * out of budget is aborted, one past its time is cancelled.
 */
export async function driveRun(
  sagent: SagentClient,
  workflowId: string,
  policy: ApprovalPolicy,
  privateKey: string,
  timeoutMs: number,
): Promise<{ requests: ApprovalRequestSeen[]; timedOut: boolean }> {
  const decided = new Set<string>();
  const requests: ApprovalRequestSeen[] = [];
  const deadline = Date.now() + timeoutMs;
  let aborted = false;
  for await (const view of sagent.follow(workflowId, { pollMs: POLL_MS, closedState: false })) {
    if (view.closed) break;
    if (Date.now() > deadline) {
      await sagent.cancel(workflowId).catch(() => undefined);
      await sagent.outcome(workflowId).catch(() => undefined);
      return { requests, timedOut: true };
    }
    const state = view.state;
    if (!state) continue;
    if (state.status === 'budget_exhausted' && !aborted) {
      aborted = true;
      await sagent.abort(workflowId, { by: EVAL_APPROVER, reason: `budget exhausted: ${state.budget.exhausted ?? ''}` }).catch(() => undefined);
    }
    const pending: Array<PendingApproval & { runId: string }> = [
      ...state.pendingApprovals.map((request) => ({ ...request, runId: workflowId })),
      ...(state.delegations ?? []).flatMap((delegation) => delegation.pendingApprovals.map((request) => ({ ...request, runId: delegation.workflowId }))),
    ];
    for (const request of pending) {
      if (decided.has(request.argsHash)) continue;
      decided.add(request.argsHash);
      const decision = decisionFor(policy, request.tool);
      const sent = await sagent
        .decide({
          workflowId,
          callId: request.callId,
          decision,
          approver: EVAL_APPROVER,
          reason: `sagent eval: ${describePolicy(policy)}`,
          expectHash: request.argsHash,
          privateKey,
        })
        .then(
          () => true,
          (err: unknown) => {
            // A call decided between two polls (or a sub-agent that moved on) is not the eval's failure; try again later.
            if ((err as Error).name !== 'DecisionRefusedError') throw err;
            decided.delete(request.argsHash);
            return false;
          },
        );
      if (sent)
        requests.push({ workflowId: request.runId, callId: request.callId, tool: request.tool, input: request.input, rule: request.rule ?? null, decision });
    }
  }
  return { requests, timedOut: false };
}

export function decisionFor(policy: ApprovalPolicy, tool: string): 'approve' | 'reject' {
  if (policy === 'approve_all') return 'approve';
  if (policy === 'reject_all') return 'reject';
  return policy.approve.includes(tool) ? 'approve' : 'reject';
}

function describePolicy(policy: ApprovalPolicy): string {
  return typeof policy === 'string' ? policy.replace('_', ' ') : `approve ${policy.approve.join(', ') || 'nothing'}, reject the rest`;
}

/** The record of a closed run, from its histories and the services' rows. */
export function recordOfRun(sagent: SagentClient, environment: Pick<EvalEnvironment, 'servicesUrl'>, workflowId: string): Promise<RunRecord> {
  return recordOf(
    workflowId,
    (id) => sagent.history(id).catch(() => null),
    environment.servicesUrl ? (id) => servicesStates(sagent, environment.servicesUrl!, id) : undefined,
  );
}

/** The services' own state of each of the run tree's keys, or null when they did not answer. */
async function servicesStates(sagent: SagentClient, servicesUrl: string, workflowId: string): Promise<Map<string, string> | null> {
  const ledger = await sagent.ledger(workflowId, { servicesUrl });
  if (!ledger.services) return null;
  return new Map(ledger.effects.flatMap((entry) => (entry.service?.state ? [[entry.effectId, entry.service.state] as [string, string]] : [])));
}

function caseReport(evalCase: EvalCase, runs: Array<{ run: CaseRun; results: ExpectationResult[] }>, sagent: SagentClient): CaseReport {
  const summaries: RunSummary[] = runs.map(({ run }) => ({
    workflowId: run.workflowId,
    uiUrl: sagent.uiLink(run.workflowId),
    status: run.record?.status ?? 'error',
    steps: run.record?.steps ?? 0,
    tokens: (run.record?.tokens.input ?? 0) + (run.record?.tokens.output ?? 0),
    costUsd: run.record?.costUsd ?? 0,
    latencyMs: run.record?.latencyMs ?? 0,
    calls: run.record?.calls.map((call) => call.tool) ?? [],
    error: run.error,
  }));
  // Over repeats: a gate holds only if it held every time; a score is the mean.
  const expectations: ExpectationResult[] = evalCase.expect.map((_, i) => {
    const each = runs.map(({ results }) => results[i]).filter((result) => result !== undefined);
    if (each.length === 0) return { label: '(not checked)', mode: 'gate', score: 0, threshold: 1, passed: false, why: 'the run did not finish' };
    const score = each.reduce((sum, result) => sum + result.score, 0) / each.length;
    const first = each[0];
    const passed = first.mode === 'gate' ? each.every((result) => result.passed) : first.skipped === true || score >= first.threshold;
    const why = each.find((result) => !result.passed)?.why ?? (first.skipped ? first.why : null);
    return { ...first, score, passed, why };
  });
  const runError = runs.find(({ run }) => run.error !== null)?.run.error ?? null;
  if (runError) expectations.unshift({ label: 'run', mode: 'gate', score: 0, threshold: 1, passed: false, why: runError });
  return { name: evalCase.name, verdict: caseVerdict(expectations), runs: summaries, expectations, ...mean(summaries) };
}

function mean(runs: RunSummary[]): Pick<CaseReport, 'steps' | 'tokens' | 'costUsd' | 'latencyMs'> {
  const avg = (pick: (run: RunSummary) => number) => (runs.length === 0 ? 0 : runs.reduce((sum, run) => sum + pick(run), 0) / runs.length);
  return { steps: avg((run) => run.steps), tokens: avg((run) => run.tokens), costUsd: avg((run) => run.costUsd), latencyMs: avg((run) => run.latencyMs) };
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of results. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
