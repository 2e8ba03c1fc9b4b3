/**
 * The run memory: everything a run knows that the next run must know, in one serialisable record whose keys are
 * exactly `CarriedState`'s, so continue-as-new carries it and old histories replay. The input, the settings
 * resolved from it, and the flags that only matter while this run's code runs are kept apart from it.
 */
import { workflowInfo } from '@temporalio/workflow';
import { carriedAudit } from '../policies/audit';
import { resolveLimits, ZERO_USAGE } from '../policies/budget';
import { newConversation } from '../policies/context';
import { EMPTY_REPEATS } from '../policies/repeat-guard';
import { maskOutcome, maskRunState } from '../policies/secrets';
import type { DelegateProgress, DelegationView } from '../shared/delegation';
import type { AbortRequest, ResumeRequest } from '../shared/messages';
import type { AgentRunInput, CarriedState, CarryLimits, RunOutcome, RunState, RunStatus } from '../shared/run';
import type { MessageParam } from '../shared/wire';
import { ApprovalDesk } from './approvals';
import { anyCompacted, compactBooks, NOTHING_COMPACTED } from './compaction';
import { SagaLedger } from './saga';
import type { RunSettings } from './settings';
import { isPatched, PATCHES } from './patches';
import { Timeline } from './timeline';
import { FeedLog } from './feed';

/** Rejected attempts carried over continue-as-new; older ones stay in the history of the run before. */
const REJECTED_ATTEMPTS_CARRIED = 50;

/** The run memory; the loop and its handlers change its fields, and continue-as-new carries it. */
export type RunMemory = CarriedState & Required<Pick<CarriedState, 'repeats' | 'humanWaitMs' | 'compacted'>>;

/** What only this run's code needs: never carried, so they start afresh after continue-as-new. */
export interface RunFlags {
  status: RunStatus;
  statusDetail: string | null;
  /** Why the budget ran out, while the run waits for a top-up. */
  exhausted: string | null;
  abortRequested: AbortRequest | null;
  /** An operator asked a run paused in `model_unavailable` to try its model now. */
  resumeRequested: ResumeRequest | null;
  /** The model a call fell back to, which later calls start from until the cool-down ends. */
  fallback: { model: string; untilMs: number } | null;
  /** Model turns taken by this run (not the ones before a continue-as-new). */
  turnsThisRun: number;
  /** The context of the model call in flight, for `modelContextQuery`. */
  contextInFlight: { turn: number; messages: MessageParam[] } | null;
  currentModel: string;
  /** What the running sub-agents last reported, by their workflow id. */
  delegates: Record<string, DelegateProgress>;
}

/**
 * One run as the loop and its message handlers share it: the memory, the flags, and the desk, the ledger and
 * the timeline, which keep their books in the memory.
 */
export interface Run {
  readonly settings: RunSettings;
  readonly memory: RunMemory;
  readonly flags: RunFlags;
  readonly desk: ApprovalDesk;
  readonly ledger: SagaLedger;
  readonly timeline: Timeline;
  /** The live feed: text as Claude writes it, steps and statuses; in memory, its tail carried over continue-as-new. */
  readonly feed: FeedLog;
}

/** The run's memory: what the run before carried over, or a fresh one. */
export function startMemory(input: AgentRunInput, nowMs: number): RunMemory {
  const carried = input.carried;
  return {
    startedAt: carried?.startedAt ?? new Date(nowMs).toISOString(),
    turn: carried?.turn ?? 0,
    nextSeq: carried?.nextSeq ?? 1,
    usage: carried?.usage ?? { ...ZERO_USAGE },
    limits: carried?.limits ?? resolveLimits(input.budget),
    callsPerTool: carried?.callsPerTool ?? {},
    callCounts: carried?.callCounts ?? {},
    consecutiveToolErrors: carried?.consecutiveToolErrors ?? 0,
    effects: carried?.effects ?? [],
    approvals: carried?.approvals ?? [],
    rejectedAttempts: carried?.rejectedAttempts ?? [],
    conversation: carried?.conversation ?? newConversation(input.task),
    timeline: carried?.timeline ?? [],
    runsSoFar: carried?.runsSoFar ?? 0,
    inFlight: carried?.inFlight ?? null,
    pendingApprovals: carried?.pendingApprovals ?? [],
    decidedApprovals: carried?.decidedApprovals ?? {},
    finalText: carried?.finalText ?? null,
    ...(carried?.mcpTools ? { mcpTools: carried.mcpTools } : {}),
    repeats: carried?.repeats ?? EMPTY_REPEATS,
    humanWaitMs: carried?.humanWaitMs ?? 0,
    compacted: carried?.compacted ?? { ...NOTHING_COMPACTED, effectOutcomes: {} },
    ...(carried?.output !== undefined ? { output: carried.output } : {}),
    ...(carried?.outputAttempts !== undefined ? { outputAttempts: carried.outputAttempts } : {}),
    ...(carried?.inbox?.length ? { inbox: carried.inbox } : {}),
    ...(carried?.interrupted ? { interrupted: carried.interrupted } : {}),
    ...(carried?.models ? { models: carried.models } : {}),
    ...(carried?.taint ? { taint: carried.taint } : {}),
    ...(carried?.audit ? { audit: carried.audit } : {}),
    ...(carried?.access ? { access: carried.access } : {}),
  };
}

/**
 * What the next run starts from. With `limits` (runs that have the `compactCarried` patch), the books are bounded:
 * the newest timeline entries and decisions, and the ledger down to what a rollback needs (see `compactBooks`).
 */
