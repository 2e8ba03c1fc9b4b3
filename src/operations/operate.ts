/**
 * An operator steering a run: cancel, abort, top up its budget, retry or skip a failing compensation. Updates
 * answer at once (a refusal is an {@link OperationRefusedError}); operator signals are checked against the run's
 * effects first.
 */
import {
  abortUpdate,
  extendBudgetUpdate,
  interruptUpdate,
  sendMessageUpdate,
  type InterruptRequest,
  type MessageReceipt,
  type UserMessage,
  resumeModelUpdate,
  retryCompensationSignal,
  skipCompensationSignal,
  type AbortRequest,
  type BudgetLimits,
  type BudgetTopUp,
  type EffectRecord,
  type ResumeRequest,
} from '../shared/contracts';
import { handleOf, queryState, requireRunning, type ClientContext } from './context';
import { EffectNotFoundError, oneLine, OperationRefusedError } from './errors';

/** Requests cancellation: the run undoes its effects newest-first, then ends as cancelled. */
export async function cancelRun(ctx: ClientContext, workflowId: string): Promise<void> {
  await requireRunning(ctx, workflowId);
  await handleOf(ctx, workflowId).cancel();
}

/** Aborts a run: it rolls back newest-first and completes as compensated. */
export async function abortRun(ctx: ClientContext, workflowId: string, request: AbortRequest): Promise<void> {
  await requireRunning(ctx, workflowId);
  await refusedAs('abort', workflowId, () => handleOf(ctx, workflowId).executeUpdate(abortUpdate, { args: [request] }));
}

/** Sends a running agent a message that Claude reads before its next call; resolves once the run has queued it. */
export async function sendMessage(ctx: ClientContext, workflowId: string, message: UserMessage): Promise<MessageReceipt> {
  await requireRunning(ctx, workflowId);
  return refusedAs('message', workflowId, () => handleOf(ctx, workflowId).executeUpdate(sendMessageUpdate, { args: [message] }));
}

/** Stops a run after the step in progress; it waits for a message or an abort. */
export async function interruptRun(ctx: ClientContext, workflowId: string, request: InterruptRequest): Promise<void> {
  await requireRunning(ctx, workflowId);
  await refusedAs('interrupt', workflowId, () => handleOf(ctx, workflowId).executeUpdate(interruptUpdate, { args: [request] }));
}

/** A run paused in `model_unavailable` tries its model at once; refused in any other state. */
export async function resumeRun(ctx: ClientContext, workflowId: string, request: ResumeRequest): Promise<void> {
  await requireRunning(ctx, workflowId);
  await refusedAs('resume', workflowId, () => handleOf(ctx, workflowId).executeUpdate(resumeModelUpdate, { args: [request] }));
}

/** Raises a run's limits (one paused in `budget_exhausted` resumes); resolves to the new limits. */
export async function extendBudget(ctx: ClientContext, workflowId: string, topUp: BudgetTopUp): Promise<BudgetLimits> {
  await requireRunning(ctx, workflowId);
  return refusedAs('top-up', workflowId, () => handleOf(ctx, workflowId).executeUpdate(extendBudgetUpdate, { args: [topUp] }));
}

/** Who retries or skips a blocked compensation, and why. */
export interface CompensationAction {
  /** Who steers the compensation. */
  by: string;
  /** Why, for the record. */
  reason: string;
}

/** What an operator's retry or skip named, checked against the run's ledger where a worker answered. */
export interface CompensationSent {
  /** The full effect id the signal named. */
  effectId: string;
  /** The effect as the run's ledger has it; null when no worker answered, so the id went unchecked. */
  effect: EffectRecord | null;
  /** Why the id went unchecked. */
  unchecked: string | null;
}

/**
 * Retries a failing compensation now, or gives up undoing one effect so a blocked rollback can finish. `effect` is
 * the full effect id, `effect-N` or `N`; it is checked against the run's ledger when a worker answers.
 */
export async function steerCompensation(
  ctx: ClientContext,
  kind: 'retry' | 'skip',
  workflowId: string,
  effect: string,
  action: CompensationAction,
): Promise<CompensationSent> {
  await requireRunning(ctx, workflowId);
  const target = await resolveEffect(ctx, workflowId, effect);
  const signal = kind === 'retry' ? retryCompensationSignal : skipCompensationSignal;
  await handleOf(ctx, workflowId).signal(signal, { effectId: target.effectId, by: action.by, reason: action.reason });
  return target;
}

/** Runs an update and turns the run's refusal (its validator's message) into an {@link OperationRefusedError}. */
async function refusedAs<T>(operation: OperationRefusedError['operation'], workflowId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if ((err as Error).name !== 'WorkflowUpdateFailedError') throw err;
    throw new OperationRefusedError(operation, workflowId, oneLine((err as { cause?: unknown }).cause ?? err));
  }
}

async function resolveEffect(ctx: ClientContext, workflowId: string, given: string): Promise<CompensationSent> {
  const effectId = /^\d+$/.test(given) ? `${workflowId}/effect-${given}` : /^effect-\d+$/.test(given) ? `${workflowId}/${given}` : given;
  let effects: EffectRecord[];
  try {
    effects = (await queryState(ctx, handleOf(ctx, workflowId))).effects;
  } catch (err) {
    if ((err as Error).name !== 'QueryUnansweredError') throw err;
    return { effectId, effect: null, unchecked: (err as Error).message };
  }
  const effect = effects.find((candidate) => candidate.effectId === effectId);
  if (!effect) {
    const known = effects.map((candidate) => `${candidate.effectId} (${candidate.tool}, ${candidate.compensation})`);
    throw new EffectNotFoundError(
      workflowId,
      effectId,
      `no effect ${effectId} in run ${workflowId}: ${known.length > 0 ? `its effects: ${known.join(', ')}` : 'it has no effects yet'}`,
    );
  }
  return { effectId, effect, unchecked: null };
}
