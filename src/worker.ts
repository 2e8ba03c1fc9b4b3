/**
 * The worker side of sagent: a Temporal worker plugin that adds sagent's activities (the model call, the tool
 * calls, their compensations, approval notices) for your agents, and a factory for a whole worker.
 *
 * ```ts
 * const worker = await Worker.create({
 *   connection, taskQueue: 'sagent', workflowsPath: require.resolve('./workflows'),
 *   plugins: [new SagentPlugin({ agents: [{ agent: myAgent, tools: myTools }] })],
 * });
 * ```
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { DataConverter } from '@temporalio/common';
import type { Context } from '@temporalio/activity';
import { SimplePlugin } from '@temporalio/plugin';
import {
  Worker,
  type ActivityInboundCallsInterceptor,
  type BundleOptions,
  type NativeConnection,
  type ReplayWorkerOptions,
  type WorkerOptions,
} from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities } from './activities';
import { BreakerSync } from './breakers/fleet';
import { WorkerBreakers } from './breakers/registry';
import { ContextCache, DEFAULT_CONTEXT_CACHE_RUNS } from './activities/context-cache';
import type { McpServerConfig } from './mcp/config';
import { McpServers } from './mcp/servers';
import { codecDataConverter } from './codec/data-converter';
import { createAnthropicClient } from './models/anthropic';
import { Pricing, pricingOverridesFromEnv, type ModelPrice } from './models/pricing';
import type { ModelTimeouts } from './models/watchdog';
import { queueRateSetter, TokenRateGovernor, type TokenLimit } from './models/token-limit';
import type { ModelTurn } from './shared/wire';
import { DEFAULT_DEPLOYMENT_NAME, DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from './shared/constants';
import type { SagentMetrics } from './observability/metrics';
import { agentRegistry, type AgentDefinition } from './tools/define';
import type { ToolImplementations } from './tools/runtime';
import type { AccessOptions } from './activities/access';
import type { AutoVerdictSource } from './activities/auto-verdict';
import { identityLogInterceptors } from './observability/identity-log';
import type { LiveFeedOptions } from './activities/feed-publisher';

/** One agent as the worker runs it: its sandbox-safe definition and its tools' implementations. */
export interface AgentImplementation {
  agent: AgentDefinition;
  /** By tool name; every declared tool but control tools (`abort`) needs one. */
  tools: ToolImplementations;
}

