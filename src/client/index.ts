/** The sagent client: the operations on runs that the CLI and apps share. */
export { SagentClient, type SagentClientOptions } from './sagent-client';
export { buildRunInput, checkedRunInput, newWorkflowId, type RunRequest, type StartOptions, type StartedRun } from './start';
export { MIN_HASH_PREFIX, PENDING_QUERY, type DecisionReport, type DecisionRequest, type PendingCall, type PendingCalls } from './approvals';
export { configDir, createKey, ensureKey, keyPath, loadKey, type ApproverKey } from './keys';
export type { CompensationAction, CompensationSent } from './operate';
export { fetchServicesLedger, type LedgerEntry, type LedgerOptions, type RunLedger, type ServicesLedger } from './ledger';
export type { FollowOptions } from './follow';
export { BreakerOverrideRefusedError, type FleetBreaker, type FleetBreakers } from './breakers';
export type { ReadOptions, RunView, ViewSource } from './run-view';
export {
  CLIENT_ERRORS,
  DECISION_REFUSALS,
  DecisionRefusedError,
  DecisionUnconfirmedError,
  EffectNotFoundError,
  InvalidRunInputError,
  OperationRefusedError,
  QueryUnansweredError,
  RunAlreadyExistsError,
  RunEndedError,
  RunInputRefusedError,
  RunNotFoundError,
  isClientError,
  type ClientErrorName,
  type DecisionRefusal,
} from './errors';
