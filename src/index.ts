/**
 * sagent's Node entry (`sagent`): what your worker and your client code import. The worker plugin and factory, the
 * activities factory, the connection, the payload codec, the client that starts, reads and decides runs, and the
 * worker-side types of a tool's implementation. What your workflows file and your agents' definition files import
 * (the sandbox) is in `sagent/workflow`; the test kit is `sagent/testing`; the CLI's terminal renderers `sagent/cli`.
 *
 * @packageDocumentation
 */

// The worker.
export { DEFAULT_DEPLOYMENT_NAME } from './shared/constants';
export {
  DEFAULT_MAX_CACHED_RUNS,
  SAGENT_PRELOAD_MODULES,
  sagentPreloadModules,
  SagentPlugin,
  assertImplementations,
  createSagentWorker,
  deploymentFromEnv,
  deploymentOptions,
  createModelCallWorker,
  sagentActivities,
  type AgentImplementation,
  type ModelCallWorkerOptions,
  type SagentDeployment,
  type SagentPluginOptions,
  type SagentWorkerOptions,
} from './worker';
export { createActivities, type Activities, type ActivityDeps } from './activities';
export { TokenRateGovernor, queueRateFor, type TokenLimit, type CallTokens } from './models/token-limit';
export { WorkerBreakers, breakerSnapshot } from './breakers/registry';
export { BreakerSync, type BreakerSyncOptions } from './breakers/fleet';
export {
  ToolError,
  implement,
  type CompensationContext,
  type CompensationResult,
  type EffectCheck,
  type ToolContext,
  type ToolImplementation,
  type ToolImplementations,
} from './tools/runtime';
export type { McpServerConfig, McpStdioServerConfig, McpHttpServerConfig, McpToolOverride, McpCompensation } from './mcp/config';
export { createAnthropicClient, type ModelClientOptions } from './models/anthropic';
export { Pricing, type CacheTtl, type ModelPrice, type PriceSource, type ResolvedPrice } from './models/pricing';
export { ContextWindowExceededError } from './models/context-window';
export { installRuntime, workerTelemetry, clientInterceptors, shutdownTelemetry } from './observability';

// The connection to Temporal.
export {
  TemporalConfigError,
  TemporalUnreachableError,
  connectClient,
  connectWorkerConnection,
  resolveConnection,
  type ConnectOptions,
  type ConnectedTemporal,
  type TemporalConnectionConfig,
} from './temporal/connection';
export { registerSearchAttributes } from './temporal/search-attributes';
export { SagentMetrics, serveMetrics, metricsPort, type BreakerSnapshot } from './observability';

// The client.
export { SagentClient, type SagentClientOptions } from './client';
export { buildRunInput, type RunRequest, type StartOptions, type StartedRun } from './operations/start';
export type { DecisionReport, DecisionRequest, PendingCall, PendingCalls, PreparedDecision } from './operations/approvals';
export type { SignedDecisionFields } from './policies/signature';
export { ensureKey, createKey, loadKey, type ApproverKey } from './operations/keys';
export type { CompensationAction, CompensationSent } from './operations/operate';
export type { LedgerEntry, LedgerOptions, RunLedger } from './operations/ledger';
export type { RunAudit } from './operations/audit';
export type { AccessOptions } from './activities/access';
export type {
  AccessGrant,
  AccessRequest,
  AgentPolicy,
  ArgumentMatcher,
  AuditEntry,
  PolicyRule,
  RunIdentity,
  RunPolicyInput,
  RunPolicyRule,
  TaintSource,
} from './shared/policy';
export type { FollowOptions } from './operations/follow';
export { FeedTranscript, type FeedGap, type FeedItem, type FeedOptions } from './operations/feed';
export type { LiveFeedOptions } from './activities/feed-publisher';
export type { ReadOptions, RunView, TurnWait, ViewSource } from './operations/run-view';
export { CLIENT_ERRORS, isClientError, type ClientErrorName } from './operations/errors';
export type { DeploymentVersions, RunVersion, VersionRow, WorkflowTaskFailure } from './operations/versions';
export { DEFAULT_UI_URL } from './shared/constants';

// Encrypted payloads.
export {
  EncryptionCodec,
  KEY_BYTES,
  codecDataConverter,
  loadKeyring,
  startCodecServer,
  DEFAULT_CODEC_PORT,
  generateToken,
  uiOrigins,
  type CodecKey,
  type CodecKeyring,
  type CodecServer,
  type CodecServerOptions,
} from './codec';