/** What `SagentPlugin` takes: your agents with their tools' implementations, and how the worker reaches the model. */
export interface SagentPluginOptions {
  /** The agents this worker runs; the same definitions your workflows file passes to `createAgentSaga`. */
  agents: readonly AgentImplementation[];
  /** @default a client from ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, with `maxRetries: 0` */
  anthropic?: Anthropic;
  /** POSTed a JSON notice for every approval request. @default process.env.SAGENT_APPROVAL_WEBHOOK */
  approvalWebhookUrl?: string;
  /**
   * Who may use which tools: principals map to roles, roles to tool globs. A run whose principal has no role for a
   * tool never has it offered to Claude, and a call that names it anyway is refused. @default none (every tool)
   */
  access?: AccessOptions;
  /**
   * An `auto` verdict source: judges every call the policy rules do not deny (reads included; built-in control tools
   * never), as an activity whose answer is in history. Merged most-restrictive-wins with the rules: it can deny or
   * ask, never allow what a rule asks; a source that throws, times out or answers malformed JSON yields `ask`. Each
   * answer is in the audit trail with its reason. `secondModelVerdict({ model })` is a ready one.
   * @default none (nothing is scheduled for it)
   */
  autoVerdict?: AutoVerdictSource;
  /** How long the `auto` source may take per call before the call asks. @default 20_000 */
  autoVerdictTimeoutMs?: number;
  /** The agents whose calls go to the `auto` source (decided at each run's start). @default every agent */
  autoVerdictAgents?: readonly string[];
  /** How long one model call may wait for its first byte and between chunks. @default DEFAULT_MODEL_TIMEOUTS: { firstByteMs: 15_000, idleMs: 15_000 } */
  modelTimeouts?: Partial<ModelTimeouts>;
  /**
   * How Claude's text reaches each run's live feed while it streams, for runs a reader follows (nothing is sent for
   * the others): batches of at most `maxBatchBytes`, sent every `flushMs`, one signal each. `false` sends none,
   * whatever readers ask (the feed still has every step, and each answer's text whole).
   * @default { flushMs: 500, maxBatchBytes: 4096, closeTimeoutMs: 2000 }
   */
  liveFeed?: Partial<LiveFeedOptions> | false;
  /** Payload encoding of the worker. @default the encryption codec when SAGENT_CODEC_KEYS or SAGENT_CODEC_KEY_FILE is set */
  dataConverter?: DataConverter;
  /**
   * MCP servers whose tools agents may offer (an agent names them in `mcpServers`): stdio commands the worker starts
   * and keeps, or Streamable HTTP URLs, with per-tool risk overrides and compensation mappings. @default none
   */
  mcpServers?: readonly McpServerConfig[];
  /**
   * Each turn's context reaches the model call on this worker through a sink and an in-memory cache, without a
   * query to the workflow; a call on another worker, or after a restart, queries. `false` always queries.
   * @default { maxRuns: 1000 } (the newest context of at most this many runs)
   */
  contextCache?: { maxRuns?: number } | false;
  /**
   * Share breaker state with the fleet: the worker reports its breakers to its task queue's breaker board (the
   * `sagentBreakerBoard` workflow, which your workflows file exports next to `agentSaga`) and applies operators'
   * overrides from it every 2 s. Only workers whose agents declare a breaker take part.
   * @default true
   */
  breakerBoard?: boolean;
  /**
   * Prometheus metrics per model and per tool (calls, errors by type, latency, tokens, cost, retries, fallbacks, runs
   * paused, and this worker's breakers' state): a `new SagentMetrics()`, served with `serveMetrics`. @default none
   */
  metrics?: SagentMetrics;
  /**
   * Price rows (USD per million tokens, and the context window) that replace or add to the built-in table, by
   * model id, so a new model or a new price needs no release. `SAGENT_PRICING` (inline JSON or the path of a JSON
   * file of the same shape) applies first; these rows win over it. @default none
   */
  pricing?: Readonly<Record<string, ModelPrice>>;
  /**
   * The Worker Deployment Version this worker polls as: with it, each agent's runs stay on the build they started on
   * (or move on, as the agent's `versioning` declares), and a new build takes new runs only once it is made current
   * (`temporal worker deployment set-current-version`). Without it the worker is unversioned: every run replays on
   * whatever code polls, so a change under a waiting run must be replay-safe. See docs/DEPLOY.md.
   * @default unversioned
   */
  deployment?: SagentDeployment;
  /**
   * Runs this worker keeps in its sticky cache when its own `maxCachedWorkflows` is not set. A cached run waiting for
   * a person costs the worker a few hundred KB once the workflows file is shared (`shareWorkflows`; measured by
   * `npm run bench:fleet`), several times that without it, so the SDK's default (~600 per GiB of heap) would let a
   * fleet of waiting runs grow the worker past its memory; beyond this many, the least recently used run is evicted
   * and replayed when its next event comes (a decision, a timer), which costs a short replay.
   * @default DEFAULT_MAX_CACHED_RUNS (500)
   */
  maxCachedRuns?: number;
  /**
   * Whether the worker's bundle preloads your workflows file (and the agent definitions it imports), so that every
   * run shares one copy of them instead of evaluating its own: with sagent's code preloaded as well, a cached run
   * waiting for a person costs little more than a bare waiting workflow (`npm run bench:fleet`). The SDK then
   * freezes what that file exports and runs share its module-level state, so keep it stateless (a file that exports
   * `createAgentSaga(agents)` and definitions made with `defineAgent`/`defineTool` is); set `false` when it holds
   * state a run changes. Applies when the worker bundles `workflowsPath`; a prebuilt bundle adds the file to its
   * `preloadModules` itself (`sagentPreloadModules`).
   * @default true
   */
  shareWorkflows?: boolean;
}

