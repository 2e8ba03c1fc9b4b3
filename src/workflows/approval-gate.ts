/**
 * The approval gate: opens the requests a plan asks for, tells approvers, and turns what happened to a request
 * (a decision, an expiry) into the call's next value, or into the end of the saga when the policy says so.
 */
import { isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import { nobodyMayDecide } from '../policies/approval';
import { maskPendingApproval } from '../policies/secrets';
import type { ApprovalSettings } from '../shared/run';
import type { AwaitingApprovalCall, DoneCall, PendingApproval, PlannedEffect, ReadyCall } from '../shared/records';
import { activities, notifyOptions } from './activity-options';
import type { ApprovalDesk, WaitResult } from './approvals';
import { closeCall, errorResult } from './calls';
import type { ApprovalAsk } from './planner';
import { shouldContinueAsNew, type Run } from './run-memory';
import { describe } from './saga';
import type { RunSettings } from './settings';
import type { Timeline } from './timeline';

const { notifyApproval } = activities;

/**
 * History bytes after which a wait for a person continues as new even before this run took a turn: signals
 * (junk ones too) stay in the history, and a run that only waits would otherwise grow to the server's limit.
 */
export const WAITING_HISTORY_LIMIT_BYTES = 8 * 1024 * 1024;

/** What a wait for a person came to. */
export type GateOutcome =
  /** Approved (perhaps with an edit): the call runs next. */
  | { kind: 'ready'; call: ReadyCall & PlannedEffect }
  /** Rejected or expired: Claude is told, and the call never runs. */
  | { kind: 'done'; call: DoneCall }
  /** The policy makes this rejection or expiry end the saga. */
  | { kind: 'abort'; reason: string }
  /** An abort was requested or a continue-as-new is due; the call still waits, and is carried. */
  | { kind: 'interrupted' };

/** What one wait for a person came to: a gate outcome, or expired with the policy escalating (notify again, wait on). */
export type GateStep = GateOutcome | { kind: 'escalated' };

type Settled = Exclude<GateStep, { kind: 'interrupted' }>;

/** Opens the plan's requests on the desk, in Claude's order. */
export function openApprovals(asks: readonly ApprovalAsk[], desk: ApprovalDesk, timeline: Timeline): void {
  for (const { request, reason } of asks) {
    desk.open({ ...request, rule: reason });
    timeline.note('approval', `approval requested: ${request.tool} (${request.callId})`, 'waiting', reason);
  }
}

/**
 * One wait for a person's decision on a call, settled: the decision, the request's expiry, or an interruption. The
 * loop shows the run as awaiting approval before each wait, and waits again after an escalation.
 */
export function awaitDecision(run: Run, call: AwaitingApprovalCall): Promise<GateStep> {
  const { desk, flags, settings, timeline } = run;
  const interrupt = () => flags.abortRequested !== null || shouldContinueAsNew(run) || (workflowInfo().historySize ?? 0) > WAITING_HISTORY_LIMIT_BYTES;
  return desk
    .waitFor(call.callId, interrupt)
    .then((wait) => (wait.kind === 'interrupted' ? wait : settleApproval(call, wait, desk, timeline, settings.approval)));
}

/** A call nobody may decide is refused at once; undefined when the run can wait for a person. */
export function refuseIfUnapprovable({ desk, settings, timeline }: Run, call: AwaitingApprovalCall): GateOutcome | undefined {
  if (nobodyMayDecide(settings.approval) && patched('sagent-approvers-required')) return refuseUnapprovable(call, desk, timeline);
  return undefined;
}

/**
 * A run that names no approvers (and does not let any namespace user decide) cannot approve anything: the call
 * is refused at once instead of waiting for whoever types a name. Runs from before this rule wait as they did.
 */
function refuseUnapprovable(call: AwaitingApprovalCall, desk: ApprovalDesk, timeline: Timeline): GateOutcome {
  const why = 'the run names no approvers, so nobody may approve it';
  desk.close(call.callId, { decision: 'withdrawn', approver: null, reason: why });
  timeline.note(
    'approval',
    `approval refused: ${call.tool} (${call.callId})`,
    'error',
    `${why}; start runs with --approver <name> (or approval.anyNamespaceUser)`,
  );
  return {
    kind: 'done',
    call: closeCall(
      call,
      errorResult(call.toolUseId, {
        error: 'approval_unavailable',
        message: `${call.tool} needs a human approval, and ${why}; it did not run`,
        hint: 'do not retry it; tell the user the run must be started with approvers',
      }),
    ),
  };
}

/** Settles a call whose wait ended with a decision or an expiry; the desk takes the decision, once. */
function settleApproval(
  call: AwaitingApprovalCall,
  wait: Exclude<WaitResult, { kind: 'interrupted' }>,
  desk: ApprovalDesk,
  timeline: Timeline,
  settings: ApprovalSettings,
): Settled {
  const { callId } = call;
  if (wait.kind === 'decided') {
    const decided = desk.take(callId)!;
    if (decided.decision === 'approve') {
      timeline.note('approval', `approved by ${decided.approver}: ${call.tool} (${callId})`, 'ok', decided.reason ?? undefined);
      const edited = decided.argsHash !== call.argsHash ? { input: decided.input, editedBy: decided.approver } : {};
      return { kind: 'ready', call: { ...call, status: 'ready', ...edited } };
    }
    timeline.note('approval', `rejected by ${decided.approver}: ${call.tool} (${callId})`, 'error', decided.reason ?? undefined);
    if (settings.rejectionIsFatal) return { kind: 'abort', reason: `${call.tool} was rejected by ${decided.approver}: ${decided.reason}` };
    return {
      kind: 'done',
      call: closeCall(
        call,
        errorResult(call.toolUseId, {
          error: 'approval_rejected',
          message: `${decided.approver} rejected this call: ${decided.reason}`,
          hint: 'do not retry the same call; go another way or explain to the user',
          approver: decided.approver,
          reason: decided.reason,
        }),
      ),
    };
  }
  const request = desk.find(callId);
  if (settings.onExpiry === 'escalate' && request && !request.escalated) {
    desk.extend(callId, settings.escalationTimeoutMs ?? settings.timeoutMs);
    timeline.note('approval', `approval escalated: ${call.tool} (${callId})`, 'waiting');
    return { kind: 'escalated' };
  }
  desk.close(callId, { decision: 'expired', approver: null, reason: 'no decision before the request expired' });
  timeline.note('approval', `approval expired: ${call.tool} (${callId})`, 'error');
  if (settings.onExpiry === 'abort') return { kind: 'abort', reason: `the approval of ${call.tool} (${callId}) expired` };
  return {
    kind: 'done',
    call: closeCall(
      call,
      errorResult(call.toolUseId, {
        error: 'approval_expired',
        message: 'nobody approved this call in time, so it did not run',
        hint: 'go another way, or tell the user what needs approval',
      }),
    ),
  };
}

/** Tells the approvers a request waits; a failed notice is logged, never fatal: the request still waits. */
export async function notifyApprovers(
  settings: Pick<RunSettings, 'workflowId' | 'agent'>,
  request: PendingApproval | undefined,
  escalated: boolean,
): Promise<void> {
  if (!request) return;
  try {
    await notifyApproval.executeWithOptions(notifyOptions(`notify approvers · ${request.tool} (${request.callId})`), [
      // The notice leaves the run: secrets masked, as every view without the codec shows them.
      { workflowId: settings.workflowId, ...maskPendingApproval(settings.agent, request), escalated },
    ]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('approval notification failed; the request still waits', { callId: request.callId, error: describe(err) });
  }
}
