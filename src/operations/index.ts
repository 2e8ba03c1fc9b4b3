/** The operations on runs behind `SagentClient` (src/client.ts) that the CLI and apps share. */
export { buildRunInput, checkedRunInput, newWorkflowId, type RunRequest, type StartOptions, type StartedRun } from './start';
export { MIN_HASH_PREFIX, PENDING_QUERY, type DecisionReport, type DecisionRequest, type PendingCall, type PendingCalls } from './approvals';
export { configDir, createKey, ensureKey, keyPath, loadKey, type ApproverKey } from './keys';
export type { CompensationAction, CompensationSent } from './operate';
export { fetchServicesLedger, type LedgerEntry, type LedgerOptions, type RunLedger, type ServicesLedger } from './ledger';
export type { FollowOptions } from './follow';
export { FeedTranscript, type FeedGap, type FeedItem, type FeedOptions } from './feed';
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
  RunNotCompletedError,
  RunNotFoundError,
  isClientError,
  type ClientErrorName,
  type DecisionRefusal,
} from './errors';
