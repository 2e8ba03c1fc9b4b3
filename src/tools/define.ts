/**
 * The tool framework. A tool is declared once, sandbox-safe, with everything the loop and the policies
 * need to know about it; the loop never branches on a tool's name, only on these declarations.
 */
import { z } from 'zod';
import { assertSecretPaths } from '../policies/secrets';
import type { BudgetLimits } from '../shared/run';
import type { McpBinding } from '../shared/mcp';

/**
 * How much a tool can change the world.
 * - `read`: changes nothing; runs in parallel with other reads.
 * - `reversible`: changes the world and declares a compensation that undoes it.
 * - `privileged`: needs a human approval; may declare a compensation (a charge is undone by a refund).
 * - `irreversible`: needs a human approval and cannot be undone (an email once sent).
 */
export type ToolRisk = 'read' | 'reversible' | 'privileged' | 'irreversible';

/** Built-in behaviour a tool can declare instead of running an activity. */
export type ToolControl = 'abort_saga';

export interface ToolSpec<I = unknown> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  risk: ToolRisk;
  /** What undoes this tool, named for the ledger and the UI (e.g. `cancel_flight`). Required for `reversible`. */
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
  /** Turns the raw result into what Claude sees (drop internals, keep what the next step needs). */
  project?: (output: unknown) => unknown;
  /** Send `strict: true` with the tool's schema (needs an API version that supports strict tools). @default false */
  strict?: boolean;
  control?: ToolControl;
  /** Fields of the input or output (names or dotted paths, e.g. `card`, `payer.email`) masked wherever runs are shown. */
  secret?: readonly string[];
  /** The call runs another agent as a child workflow instead of an activity (see {@link DelegateSpec}). */
  delegate?: ToolDelegation;
  /** What activity summaries and the timeline call the tool (e.g. `mcp memory.create_entities`). @default name */
  label?: string;
  /** Set by sagent for a tool an MCP server offers: the worker runs it on that server, not by an implementation. */
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

export type ToolDefinition<I = unknown> = Readonly<
  Required<Pick<ToolSpec<I>, 'name' | 'description' | 'input' | 'risk' | 'critical' | 'timeoutMs' | 'maxAttempts' | 'maxResultBytes' | 'maxInputBytes' | 'strict'>> &
    Pick<ToolSpec<I>, 'compensation' | 'project' | 'control' | 'secret' | 'delegate' | 'label' | 'mcp' | 'reconcile' | 'repeatable'>
>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Declares a tool; throws at load time when the declaration contradicts itself. */
export function defineTool<I>(spec: ToolSpec<I>): ToolDefinition<I> {
  if (!TOOL_NAME.test(spec.name)) {
    throw new Error(`tool name "${spec.name}" must match ${TOOL_NAME} (the Messages API's rule)`);
  }
  if (spec.risk === 'reversible' && !spec.compensation) {
    throw new Error(`tool "${spec.name}" is reversible but declares no compensation`);
  }
  if (spec.risk === 'irreversible' && spec.compensation) {
    throw new Error(`tool "${spec.name}" is irreversible and cannot declare a compensation`);
  }
  if (spec.risk === 'read' && spec.compensation) {
    throw new Error(`tool "${spec.name}" only reads and needs no compensation`);
  }
  if (spec.risk === 'read' && (spec.reconcile !== undefined || spec.repeatable !== undefined)) {
    throw new Error(`tool "${spec.name}" only reads: reconcile and repeatable apply to tools that change the world`);
  }
  assertSecretPaths(spec.name, spec.secret);
  return Object.freeze({
    critical: false,
    timeoutMs: 30_000,
    maxAttempts: 5,
    maxResultBytes: 8192,
    maxInputBytes: 16_384,
    strict: false,
    ...(Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined)) as ToolSpec<I>),
  });
}

/** Whether a tool's effect can be undone by a declared compensation. */
export function isCompensable(tool: ToolDefinition): boolean {
  return tool.compensation !== undefined;
}

/** How an unknown outcome of this tool's effect is learned. */
export function reconcileOf(tool: ToolDefinition): ToolReconcile {
  return tool.reconcile ?? 'retry';
}

/** Whether a tool changes the world (and so runs alone, in Claude's order, with an effect id). */
export function changesWorld(tool: ToolDefinition): boolean {
  return tool.risk !== 'read';
}