/** The sticky cache of a sagent worker, in runs; beyond it the least recently used run is evicted and replays on its next event. */
export const DEFAULT_MAX_CACHED_RUNS = 500;

/** A build of your worker as a Worker Deployment Version. */
export interface SagentDeployment {
  /** The Worker Deployment: one per fleet of workers that run the same agents. @default 'sagent' */
  name?: string;
  /** This build, e.g. a git commit or a release number; a new build id for every change of agent or workflow code. */
  buildId: string;
}

/**
 * The deployment a worker process is configured for: SAGENT_BUILD_ID (the build) and SAGENT_DEPLOYMENT (its Worker
 * Deployment, default `sagent`); undefined, an unversioned worker, without a build id.
 */
export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env): SagentDeployment | undefined {
  const buildId = env.SAGENT_BUILD_ID?.trim();
  if (!buildId) {
    if (env.SAGENT_DEPLOYMENT?.trim())
      throw new Error(
        'SAGENT_DEPLOYMENT is set but SAGENT_BUILD_ID is not: set the build id of this worker (e.g. a git commit), or unset both for an unversioned worker',
      );
    return undefined;
  }
  return { name: env.SAGENT_DEPLOYMENT?.trim() || DEFAULT_DEPLOYMENT_NAME, buildId };
}

