/**
 * What a tool and an agent declare: the shapes the loop, the policies and the worker read. Types only, so every
 * layer may name them; `defineTool` and `defineAgent` (in `tools/define`) build and check them.
 */
import type { z } from 'zod';
import type { BudgetLimits } from './run';
import type { McpBinding } from './mcp';
import type { ToolRisk } from './tool-risk';
import type { AgentPolicy } from './policy';

export type { ToolRisk } from './tool-risk';

/** Built-in behaviour a tool can declare instead of running an activity. */
export type ToolControl = 'abort_saga';

/** What `defineTool` takes: a tool's name, its input schema, its risk, and how it is run, undone and shown. */
export interface ToolSpec<I = unknown> {
  /** The name Claude calls the tool by (the Messages API's rule: letters, digits, `_` and `-`, at most 64). */
  name: string;
  /** What Claude reads to decide when to call the tool. */
  description: string;
  /** The zod schema every call's arguments are validated against before anything runs. */
  input: z.ZodType<I>;
  /** How much the call can change the world; the approval policy and the saga read it. */
  risk: ToolRisk;
  /** What undoes this tool, named for the ledger and the UI (e.g. `cancel_flight`). Required for `reversible`. @default none */
  compensation?: string;
  /** A non-retryable failure of a critical tool ends the saga instead of going back to Claude. @default false */
  critical?: boolean;
  /** Start-to-close timeout of one attempt. @default 30_000 */
  timeoutMs?: number;
  /** Attempts before the failure is final (Temporal retries with backoff). @default 5 */
  maxAttempts?: number;
  /** Bytes of the projected result Claude sees; the rest is cut with a marker. @default 8192 */
  maxResultBytes?: number;
  /** Bytes of the JSON arguments accepted; larger calls are refused before anything runs. @default 16384 */
  maxInputBytes?: number;
  /** Turns the raw result into what Claude sees (drop internals, keep what the next step needs). @default the raw result */
  project?: (output: unknown) => unknown;
  /** Send `strict: true` with the tool's schema (needs an API version that supports strict tools). @default false */
  strict?: boolean;
  /** Built-in behaviour the loop runs instead of an activity (the `abort` tool's). @default none */
  control?: ToolControl;
  /** Fields of the input or output (names or dotted paths, e.g. `card`, `payer.email`) masked wherever runs are shown. @default [] */
  secret?: readonly string[];
  /** The call runs another agent as a child workflow instead of an activity (see {@link DelegateSpec}). @default none */
  delegate?: ToolDelegation;
  /** What activity summaries and the timeline call the tool (e.g. `mcp memory.create_entities`). @default name */
  label?: string;
  /** Set by sagent for a tool an MCP server offers: the worker runs it on that server, not by an implementation. @default none */
  mcp?: McpBinding;
  /**
   * How a state-changing call whose outcome is unknown (its response lost) is resolved before the run completes:
   * - `retry`: the call again with the same idempotency key; the service answers from its store;
   * - `check`: the implementation's `check(input, ctx)` asks the service whether the effect landed;
   * - `none`: the tool cannot say, so the run rolls back rather than complete on a guess.
   * @default 'retry'
   */
  reconcile?: ToolReconcile;
  /** An identical call (same input) may legitimately run again, e.g. "add one item"; otherwise it is answered from the first. @default false */
  repeatable?: boolean;
  /**
   * A circuit breaker shared by every run on a worker (and steered for the whole fleet by `sagent breaker`): while
   * it is open, calls fail at once without reaching the service, and Claude is told `service_unavailable` with when
   * to retry. Compensations never go through it. @default none
   */
  breaker?: ToolBreakerSpec;
  /**
   * The tool's output comes from outside (a web page, an e-mail, a document): Claude reads it fenced as data, and
   * once the run has read it every state-changing call that follows waits for a person (see `AgentPolicy`).
   * @default false for native tools, true for MCP tools
   */
  untrusted?: boolean;
}

/** A tool's circuit breaker (`ToolSpec.breaker`). */
export interface ToolBreakerSpec {
  /** The service the tool calls: tools that name the same service share one breaker. @default the tool's name */
  service?: string;
  /** Share of the calls in the window that must fail (retries count) to open it, above 0 and below 1. @default 0.5 */
  threshold?: number;
  /** The window the failures are counted over. @default 10_000 */
  windowMs?: number;
  /** Calls within the window before it may open at all, so a quiet tool is not tripped by one failure. @default 5 */
  minimumCalls?: number;
  /** How long it stays open before it lets one probe through (half-open). @default 30_000 */
  halfOpenAfterMs?: number;
}

/** What a delegating tool runs: the sub-agent, and the slice of the parent's budget it may spend. */
export interface ToolDelegation {
  agent: string;
  /** Limits of the child run; each is capped by what the parent has left. @default the parent's remaining budget */
  budget?: Partial<BudgetLimits>;
}

/**
 * A sub-agent an agent may delegate to. It becomes the tool `delegate_<agent>` whose input is `{ task }`; a call
 * runs the agent as a child workflow with its own loop, ledger, approvals and timeline, and its final text is the
 * result. Its effects become one step of the parent's saga: undone, in the child's own reverse order, when the
 * parent rolls back.
 */
