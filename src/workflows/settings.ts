/**
 * What a run resolves from its input once, at start: the agent, the tools it offers, and every policy setting.
 * Never carried: the next run resolves the same settings from the same input.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { resolveApprovalSettings } from '../policies/approval';
import { resolveContextSettings } from '../policies/context';
import { resolveModelOutage } from '../policies/model-outage';
import { DEFAULT_WIND_DOWN_AT } from '../policies/wind-down';
import type { RoutingPolicy } from '../policies/routing';
import { DEFAULT_ESCALATION_MODEL, DEFAULT_MODEL } from '../shared/constants';
import { checkRunInput } from '../shared/run-input';
import type { AgentRunInput, ApprovalSettings, CarryLimits, ContextSettings, ModelOutageSettings, ReconcileSettings } from '../shared/run';
import type { AgentDefinition, AgentRegistry } from '../tools/define';
import type { AccessGrant, RunIdentity, RunPolicyRule } from '../shared/policy';
import { resolveCarryLimits } from './compaction';
import type { RollbackPolicy } from './saga';

const DEFAULT_MAX_TOKENS = 4096;
const DEFAULT_CONTINUE_AS_NEW_AFTER_TURNS = 100;

/** A run's settings, resolved from its input. */
export interface RunSettings {
  workflowId: string;
  agent: AgentDefinition;
  task: string;
  /** The agent's tools narrowed by `allowedTools`; the `abort` tool is always kept. */
  offeredTools: string[];
  /** Whether `allowedTools` narrowed the tools, so the model call names the ones it offers. */
  narrowed: boolean;
  approval: ApprovalSettings;
  context: ContextSettings;
  routing: RoutingPolicy;
  /** Fallback models, pauses and the horizon of a model that does not answer. */
  modelOutage: ModelOutageSettings;
  /** The share of any budget after which Claude is asked to finish; null: never. */
  windDownAt: number | null;
  /** The task queue of model calls, when the run names one. */
  modelTaskQueue: string | null;
  /** Output tokens one model call may produce. */
  maxTokens: number;
  continueAsNewAfterTurns: number;
  /** What continue-as-new carries of the books. */
  carry: CarryLimits;
  rollback: RollbackPolicy;
  reconcile: ReconcileSettings;
  /** The run's own rules (ask or deny only), merged most-restrictive-wins with the agent's. */
  runRules: RunPolicyRule[];
  /** Who started the run and for whom; null when the input names nobody. */
  identity: RunIdentity | null;
}

/** Checks the input against the worker's agents and resolves it; a bad input fails the run, never retried. */
export function resolveSettings(input: AgentRunInput, agents: AgentRegistry, workflowId: string): RunSettings {
  const checked = checkRunInput(input);
  if (!checked.success) {
    throw ApplicationFailure.create({ type: 'InvalidInput', message: checked.error, nonRetryable: true });
  }
  const agent = Object.hasOwn(agents, input.agent) ? agents[input.agent] : undefined;
  if (!agent) {
    throw ApplicationFailure.create({
      type: 'InvalidInput.UnknownAgent',
      message: `unknown agent "${input.agent}"; this worker's agents: ${Object.keys(agents).join(', ') || 'none'}`,
      nonRetryable: true,
    });
  }
  const toolNames = agent.tools.map((tool) => tool.name);
  for (const [field, names] of [
    ['allowedTools', input.allowedTools],
    ['approval.requireFor', input.approval?.requireFor],
  ] as const) {
    const unknown = (names ?? []).filter((name) => !toolNames.includes(name));
    if (unknown.length > 0) {
      throw ApplicationFailure.create({
        type: 'InvalidInput.UnknownTool',
        message: `${field}: agent ${agent.name} has no tool ${unknown.join(', ')}; its tools: ${toolNames.join(', ')}`,
        nonRetryable: true,
      });
    }
  }
  const allowed = input.allowedTools ? new Set([...input.allowedTools, 'abort']) : null;
  return {
    workflowId,
    agent,
    task: input.task,
    offeredTools: toolNames.filter((name) => !allowed || allowed.has(name)),
    narrowed: input.allowedTools !== undefined,
    approval: resolveApprovalSettings(input.approval),
    context: resolveContextSettings(input.context),
    routing: {
      defaultModel: input.model ?? DEFAULT_MODEL,
      escalationModel: input.escalationModel ?? DEFAULT_ESCALATION_MODEL,
      escalateAfterToolErrors: 2,
    },
    modelOutage: resolveModelOutage(input.fallbackModels ?? agent.fallbackModels, input.modelOutage),
    windDownAt: input.windDownAt === false ? null : (input.windDownAt ?? DEFAULT_WIND_DOWN_AT),
    modelTaskQueue: input.modelTaskQueue ?? null,
    maxTokens: input.maxTokens ?? DEFAULT_MAX_TOKENS,
    continueAsNewAfterTurns: input.continueAsNewAfterTurns ?? DEFAULT_CONTINUE_AS_NEW_AFTER_TURNS,
    carry: resolveCarryLimits(input.carry),
    rollback: { blockAfter: input.blockAfterCompensationFailures ?? 3, initialBackoffMs: 1000, maxBackoffMs: 5 * 60 * 1000 },
    reconcile: { rounds: 4, initialDelayMs: 5000, maxDelayMs: 60_000, ...input.reconcile },
    runRules: input.policy?.rules ?? [],
    identity: input.identity ?? null,
  };
}

/** The settings narrowed to the tools the worker lets the run's principal use (the `abort` tool is always kept). */
export function withAccess(settings: RunSettings, access: AccessGrant | undefined): RunSettings {
  if (!access?.allowed) return settings;
  const allowed = new Set([...access.allowed, 'abort']);
  return { ...settings, offeredTools: settings.offeredTools.filter((name) => allowed.has(name)), narrowed: true };
}