/** Worker options that make a worker poll as `deployment`'s version, agent runs pinned unless their agent says otherwise. */
export function deploymentOptions(deployment: SagentDeployment): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const deploymentName = deployment.name ?? DEFAULT_DEPLOYMENT_NAME;
  const buildId = deployment.buildId;
  // Temporal names a version `<name>.<build id>` or `<name>:<build id>`, so neither separator may sit in the name.
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(deploymentName))
    throw new Error(`the deployment name "${deploymentName}" is not valid: use letters, digits, "-" and "_" (at most 200)`);
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(buildId)) throw new Error(`the build id "${buildId}" is not valid: use letters, digits, ".", "-" and "_" (at most 200)`);
  return { workerDeploymentOptions: { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' } };
}

/**
 * The modules every run shares: the stateless libraries sagent's workflow code imports, and that code itself (the
 * `sagent/workflow` entry). A reusable workflow context evaluates every other module once per run, so each run would
 * build its own copy of sagent's loop, its policies and their schemas (~2 MB a run); preloaded, they are evaluated
 * once per context and shared (the SDK freezes what they export; see `shared/settle.ts`). `SagentPlugin` adds them,
 * and the workflows file, when the worker bundles; build a bundle yourself with {@link sagentBundleOptions}.
 */
export const SAGENT_PRELOAD_MODULES: readonly string[] = [
  require.resolve('./workflow'),
  'zod',
  'ajv',
  'ajv/dist/2019',
  'ajv/dist/2020',
  'ajv-formats',
  '@noble/curves/ed25519',
  '@noble/hashes/sha256',
  '@noble/hashes/utils',
  'canonicalize',
];

/**
 * What a bundle built by hand preloads so that runs share as much as `SagentPlugin`'s own bundle: sagent's modules
 * ({@link SAGENT_PRELOAD_MODULES}) and your workflows file, which must then be stateless (see `shareWorkflows`).
 */
export function sagentPreloadModules(workflowsPath: string): string[] {
  return [...SAGENT_PRELOAD_MODULES, workflowsPath];
}

/**
 * The language level the bundler compiles TypeScript workflow code to. The SDK's bundler compiles `.ts` files to
 * ES2017, which rewrites every object spread, optional chain and async generator into helper calls; sagent's own
 * package is compiled to ES2022 (what Node 18 and later run natively), and workflow code compiled from TypeScript now
 * runs the same native forms.
 */
export const WORKFLOW_CODE_TARGET = 'es2022';

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * Raises the bundler's TypeScript rule to {@link WORKFLOW_CODE_TARGET}, then applies `next` (your own hook) if any. A
 * bundler whose rules have another shape is left as it is.
 */
export function sagentWebpackConfigHook(next?: BundleOptions['webpackConfigHook']): (config: WebpackConfig) => WebpackConfig {
  return (config) => {
    for (const rule of config.module?.rules ?? []) {
      if (!rule || typeof rule !== 'object' || !('use' in rule)) continue;
      const use = rule.use as { loader?: unknown; options?: { jsc?: { target?: string } } } | undefined;
      if (use && typeof use === 'object' && !Array.isArray(use) && String(use.loader).includes('swc-loader') && use.options?.jsc) {
        use.options.jsc.target = WORKFLOW_CODE_TARGET;
      }
    }
    return next ? next(config) : config;
  };
}

/**
 * The bundle options that give a bundle you build yourself what `SagentPlugin`'s own has: runs share sagent's modules
 * and your (stateless) workflows file, and TypeScript workflow code is compiled to {@link WORKFLOW_CODE_TARGET}.
 *
 * ```ts
 * const bundle = await bundleWorkflowCode(sagentBundleOptions(require.resolve('./workflows')));
 * ```
 */
export function sagentBundleOptions(workflowsPath: string): Pick<BundleOptions, 'workflowsPath' | 'preloadModules' | 'webpackConfigHook'> {
  return { workflowsPath, preloadModules: sagentPreloadModules(workflowsPath), webpackConfigHook: sagentWebpackConfigHook() };
}

/** Adds sagent's activities to a worker, next to any of its own; checks every agent's implementations first. */
export class SagentPlugin extends SimplePlugin {
  /** The contexts this worker's workflows handed over; undefined with `contextCache: false`. */
  readonly contexts: ContextCache | undefined;
  /** The version this worker polls as; undefined for an unversioned worker. */
  readonly deployment: SagentDeployment | undefined;
  private readonly metrics: SagentMetrics | undefined;

  /** The circuit breakers this worker's runs share. */
  readonly breakers: WorkerBreakers;
  private readonly fleet: { worker?: WorkerOptions };
  private readonly maxCachedRuns: number;
  private readonly shareWorkflows: boolean;

  constructor(options: SagentPluginOptions) {
    if (options.deployment) deploymentOptions(options.deployment);
    const maxCachedRuns = options.maxCachedRuns ?? DEFAULT_MAX_CACHED_RUNS;
    if (!Number.isInteger(maxCachedRuns) || maxCachedRuns < 2)
      throw new Error(`maxCachedRuns: a whole number of runs, at least 2, got ${String(options.maxCachedRuns)}`);
    const mcp = options.mcpServers?.length ? new McpServers(options.mcpServers) : undefined;
    const contexts = options.contextCache === false ? undefined : new ContextCache(options.contextCache?.maxRuns ?? DEFAULT_CONTEXT_CACHE_RUNS);
    const breakers = new WorkerBreakers();
    breakers.declare(options.agents.flatMap(({ agent }) => agent.tools));
    // The metrics' breaker gauge reads this worker's breakers on every scrape.
    options.metrics?.registerBreakerGauge(() => breakers.snapshot());
    const activities = sagentActivities(options, mcp, contexts, breakers);
    const dataConverter = options.dataConverter ?? codecDataConverter();
    // Filled in when the worker is configured: the board is reached over the worker's own connection.
    const fleet: { worker?: WorkerOptions } = {};
    const declaresBreakers = options.agents.some(({ agent }) => agent.tools.some((tool) => tool.breaker));
    const joinFleet = options.breakerBoard !== false && declaresBreakers;
    super({
      name: 'sagent',
      activities: (existing) => ({ ...(existing as object | undefined), ...activities }),
      dataConverter,
      // The stdio servers start with the worker and stop with it; so does the link to the breaker board.
      runContext: async (next: () => Promise<void>) => {
        const sync = joinFleet && fleet.worker ? breakerSync(fleet.worker, dataConverter, breakers) : undefined;
        sync?.start();
        try {
          await (mcp ? withMcpServers(mcp, next) : next());
        } finally {
          await sync?.stop();
          breakers.close();
        }
      },
    });
    this.contexts = contexts;
    this.deployment = options.deployment;
    this.metrics = options.metrics;
    this.breakers = breakers;
    this.fleet = fleet;
    this.maxCachedRuns = maxCachedRuns;
    this.shareWorkflows = options.shareWorkflows ?? true;
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const cache = options.maxCachedWorkflows === undefined ? { maxCachedWorkflows: this.maxCachedRuns } : {};
    const configured = this.withContextSink(super.configureWorker({ ...options, ...cache }));
    const versioned = this.deployment && !configured.workerDeploymentOptions ? { ...configured, ...deploymentOptions(this.deployment) } : configured;
    this.fleet.worker = versioned;
    const { metrics } = this;
    // The run's principal and tenant on every log line of its activities.
    const activity = [
      ...(versioned.interceptors?.activity ?? []),
      identityLogInterceptors,
      ...(metrics ? [(ctx: Context) => ({ inbound: metrics.activityInterceptor(ctx) })] : []),
    ];
    return { ...versioned, interceptors: { ...versioned.interceptors, activity } };
  }

  override configureBundler(options: BundleOptions): BundleOptions {
    const configured = super.configureBundler(options);
    const shared = this.shareWorkflows ? sagentPreloadModules(configured.workflowsPath) : SAGENT_PRELOAD_MODULES;
    return {
      ...configured,
      preloadModules: [...new Set([...(configured.preloadModules ?? []), ...shared])],
      webpackConfigHook: sagentWebpackConfigHook(configured.webpackConfigHook),
    };
  }

  /** A replaying worker never runs the sink, but knows it, so a last live activation logs no unknown sink. */
  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return this.withContextSink(super.configureReplayWorker(options));
  }

  private withContextSink<Options extends Pick<WorkerOptions, 'sinks'>>(configured: Options): Options {
    // The metrics sink is always known, so a workflow reporting to it never logs an unknown sink.
    const metricsSinks = this.metrics?.sinks() ?? { sagentMetrics: { runPaused: { fn: () => undefined }, fallback: { fn: () => undefined } } };
    const sinks = { ...configured.sinks, ...metricsSinks };
    if (!this.contexts) return { ...configured, sinks };
    return { ...configured, sinks: { ...sinks, sagentContext: this.contexts.sink() } };
  }
}

