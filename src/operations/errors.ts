/**
 * What a sagent client operation throws. Domain failures (the run, the call or the decision is not what the caller
 * thought) are kept apart from infrastructure failures (no worker answered, a signal's effect never showed up):
 * a domain failure needs a different request, an infrastructure failure the same one later. Temporal's own
 * errors (connection, namespace) pass through unchanged. Tell them apart by `.name`, never `instanceof`.
 */
import type { WorkflowTaskFailure } from './client-context';

/** The closed table of the client's error names, domain failures first. */
export const CLIENT_ERRORS = {
  RunNotFoundError: 'domain',
  RunAlreadyExistsError: 'domain',
  InvalidRunInputError: 'domain',
  RunInputRefusedError: 'domain',
  RunEndedError: 'domain',
  RunNotCompletedError: 'domain',
  DecisionRefusedError: 'domain',
  OperationRefusedError: 'domain',
  EffectNotFoundError: 'domain',
  QueryUnansweredError: 'infrastructure',
  DecisionUnconfirmedError: 'infrastructure',
} as const;
/** The name of an error a client operation throws on purpose; {@link CLIENT_ERRORS} says which are the user's and which the infrastructure's. */
export type ClientErrorName = keyof typeof CLIENT_ERRORS;

/** True for any error a sagent client operation threw on purpose (its message is one line for a person). */
export function isClientError(err: unknown): err is Error & { name: ClientErrorName } {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && Object.hasOwn(CLIENT_ERRORS, name);
}

/** No run with this workflow id in the namespace. */
export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError' as const;
  constructor(
    readonly workflowId: string,
    readonly namespace: string,
  ) {
    super(`no run "${workflowId}" in namespace ${namespace}: check the id (sagent pending lists waiting runs)`);
  }
}

/** A run with this workflow id exists, or existed: ids are never reused, since effect ids derive from them. */
export class RunAlreadyExistsError extends Error {
  override name = 'RunAlreadyExistsError' as const;
  constructor(
    readonly workflowId: string,
    readonly namespace: string,
  ) {
    super(`a run with id "${workflowId}" already exists in namespace ${namespace}; ids are never reused (effect ids derive from them): choose another id`);
  }
}

/** The run's input fails the checks the workflow applies; nothing was started. */
export class InvalidRunInputError extends Error {
  override name = 'InvalidRunInputError' as const;
  constructor(readonly problem: string) {
    super(`invalid run input: ${problem}`);
  }
}

/** The worker refused the run's input in its first workflow task (an unknown agent or tool); the run failed. */
export class RunInputRefusedError extends Error {
  override name = 'RunInputRefusedError' as const;
  constructor(
    readonly workflowId: string,
    readonly problem: string,
  ) {
    super(`the run refused its input: ${problem}`);
  }
}

/** The run has ended, so it takes no decision, abort, top-up or operator signal. */
export class RunEndedError extends Error {
  override name = 'RunEndedError' as const;
  constructor(
    readonly workflowId: string,
    message = `run ${workflowId} has already ended: see sagent status ${workflowId}`,
  ) {
    super(message);
  }
}

/** Why a decision was not taken. */
export const DECISION_REFUSALS = {
  /** The call is not awaiting a decision in this run. */
  not_pending: 'not_pending',
  /** The call's argsHash is not the one the person reviewed. */
  hash_mismatch: 'hash_mismatch',
  /** The run's validator (update) or its recorded refusal (signal) said no: approver, expiry, edited input. */
  refused_by_run: 'refused_by_run',
  /** The server held the update back: the run's updates in flight already hold all the bytes it allows (a flood). */
  flooded: 'flooded',
} as const;
export type DecisionRefusal = keyof typeof DECISION_REFUSALS;

/** A decision the run did not take; `code` says why. */
export class DecisionRefusedError extends Error {
  override name = 'DecisionRefusedError' as const;
  constructor(
    readonly code: DecisionRefusal,
    readonly workflowId: string,
    readonly callId: string,
    message: string,
  ) {
    super(message);
  }
}

/** The run's validator refused an abort or a budget top-up. */
export class OperationRefusedError extends Error {
  override name = 'OperationRefusedError' as const;
  constructor(
    readonly operation: 'abort' | 'top-up' | 'message' | 'interrupt' | 'resume',
    readonly workflowId: string,
    readonly why: string,
  ) {
    super(`the run refused the ${operation}: ${why}`);
  }
}

/** No effect with this id in the run's ledger. */
export class EffectNotFoundError extends Error {
  override name = 'EffectNotFoundError' as const;
  constructor(
    readonly workflowId: string,
    readonly effectId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Why a query got no answer: no worker polls the run's task queue (or it is too busy), or the run has no such query. */
export class QueryUnansweredError extends Error {
  override name = 'QueryUnansweredError' as const;
  constructor(
    message: string,
    /** Set when a worker answers but its workflow task for the run keeps failing. */
    readonly workflowTask?: WorkflowTaskFailure,
  ) {
    super(message);
  }
}

/** A signalled decision was sent, but the run has not recorded it (nor a refusal) in time. */
export class DecisionUnconfirmedError extends Error {
  override name = 'DecisionUnconfirmedError' as const;
  constructor(
    readonly workflowId: string,
    readonly callId: string,
    message: string,
  ) {
    super(message);
  }
}

/** One line from any error: its message, whitespace collapsed, bounded. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
  return (message || String(err)).replace(/\s+/g, ' ').trim().slice(0, 400);
}

/** The run ended without completing (rolled back, cancelled or failed), so it has no result to give. */
export class RunNotCompletedError extends Error {
  override name = 'RunNotCompletedError' as const;
  constructor(
    readonly workflowId: string,
    readonly status: string,
    readonly reason: string | null,
  ) {
    super(`run ${workflowId} ended ${status}${reason ? `: ${reason}` : ''}; it has no result (sagent ledger ${workflowId} shows what was undone)`);
  }
}