export interface DelegateSpec {
  /** The sub-agent's name, as registered with the same workflow. */
  agent: string;
  /** What Claude reads to decide when to delegate, and what task to give. */
  description: string;
  /** A child that fails and rolls itself back ends the parent's saga too, instead of coming back as a tool error. @default false */
  critical?: boolean;
  /** The child's slice of the parent's budget; capped by what the parent has left. @default the parent's remaining budget */
  budget?: Partial<BudgetLimits>;
  /** Wall clock the child may take, as the call's timeout. @default 1 hour */
  timeoutMs?: number;
}

/** How an unknown outcome of a tool's effect is learned (`ToolSpec.reconcile`). */
export type ToolReconcile = 'retry' | 'check' | 'none';

/** A declared tool, as `defineTool` returns it: the spec with every default filled in, frozen. */
export type ToolDefinition<I = unknown> = Readonly<
  Required<
    Pick<ToolSpec<I>, 'name' | 'description' | 'input' | 'risk' | 'critical' | 'timeoutMs' | 'maxAttempts' | 'maxResultBytes' | 'maxInputBytes' | 'strict'>
  > &
    Pick<ToolSpec<I>, 'compensation' | 'project' | 'control' | 'secret' | 'delegate' | 'label' | 'mcp' | 'reconcile' | 'repeatable' | 'breaker' | 'untrusted'>
>;

/** What `defineAgent` takes: an agent's name, prompt and tools, and how its runs think, answer and move between builds. */
export interface AgentSpec {
  /** The name runs start the agent by (`AgentRunInput.agent`, `sagent start --agent`). */
  name: string;
  /** What the agent does, for people and for a parent agent that delegates to it. */
  description: string;
  /** The system prompt. Policy never lives here: no prompt text can skip an approval. */
  system: string;
  /** The tools Claude may call; the built-in `abort` tool is added to them. */
  tools: ToolDefinition<any>[];
  /** Agents this one may delegate to; each becomes a `delegate_<agent>` tool. @default [] */
  delegates?: DelegateSpec[];
  /**
   * MCP servers whose tools the agent offers next to its own, by the names the worker's `mcpServers` give them.
   * The run lists their tools once, at its start, and keeps that list to its end. @default []
   */
  mcpServers?: readonly string[];
  /**
   * How long the prompt cache keeps this agent's prefix: `5m` (writes cost 1.25x input) or `1h` (writes cost 2x
   * input, worth it when turns are more than five minutes apart, e.g. waiting on approvals). @default '5m'
   */
  cacheTtl?: '5m' | '1h';
  /**
   * The type of the final answer: Claude is told to answer with JSON matching it, the answer must validate, and the
   * run's outcome carries the parsed value (`RunOutcome.output`, `SagentClient.result`). An answer that does not
   * validate goes back to Claude with the errors. @default none (the answer is free text)
   */
  output?: z.ZodType;
  /** Final answers that may fail to validate before the run ends, rolled back, with the errors as its reason. @default 3 */
  outputAttempts?: number;
  /**
   * Extended thinking, interleaved with tool use: a budget of thinking tokens per turn (at least 1024, added to the
   * turn's max tokens), or `adaptive` for models that decide their own depth (Claude Opus 4.7 accepts only this).
   * Thinking blocks go back to Claude exactly as they came, with their signatures. @default none
   */
  thinking?: AgentThinking;
  /**
   * A conversation agent: after each answer it waits for the next message (`sendMessage`) instead of ending, and ends
   * completed once none comes within `idleTimeoutMs`. Its saga spans the whole conversation: an abort undoes the
   * state-changing steps of every turn. @default none (the run ends with its first answer)
   */
  conversation?: { idleTimeoutMs?: number };
  /**
   * How the agent's runs move between builds on versioned workers (Worker Deployments; without a build id the
   * worker is unversioned and this has no effect):
   * - `'pinned'`: a run finishes on the build it started on, whatever becomes current meanwhile.
   * - `'upgrade-on-continue-as-new'`: pinned, but a continue-as-new starts the next run on the current build; the
   *   carried state is the contract between the two builds.
   * - `'auto-upgrade'`: a waiting run moves to the current build at its next step; only for teams that keep every
   *   change replay-safe with `patched()` and replay the histories of every released build.
   * @default 'pinned'
   */
  versioning?: AgentVersioning;
  /** Models its runs fall back to, in order, when the run's model is overloaded; a run's `fallbackModels` wins. @default [] */
  fallbackModels?: readonly string[];
  /**
   * Who may do what, in code: ordered rules over tool names and arguments (allow, ask, deny), the MCP tools the
   * agent knows, and how untrusted content taints the run. A run's own rules may only tighten these.
   * @default none: each tool's declared risk decides
   */
  policy?: AgentPolicy;
}

/** How an agent's runs move between builds of a versioned worker; see {@link AgentSpec.versioning}. */
export type AgentVersioning = 'pinned' | 'upgrade-on-continue-as-new' | 'auto-upgrade';

/** How an agent thinks (`AgentSpec.thinking`). */
export type AgentThinking = { budgetTokens: number } | 'adaptive';

/** A declared agent, as `defineAgent` returns it: the spec with its delegate tools and `abort` added, frozen. */
export interface AgentDefinition extends AgentSpec {
  /** The agent's tools by name, the built-in `abort` tool included. */
  toolsByName: Readonly<Record<string, ToolDefinition<any>>>;
}

/** Agents by name, as the workflow and the worker look them up. */
export type AgentRegistry = Readonly<Record<string, AgentDefinition>>;