export interface AgentSpec {
  name: string;
  description: string;
  /** The system prompt. Policy never lives here: no prompt text can skip an approval. */
  system: string;
  tools: ToolDefinition<any>[];
  /** Agents this one may delegate to; each becomes a `delegate_<agent>` tool. */
  delegates?: DelegateSpec[];
  /**
   * MCP servers whose tools the agent offers next to its own, by the names the worker's `mcpServers` give them.
   * The run lists their tools once, at its start, and keeps that list to its end.
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
}

/** How an agent's runs move between builds of a versioned worker; see {@link AgentSpec.versioning}. */
export type AgentVersioning = 'pinned' | 'upgrade-on-continue-as-new' | 'auto-upgrade';

/** The accepted {@link AgentVersioning} values. */
export const AGENT_VERSIONING: readonly AgentVersioning[] = ['pinned', 'upgrade-on-continue-as-new', 'auto-upgrade'];

/** How an agent thinks (`AgentSpec.thinking`). */
export type AgentThinking = { budgetTokens: number } | 'adaptive';

export interface AgentDefinition extends AgentSpec {
  /** The agent's tools by name, the built-in `abort` tool included. */
  toolsByName: Readonly<Record<string, ToolDefinition<any>>>;
}

/** The tool every agent has: Claude ends the saga, and every started effect is undone. */
export const abortTool: ToolDefinition<{ reason: string }> = defineTool({
  name: 'abort',
  description:
    'Give up on the task and undo everything done so far. Use it when the task cannot be completed ' +
    '(for example a payment was declined and there is no alternative). Give the reason.',
  input: z.object({ reason: z.string().min(1).max(2000).describe('Why the task cannot be completed, for the user and the audit trail') }),
  risk: 'read',
  control: 'abort_saga',
});

/** Declares an agent: its prompt and tools. Sandbox-safe; the tools' implementations live on the worker. */
export function defineAgent(spec: AgentSpec): AgentDefinition {
  if (spec.output !== undefined && typeof (spec.output as { safeParse?: unknown }).safeParse !== 'function') {
    throw new Error(`agent "${spec.name}": output must be a zod schema, such as z.object({ ... })`);
  }
  if (spec.outputAttempts !== undefined && !(Number.isInteger(spec.outputAttempts) && spec.outputAttempts >= 1 && spec.outputAttempts <= 10)) {
    throw new Error(`agent "${spec.name}": outputAttempts must be a whole number from 1 to 10, got ${JSON.stringify(spec.outputAttempts)}`);
  }
  const thinking = spec.thinking as unknown;
  if (thinking !== undefined && thinking !== 'adaptive') {
    const budget = (thinking as { budgetTokens?: unknown } | null)?.budgetTokens;
    if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024) {
      throw new Error(`agent "${spec.name}": thinking must be 'adaptive' or { budgetTokens: n } with a whole n of at least 1024, got ${JSON.stringify(thinking)}`);
    }
  }
  if (spec.cacheTtl !== undefined && spec.cacheTtl !== '5m' && spec.cacheTtl !== '1h') {
    throw new Error(`agent "${spec.name}": cacheTtl must be '5m' or '1h', got ${JSON.stringify(spec.cacheTtl)}`);
  }
  if (spec.versioning !== undefined && !AGENT_VERSIONING.includes(spec.versioning)) {
    throw new Error(`agent "${spec.name}": versioning must be one of ${AGENT_VERSIONING.map((value) => `'${value}'`).join(', ')}, not ${JSON.stringify(spec.versioning)}`);
  }
  // No prototype: a tool called "constructor" must not find Object's.
  const toolsByName: Record<string, ToolDefinition<any>> = Object.create(null);
  for (const tool of [...spec.tools, ...(spec.delegates ?? []).map(delegateTool), abortTool]) {
    if (toolsByName[tool.name]) throw new Error(`agent "${spec.name}" declares tool "${tool.name}" twice`);
    toolsByName[tool.name] = tool;
  }
  return Object.freeze({ ...spec, tools: Object.values(toolsByName), toolsByName });
}

/** Agents by name, as the workflow and the worker look them up. */
export type AgentRegistry = Readonly<Record<string, AgentDefinition>>;

/** Agents by name; throws when two share a name. */
export function agentRegistry(agents: readonly AgentDefinition[]): AgentRegistry {
  const byName: Record<string, AgentDefinition> = Object.create(null);
  for (const agent of agents) {
    if (byName[agent.name]) throw new Error(`two agents are named "${agent.name}": agent names must be unique`);
    byName[agent.name] = agent;
  }
  for (const agent of agents) {
    for (const { agent: delegate } of agent.delegates ?? []) {
      if (!byName[delegate]) throw new Error(`agent "${agent.name}" delegates to "${delegate}", which is not among the agents`);
    }
  }
  return Object.freeze(byName);
}

/** The tool through which Claude hands a task to a sub-agent; the loop reads its `delegate` declaration. */
export function delegateTool(spec: DelegateSpec): ToolDefinition<{ task: string }> {
  return defineTool({
    name: `delegate_${spec.agent}`,
    description: `${spec.description} Give the sub-agent a complete task: it sees nothing of this conversation. Returns its final answer.`,
    input: z.object({ task: z.string().trim().min(1).max(20_000).describe('Everything the sub-agent needs to do its part, in plain words') }),
    // Its effects change the world and are undone with the parent's saga: the child's own compensations.
    risk: 'reversible',
    compensation: `roll back ${spec.agent}`,
    critical: spec.critical ?? false,
    timeoutMs: spec.timeoutMs ?? 60 * 60 * 1000,
    maxAttempts: 1,
    delegate: { agent: spec.agent, ...(spec.budget ? { budget: spec.budget } : {}) },
  });
}
