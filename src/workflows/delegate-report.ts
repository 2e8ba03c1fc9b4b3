/**
 * The delegated run's side of a delegation: it tells its parent, by signal, where it stands whenever its status
 * or its pending calls change, so the parent's status and the tree's inbox show a child waiting on a person.
 */
import { CancellationScope, getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import { maskPending } from '../policies/secrets';
import { delegateProgressSignal, PROGRESS_PENDING_CARRIED, type DelegateProgress } from '../shared/delegation';
import { runningDelegations, type Run } from './run-memory';

/** What was last reported, per run, so an unchanged status sends nothing. */
const lastReported = new WeakMap<Run, string>();
/** Reports sent within one workflow instant, per run: with the workflow clock, the report's order. */
const sentAt = new WeakMap<Run, { ms: number; count: number }>();

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
