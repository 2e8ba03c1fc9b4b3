/**
 * What the Temporal UI shows of a run: search attributes for the workflow list and current details for
 * the run's page. Upserts only what changed, so a long run does not fill its history with copies.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { maskEffects, maskPending } from '../policies/secrets';
import type { EffectRecord, PendingApproval, RejectedAttempt, TimelineEntry } from '../shared/records';
import type { ApprovalSettings, RunStatus } from '../shared/run';
import { AgentCostUsd, AgentName, AgentPendingApprovals, AgentStatus, AgentSteps } from '../shared/search-attributes';
import { codeSpan, plainText } from '../shared/markdown';
import { renderApprovalDetails } from './approval-details';
import { renderOperatorDetails } from './operator-details';
import { reportToParent } from './delegate-report';
import type { Run } from './run-memory';

/** What the UI shows of a run. */
export interface RunView {
  status: RunStatus;
  detail: string | null;
  agent: string;
  task: string;
  steps: number;
  costUsd: number;
  pending: readonly PendingApproval[];
  effects: readonly EffectRecord[];
  timeline: readonly TimelineEntry[];
  refusals: readonly RejectedAttempt[];
  approval: ApprovalSettings;
}

/** Shows the run as it stands: search attributes (when what people filter on changed) and current details. */
export function publishRun(run: Run): void {
  const view = viewOf(run);
  upsertChanged(view);
  setCurrentDetails(renderDetails(view));
}

/** Refreshes the current details only: safe where no command may be issued (an update's validator). */
export function refreshDetails(run: Run): void {
  setCurrentDetails(renderDetails(viewOf(run)));
}

function viewOf({ settings, memory, flags }: Run): RunView {
  return {
    status: flags.status,
    detail: flags.statusDetail,
    agent: settings.agent.name,
    task: settings.task,
    steps: memory.turn,
    costUsd: memory.usage.costUsd,
    pending: maskPending(settings.agent, memory.pendingApprovals),
    effects: maskEffects(settings.agent, memory.effects),
    timeline: memory.timeline,
    refusals: memory.rejectedAttempts,
    approval: settings.approval,
  };
}

/** Sets the run's status and shows it. */
export function setStatus(run: Run, status: RunStatus, detail: string | null): void {
  run.flags.status = status;
  run.flags.statusDetail = detail;
  run.feed.status(status, detail);
  publishRun(run);
  reportToParent(run);
}

/** The pending calls, for the status line: "charge_card (call-3), send_email (call-4)". */
export function describePending(pending: readonly PendingApproval[]): string {
  return pending.map((request) => `${request.tool} (${request.callId})`).join(', ');
}

function upsertChanged(view: RunView): void {
  const current = workflowInfo().typedSearchAttributes;
  const wanted = [
    { key: AgentName, value: view.agent },
    { key: AgentStatus, value: view.status },
    { key: AgentCostUsd, value: view.costUsd },
    { key: AgentSteps, value: view.steps },
    { key: AgentPendingApprovals, value: view.pending.length },
  ] as const;
  // Status and pending approvals are what people filter on; steps and cost ride along when those change,
  // and otherwise every tenth step, to keep one event per turn out of the history.
  const statusChanged = current.get(AgentStatus) !== view.status || current.get(AgentPendingApprovals) !== view.pending.length;
  const stale = (current.get(AgentSteps) ?? -1) + 10 <= view.steps;
  const missing = current.get(AgentName) !== view.agent;
  if (!statusChanged && !stale && !missing) return;
  const updates = wanted.filter(({ key, value }) => current.get(key as never) !== value);
  if (updates.length > 0) upsertSearchAttributes(updates as never);
}

// Everything from a sender, a tool or the model is written as data (markdown.ts): the UI renders this as Markdown.
function renderDetails(view: RunView): string {
  const lines = [`**${plainText(view.agent)}** · ${view.status} · step ${view.steps} · $${view.costUsd.toFixed(4)}`];
  if (view.detail) lines.push(plainText(view.detail));
  for (const request of view.pending) {
    lines.push(
      `awaiting approval: ${plainText(request.tool)} ${codeSpan(brief(request.input))} (${plainText(request.callId)}, expires ${plainText(request.expiresAt)})`,
    );
  }
  const undone = view.effects.filter((effect) => effect.compensation === 'compensated').length;
  if (view.effects.length > 0) lines.push(`effects: ${view.effects.length}, undone: ${undone}`);
  for (const effect of view.effects) {
    if (effect.skippedBy) {
      lines.push(
        `undo skipped: ${plainText(effect.tool)} (${codeSpan(effect.effectId)}) by ${codeSpan(effect.skippedBy.by)}: ${plainText(effect.skippedBy.reason)}`,
      );
    }
  }
  lines.push(...renderOperatorDetails(view.effects, view.timeline, view.status === 'blocked'));
  lines.push(...renderApprovalDetails(view.pending, view.refusals, view.approval));
  return lines.join('\n\n');
}

function brief(input: unknown): string {
  // The UI is read by more people than approvers: show card-like numbers by their last four digits only.
  const text = JSON.stringify(input).replace(/\d(?:[ -]?\d){11,18}/g, (digits) => `••••${digits.replace(/\D/g, '').slice(-4)}`);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