function breakerSync(worker: WorkerOptions, dataConverter: DataConverter | undefined, breakers: WorkerBreakers): BreakerSync | undefined {
  if (!worker.connection) return undefined;
  const client = new Client({ connection: worker.connection, namespace: worker.namespace ?? DEFAULT_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
  return new BreakerSync({ client, taskQueue: worker.taskQueue, breakers });
}

async function withMcpServers(mcp: McpServers, next: () => Promise<void>): Promise<void> {
  await mcp.warmUp();
  try {
    await next();
  } finally {
    await mcp.close();
  }
}

/**
 * sagent's activities for `options.agents`; throws one line per agent whose tools and implementations disagree, or
 * that names an MCP server the worker does not configure. `mcp` shares the plugin's connections, `contexts` its
 * context cache (without it, every model call queries its workflow).
 */
export function sagentActivities(options: SagentPluginOptions, mcp?: McpServers, contexts?: ContextCache, breakers?: WorkerBreakers) {
  const agents = agentRegistry(options.agents.map((entry) => entry.agent));
  const tools: Record<string, ToolImplementations> = {};
  const servers = mcp ?? (options.mcpServers?.length ? new McpServers(options.mcpServers) : undefined);
  for (const { agent, tools: implementations } of options.agents) {
    assertImplementations(agent, implementations);
    const missing = (agent.mcpServers ?? []).filter((name) => !servers?.names.includes(name));
    if (missing.length > 0) throw new Error(`agent "${agent.name}": no MCP server ${missing.join(', ')} in this worker's mcpServers`);
    tools[agent.name] = implementations;
  }
  return createActivities({
    anthropic: options.anthropic ?? createAnthropicClient(),
    agents,
    tools,
    webhookUrl: options.approvalWebhookUrl ?? process.env.SAGENT_APPROVAL_WEBHOOK,
    access: options.access,
    ...(options.autoVerdict ? { autoVerdict: options.autoVerdict } : {}),
    ...(options.autoVerdictTimeoutMs !== undefined ? { autoVerdictTimeoutMs: options.autoVerdictTimeoutMs } : {}),
    ...(options.autoVerdictAgents ? { autoVerdictAgents: options.autoVerdictAgents } : {}),
    modelTimeouts: options.modelTimeouts,
    ...(options.liveFeed !== undefined ? { liveFeed: options.liveFeed } : {}),
    pricing: new Pricing({ ...pricingOverridesFromEnv(), ...options.pricing }),
    mcp: servers,
    contexts,
    breakers,
  });
}

/**
 * Throws one error naming every problem: a declared tool without an implementation (control tools such
 * as `abort` need none), a tool declaring a compensation whose implementation cannot compensate, and an
 * implementation of a tool the agent does not declare (a typo would otherwise go unnoticed).
 */
export function assertImplementations(agent: AgentDefinition, implementations: ToolImplementations): void {
  const problems: string[] = [];
  for (const tool of agent.tools) {
    // Control tools (`abort`) and delegations run in the workflow, with no implementation of their own.
    if (tool.control || tool.delegate) continue;
    const implementation = implementations[tool.name];
    if (!implementation) {
      problems.push(`tool "${tool.name}" has no implementation`);
    } else if (tool.compensation && typeof implementation.compensate !== 'function') {
      problems.push(`tool "${tool.name}" declares compensation "${tool.compensation}" but its implementation has no compensate()`);
    } else if (tool.reconcile === 'check' && typeof implementation.check !== 'function') {
      problems.push(`tool "${tool.name}" declares reconcile: 'check' but its implementation has no check()`);
    }
  }
  for (const name of Object.keys(implementations)) {
    if (!agent.toolsByName[name]) problems.push(`implementation "${name}" matches no tool the agent declares`);
  }
  if (problems.length > 0) throw new Error(`agent "${agent.name}": ${problems.join('; ')}`);
}

/** What `createSagentWorker` takes: the plugin's options, and where the worker polls and what workflow code it runs. */
export interface SagentWorkerOptions extends SagentPluginOptions {
  /** The worker's connection to Temporal (`connectWorkerConnection` opens one). */
  connection: NativeConnection;
  /** @default process.env.TEMPORAL_NAMESPACE ?? 'default' */
  namespace?: string;
  /** @default process.env.SAGENT_TASK_QUEUE ?? 'sagent' */
  taskQueue?: string;
  /** Your workflows file: it exports `agentSaga = createAgentSaga(agents)`. One of this or `workflowBundle`. @default none: then `workflowBundle` is needed */
  workflowsPath?: string;
  /** A prebuilt workflow bundle (tests and benchmarks build it once); wins over `workflowsPath`. @default none: then `workflowsPath` is needed */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (interceptors, concurrency, more plugins); its `plugins` run after sagent's. @default {} */
  overrides?: Partial<WorkerOptions>;
}

/** A Temporal worker running sagent's workflow and activities for your agents. */
export async function createSagentWorker(options: SagentWorkerOptions): Promise<Worker> {
  if (!options.workflowsPath && !options.workflowBundle) {
    throw new Error('createSagentWorker needs `workflowsPath` (a file exporting `agentSaga = createAgentSaga(agents)`) or `workflowBundle`');
  }
  const { overrides = {} } = options;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? process.env.SAGENT_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: options.workflowsPath }),
    ...overrides,
    plugins: [new SagentPlugin(options), ...(overrides.plugins ?? [])],
  });
}

