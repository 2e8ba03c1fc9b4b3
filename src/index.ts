/**
 * sagent's Node entry (`sagent`): the worker plugin and factory, the activities, the connection, and everything the
 * workflow-safe entry (`sagent/workflow`) has. Import this in your worker and client code; import `sagent/workflow`
 * in your workflows file and in your agents' definition files, which the workflow sandbox loads.
 */
export * from './workflow';
export {
  SAGENT_PRELOAD_MODULES,
  SagentPlugin,
  assertImplementations,
  createSagentWorker,
  sagentActivities,
  type AgentImplementation,
  type SagentPluginOptions,
  type SagentWorkerOptions,
} from './worker';
export { createActivities, type Activities, type ActivityDeps } from './activities';
export { WorkerBreakers, breakerSnapshot } from './breakers/registry';
export { BreakerSync, type BreakerSyncOptions } from './breakers/fleet';
export { McpServers, classifyCallError, schemaHashOf, type McpCall } from './mcp/servers';
export {
  assertMcpServers,
  type McpCallResult,
  type McpCompensation,
  type McpHttpServerConfig,
  type McpServerConfig,
  type McpStdioServerConfig,
  type McpToolOverride,
} from './mcp/config';
export { TOOL_FAILURE_TYPES, type ApprovalNotice, type CallModelInput, type CompensateInput, type RunToolInput, type ToolOutput } from './shared/activity-io';
export { createAnthropicClient, type ModelClientOptions } from './models/anthropic';
export { MODEL_FAILURE_TYPES, classifyModelError, type ModelFailureType } from './models/errors';
export { PRICING, costUsd, priceOf, type ModelPrice } from './models/pricing';
export {
  LOCAL_ADDRESS,
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
export { installRuntime, workerTelemetry, clientInterceptors, shutdownTelemetry } from './observability';
export { checkRunInput, runInputSchema, type RunInputCheck } from './shared/run-input';
export { childLimits, type ParentBudget } from './policies/delegation';
export { argsHashOf, canonicalJson } from './policies/canonical';
export * from './client';
export {
  DEFAULT_UI_URL,
  ACCEPT_TIMEOUT_MS,
  CONNECT_TIMEOUT_MS,
  FOLLOW_POLL_MS,
  QUERY_TIMEOUT_MS,
  SERVICES_TIMEOUT_MS,
  SIGNAL_READBACK_MS,
} from './shared/constants';

// Terminal rendering, as the CLI shows runs: for apps that print a run the same way (the demo does).
export { Output, processIO, brief, shortHash, table, usd, type CliIO } from './cli/io';
export { TimelineRenderer, outcomeLines, quoteArg, type TimelineOptions } from './cli/timeline';
export { watchRun, type WatchOptions, type WatchResult } from './cli/watch';
export { ledgerLines } from './cli/ledger-view';
export { EXIT, describeError, exitCodeFor, type ExitCode } from './cli/errors';
export * from './codec';
