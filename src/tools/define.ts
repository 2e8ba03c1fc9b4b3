/**
 * The tool framework. A tool is declared once, sandbox-safe, with everything the loop and the policies
 * need to know about it; the loop never branches on a tool's name, only on these declarations.
 */
import { z } from 'zod';
import { assertSecretPaths } from '../policies/secrets';
import { breakerProblem } from '../shared/breakers';
import { shareable } from '../shared/settle';
import { MATCHER_OPS, type AgentPolicy } from '../shared/policy';
import type {
  AgentDefinition,
  AgentRegistry,
  AgentSpec,
  AgentVersioning,
  DelegateSpec,
  ToolDefinition,
  ToolReconcile,
  ToolSpec,
} from '../shared/tool-declarations';

export type {
  AgentDefinition,
  AgentRegistry,
  AgentSpec,
  AgentThinking,
  AgentVersioning,
  DelegateSpec,
  ToolBreakerSpec,
  ToolControl,
  ToolDefinition,
  ToolDelegation,
  ToolReconcile,
  ToolRisk,
  ToolSpec,
} from '../shared/tool-declarations';

/** The accepted {@link AgentVersioning} values. */
export const AGENT_VERSIONING: readonly AgentVersioning[] = ['pinned', 'upgrade-on-continue-as-new', 'auto-upgrade'];

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
  const breaker = spec.breaker ? breakerProblem(spec.name, spec.breaker) : null;
  if (breaker) throw new Error(breaker);
  // A definitions module may be preloaded and shared by every run (`SagentPlugin`'s `shareWorkflows`); so may the
  // schema it exports beside the tool.
  shareable(spec.input);
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
      throw new Error(
        `agent "${spec.name}": thinking must be 'adaptive' or { budgetTokens: n } with a whole n of at least 1024, got ${JSON.stringify(thinking)}`,
      );
    }
  }
  if (spec.cacheTtl !== undefined && spec.cacheTtl !== '5m' && spec.cacheTtl !== '1h') {
    throw new Error(`agent "${spec.name}": cacheTtl must be '5m' or '1h', got ${JSON.stringify(spec.cacheTtl)}`);
  }
  if (spec.versioning !== undefined && !AGENT_VERSIONING.includes(spec.versioning)) {
    throw new Error(
      `agent "${spec.name}": versioning must be one of ${AGENT_VERSIONING.map((value) => `'${value}'`).join(', ')}, not ${JSON.stringify(spec.versioning)}`,
    );
  }
  if (spec.output !== undefined) shareable(spec.output);
  const policyProblem = spec.policy ? agentPolicyProblem(spec.policy) : null;
  if (policyProblem) throw new Error(`agent "${spec.name}": policy ${policyProblem}`);
  // No prototype: a tool called "constructor" must not find Object's.
  const toolsByName: Record<string, ToolDefinition<any>> = Object.create(null);
  for (const tool of [...spec.tools, ...(spec.delegates ?? []).map(delegateTool), abortTool]) {
    if (toolsByName[tool.name]) throw new Error(`agent "${spec.name}" declares tool "${tool.name}" twice`);
    toolsByName[tool.name] = tool;
  }
  return Object.freeze({ ...spec, tools: Object.values(toolsByName), toolsByName });
}

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

/** What is wrong with an agent's policy, in one line; null when nothing. */
function agentPolicyProblem(policy: AgentPolicy): string | null {
  const ids = new Set<string>();
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const at = `rule ${index + 1}${rule.id ? ` (${rule.id})` : ''}`;
    if (!rule.id) return `${at}: give it an id, the audit trail names it`;
    if (ids.has(rule.id)) return `${at}: the id ${rule.id} is taken by an earlier rule`;
    ids.add(rule.id);
    if (!['allow', 'ask', 'deny'].includes(rule.verdict)) return `${at}: verdict must be 'allow', 'ask' or 'deny', not ${JSON.stringify(rule.verdict)}`;
    for (const matcher of rule.when ?? []) {
      if (!MATCHER_OPS.includes(matcher.op)) return `${at}: op must be one of ${MATCHER_OPS.join(', ')}, not ${JSON.stringify(matcher.op)}`;
      if (matcher.op === 'matches') {
        try {
          new RegExp(String(matcher.value));
        } catch {
          return `${at}: ${JSON.stringify(matcher.value)} is not a regular expression`;
        }
      }
    }
    if (rule.where !== undefined && typeof rule.where !== 'function') return `${at}: where must be a function of the input`;
  }
  return null;
}
