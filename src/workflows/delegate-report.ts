/**
 * The delegated run's side of a delegation: it tells its parent, by signal, where it stands whenever its status
 * or its pending calls change, so the parent's status and the tree's inbox show a child waiting on a person.
 * Apart from `delegation.ts` so that publishing (which calls it) and delegating (which publishes) do not cycle.
 */
import { CancellationScope, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { maskPending } from '../policies/secrets';
import { delegateProgressSignal, PROGRESS_PENDING_CARRIED, type DelegateProgress, type DelegationView } from '../shared/delegation';
import type { Run } from './run-memory';

/** What was last reported, per run, so an unchanged status sends nothing. */
const lastReported = new WeakMap<Run, string>();
/** Reports sent within one workflow instant, per run: with the workflow clock, the report's order. */
const sentAt = new WeakMap<Run, { ms: number; count: number }>();

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

/** Tells the parent, if there is one, where this run stands; the calls pending anywhere below it included. */
export function reportToParent(run: Run): void {
  const parent = workflowInfo().parent;
  if (!parent) return;
  const { settings, memory, flags } = run;
  const below = runningDelegations(run).flatMap((view) => view.pendingApprovals);
  const progress: DelegateProgress = {
    workflowId: settings.workflowId,
    agent: settings.agent.name,
    status: flags.status,
    statusDetail: flags.statusDetail?.slice(0, 500) ?? null,
    pendingApprovals: [...maskPending(settings.agent, memory.pendingApprovals), ...below].slice(0, PROGRESS_PENDING_CARRIED),
    usage: memory.usage,
  };
  const key = JSON.stringify([progress.status, progress.statusDetail, progress.pendingApprovals.map((request) => request.argsHash)]);
  if (lastReported.get(run) === key) return;
  lastReported.set(run, key);
  // The workflow clock only moves forward, across continue-as-new too; the count orders reports of one instant.
  const now = Date.now();
  const previous = sentAt.get(run);
  const count = previous?.ms === now ? previous.count + 1 : 0;
  sentAt.set(run, { ms: now, count });
  progress.seq = now * 1000 + Math.min(count, 999);
  // Sent even while the run is being cancelled; a parent that has ended cannot hear it, and nothing waits on it.
  void CancellationScope.nonCancellable(() => getExternalWorkflowHandle(parent.workflowId).signal(delegateProgressSignal, progress)).catch(() => undefined);
}