/** What `createModelCallWorker` takes: the worker's options, its model queue and the fleet's rate on it. */
export interface ModelCallWorkerOptions extends Omit<SagentWorkerOptions, 'taskQueue' | 'workflowsPath' | 'workflowBundle'> {
  /** The queue runs name in their input's `modelTaskQueue`. */
  modelTaskQueue: string;
  /**
   * Model calls a second on this queue, across every worker that polls it: the Temporal server enforces it
   * (`maxTaskQueueActivitiesPerSecond`), so it holds however many workers run. Bursts can pass it within a minute
   * (measured: 63 calls in the busiest minute at 56/60 a second); for a hard cap of N calls in any minute set the
   * queue's rate on the server to `(N - 4) / 60` (`temporal task-queue config set --queue-rps-limit`; measured: 60 at
   * most), which `tokensPerMinute` also uses.
   */
  requestsPerSecond: number;
  /**
   * Tokens a minute (input, cache writes and output) across every worker of this queue: each worker measures its calls'
   * reported usage and sets the queue's rate on the Temporal server (`UpdateTaskQueueConfig`) to `tokensPerMinute / 60 /
   * the largest call of the last minute`, never above `requestsPerSecond` (see `models/token-limit.ts`). A number, or
   * the limit with `initialTokensPerCall` (assumed before any call reported, default 4000) and `adjustEveryMs`
   * (default 5000). @default no token limit
   */
  tokensPerMinute?: number | Omit<TokenLimit, 'requestsPerSecond'>;
}

