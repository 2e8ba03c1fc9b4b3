/**
 * sagent's Node entry (`sagent`): what your worker and your client code import. The worker plugin and factory, the
 * activities factory, the connection, the payload codec, the client that starts, reads and decides runs, and the
 * worker-side types of a tool's implementation. What your workflows file and your agents' definition files import
 * (the sandbox) is in `sagent/workflow`; the test kit is `sagent/testing`; the CLI's terminal renderers `sagent/cli`.
 *
 * @packageDocumentation
 */

// The worker.
export {
  SAGENT_PRELOAD_MODULES,
  sagentPreloadModules,
  sagentBundleOptions,
  sagentWebpackConfigHook,
  WORKFLOW_CODE_TARGET,
  SagentPlugin,
  createModelCallWorker,
  createSagentWorker,
  deploymentFromEnv,
  type AgentImplementation,
  type ModelCallWorkerOptions,
  type SagentDeployment,
  type SagentPluginOptions,
  type SagentWorkerOptions,
} from './worker';
export { createActivities, type ActivityDeps } from './activities';
export { createAnthropicClient } from './models/anthropic';
export type { McpServerConfig } from './mcp/config';
export { SagentMetrics, serveMetrics, workerTelemetry } from './observability';
export { breakerSnapshot } from './breakers/registry';

// What a tool does, on the worker.
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

// The connection to Temporal.
export { connectClient, connectWorkerConnection, resolveConnection, type ConnectedTemporal, type TemporalConnectionConfig } from './temporal/connection';

// A worker-side judge of each call (the policy's optional `auto` verdict source).
export type { AutoVerdictSource } from './activities/auto-verdict';
export { secondModelVerdict, type SecondModelVerdictOptions } from './activities/second-model';

// The client.
export { SagentClient, type SagentClientOptions } from './client';
export type { StartOptions, StartedRun } from './operations/start';
export type { RunView } from './operations/run-view';
export { FeedTranscript } from './operations/feed';
export { CLIENT_ERRORS, isClientError } from './operations/errors';

// Encrypted payloads.
export { EncryptionCodec, codecDataConverter, loadKeyring, startCodecServer, type CodecKeyring, type CodecServerOptions } from './codec';