export function carryOver(memory: RunMemory, limits?: CarryLimits): CarriedState {
  const carried: CarriedState = {
    ...memory,
    rejectedAttempts: memory.rejectedAttempts.slice(-REJECTED_ATTEMPTS_CARRIED),
    runsSoFar: memory.runsSoFar + 1,
    ...(memory.audit ? { audit: carriedAudit(memory.audit) } : {}),
  };
  if (limits) return compactBooks(carried, limits);
  // Older code carried no counts: the field is left out as it did.
  const { compacted, ...uncompacted } = carried;
  return anyCompacted(compacted) ? carried : uncompacted;
}

/** The run at its start: its memory, fresh flags, and the desk, ledger and timeline over the memory. */
export function openRun(input: AgentRunInput, settings: RunSettings): Run {
  const memory = startMemory(input, Date.now());
  const feed = new FeedLog(input.carried?.feed);
  const ledger = new SagaLedger(memory.effects);
  return {
    settings,
    memory,
    flags: {
      status: 'running',
      statusDetail: null,
      exhausted: null,
      abortRequested: null,
      resumeRequested: null,
      fallback: null,
      turnsThisRun: 0,
      contextInFlight: null,
      currentModel: settings.routing.defaultModel,
      delegates: {},
    },
    desk: new ApprovalDesk(memory, settings.agent.toolsByName, {
      workflowId: settings.workflowId,
      approverKeys: settings.approval.approverKeys,
      ...signatureRunId(settings),
    }),
    ledger,
    timeline: new Timeline(memory.timeline, memory.compacted, (entry) => {
      feed.step(entry);
      // A sub-agent's step opens: its feed goes on under the child's workflow id, which the ledger recorded first.
      const delegation = entry.kind === 'tool' && entry.state === 'started' && entry.effectId ? ledger.find(entry.effectId)?.delegation : undefined;
      if (delegation?.outcome === 'running') feed.delegate(delegation.workflowId, delegation.agent, entry.effectId!);
    }),
    feed,
  };
}

/**
 * A signed run binds signatures to its chain's first run id, so a decision signed for one run never counts in another
 * run under the same workflow id. Runs that list no keys take no signatures, and runs from before verify as they did.
 */
function signatureRunId(settings: RunSettings): { firstRunId?: string } {
  if (Object.keys(settings.approval.approverKeys).length === 0 || !isPatched(PATCHES.signedRunId)) return {};
  return { firstRunId: workflowInfo().firstExecutionRunId };
}

/** Whether to continue as new at this turn boundary: our own threshold, or the server's suggestion. */
export function shouldContinueAsNew({ flags, settings }: Run): boolean {
  return flags.turnsThisRun >= settings.continueAsNewAfterTurns || (flags.turnsThisRun > 0 && workflowInfo().continueAsNewSuggested);
}

/** The run closes: no abort is accepted any more. */
export function isClosing(status: RunStatus): boolean {
  return ['compensating', 'blocked', 'completed', 'compensated', 'cancelled'].includes(status);
}

/** What `getState` answers. */
export function runState(run: Run): RunState {
  const { settings, memory, flags } = run;
  const delegations = runningDelegations(run);
  // What people read without the codec: secrets masked; Claude's context is built elsewhere, unmasked.
  return maskRunState(settings.agent, {
    workflowId: settings.workflowId,
    agent: settings.agent.name,
    task: settings.task,
    status: flags.status,
    statusDetail: flags.statusDetail,
    steps: memory.turn,
    model: flags.currentModel,
    usage: memory.usage,
    budget: { limits: memory.limits, exhausted: flags.exhausted },
    pendingApprovals: memory.pendingApprovals,
    approvals: memory.approvals,
    rejectedAttempts: memory.rejectedAttempts,
    effects: memory.effects,
    timeline: memory.timeline,
    continuedAsNew: memory.runsSoFar,
    finalText: memory.finalText,
    feedOffset: run.feed.offset,
    ...(run.desk.signatureRunId ? { signatureRunId: run.desk.signatureRunId } : {}),
    ...(delegations.length > 0 ? { delegations } : {}),
    ...(anyCompacted(memory.compacted) ? { compacted: memory.compacted } : {}),
    ...(memory.output !== undefined ? { output: memory.output } : {}),
    ...(memory.models ? { models: memory.models } : {}),
    ...(settings.identity ? { identity: settings.identity } : {}),
    ...(memory.audit ? { audit: memory.audit } : {}),
    ...(memory.taint ? { taint: memory.taint } : {}),
  });
}

/** What the workflow returns. */
export function runOutcome({ settings, memory }: Run, status: RunOutcome['status'], reason: string | null): RunOutcome {
  return maskOutcome(settings.agent, {
    workflowId: settings.workflowId,
    status,
    reason,
    finalText: memory.finalText,
    steps: memory.turn,
    usage: memory.usage,
    effects: memory.effects,
    approvals: memory.approvals,
    ...(anyCompacted(memory.compacted) ? { compacted: memory.compacted } : {}),
    ...(memory.output !== undefined ? { output: memory.output } : {}),
    ...(memory.models ? { models: memory.models } : {}),
  });
}

/** The sub-agents running for this run, as they last reported (or as started, before their first report). */
export function runningDelegations({ memory, flags }: Run): DelegationView[] {
  return memory.effects.flatMap((effect) => {
    const { delegation } = effect;
    if (delegation?.outcome !== 'running') return [];
    const progress = flags.delegates[delegation.workflowId] ?? {
      workflowId: delegation.workflowId,
      agent: delegation.agent,
      status: 'running' as const,
      statusDetail: null,
      pendingApprovals: [],
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
    };
    return [{ ...progress, effectId: effect.effectId, tool: effect.tool }];
  });
}