/**
 * A worker for model calls only, on a queue of their own, rate-limited by the Temporal server across all its workers.
 * Runs send their model calls there when their input names it (`modelTaskQueue`); a call waiting for its turn is an
 * activity scheduled and not yet started, as the Temporal UI shows it.
 */
export async function createModelCallWorker(options: ModelCallWorkerOptions): Promise<Worker> {
  if (!(options.requestsPerSecond > 0)) throw new Error(`requestsPerSecond: a positive number of model calls a second, got ${options.requestsPerSecond}`);
  const { overrides = {}, tokensPerMinute } = options;
  const namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
  const tokens =
    tokensPerMinute === undefined ? [] : [tokenLimitPlugin(options, namespace, typeof tokensPerMinute === 'number' ? { tokensPerMinute } : tokensPerMinute)];
  return Worker.create({
    connection: options.connection,
    namespace,
    taskQueue: options.modelTaskQueue,
    maxTaskQueueActivitiesPerSecond: options.requestsPerSecond,
    ...overrides,
    plugins: [new SagentPlugin({ ...options, contextCache: false }), ...tokens, ...(overrides.plugins ?? [])],
  });
}

/** Measures the model calls' tokens and keeps the model queue's server-side rate under the tokens-per-minute limit. */
function tokenLimitPlugin(options: ModelCallWorkerOptions, namespace: string, limit: Omit<TokenLimit, 'requestsPerSecond'>): SimplePlugin {
  const governor = new TokenRateGovernor(
    { ...limit, requestsPerSecond: options.requestsPerSecond },
    queueRateSetter(options.connection, namespace, options.modelTaskQueue),
  );
  const measure = (ctx: Context): ActivityInboundCallsInterceptor => ({
    async execute(input, next) {
      const result = await next(input);
      if (ctx.info.activityType === 'callModel') governor.record((result as ModelTurn).usage);
      return result;
    },
  });
  return new SimplePlugin({
    name: 'sagent-token-limit',
    workerInterceptors: (existing) => ({ ...existing, activity: [...(existing?.activity ?? []), (ctx: Context) => ({ inbound: measure(ctx) })] }),
    runContext: async (next) => {
      governor.start((err) => console.warn(`sagent: could not set the rate of ${options.modelTaskQueue}: ${String(err)}`));
      try {
        await next();
      } finally {
        await governor.stop();
      }
    },
  });
}
