import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { byteLength } from '../policies/canonical';
import { capText } from '../policies/context';
import type { AgentDefinition } from '../tools/define';
import type { McpServers } from '../mcp/servers';
import { MCP_FAILURE_TYPES } from '../shared/mcp';
import { workflowOf } from './workflow-of';
import type { CompensationResult, EffectCheck, ToolContext, ToolImplementations } from '../tools/runtime';
import { TOOL_FAILURE_TYPES, type CompensateInput, type RunToolInput, type ToolOutput } from '../shared/activity-io';

export interface ToolDeps {
  agents: Readonly<Record<string, AgentDefinition>>;
  /** Tool implementations per agent name. */
  tools: Readonly<Record<string, ToolImplementations>>;
  /** The worker's MCP servers, which run the calls of MCP tools. */
  mcp?: McpServers;
}

/** Heartbeat cadence while a tool runs, so a dead worker is noticed within the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1000;

export function createToolActivities({ agents, tools, mcp }: ToolDeps) {
  const servers = (): McpServers => {
    if (mcp) return mcp;
    throw ApplicationFailure.create({ type: MCP_FAILURE_TYPES.NotConfigured, message: 'this worker has no MCP servers', nonRetryable: true });
  };
  // Leaves Temporal's timeout the last word: the request's own deadline ends just before it.
  const timeoutOf = () => Context.current().info.startToCloseTimeoutMs;

  const lookup = (agentName: string, toolName: string) => {
    const agent = agents[agentName];
    const tool = agent?.toolsByName[toolName];
    const implementation = tools[agentName]?.[toolName];
    if (!agent || !tool || !implementation) {
      throw ApplicationFailure.create({
        type: TOOL_FAILURE_TYPES.NotImplemented,
        message: `this worker has no implementation of ${agentName}.${toolName}`,
        nonRetryable: true,
      });
    }
    return { tool, implementation };
  };

  return {
    /** Runs one tool call with its effect id as the idempotency key; returns what Claude sees. */
    async runTool(input: RunToolInput): Promise<ToolOutput> {
      const binding = input.mcp;
      if (binding) return withHeartbeats((ctx) => servers().call({ binding, input: input.input, effectId: input.effectId }, ctx, timeoutOf()), input.effectId, input.effectId);
      const { tool, implementation } = lookup(input.agent, input.tool);
      const output = await withHeartbeats((ctx) => implementation.run(input.input, ctx), input.effectId, input.effectId);
      const projected = tool.project ? tool.project(output) : output;
      const serialised = typeof projected === 'string' ? projected : JSON.stringify(projected ?? null);
      const content = capText(serialised, tool.maxResultBytes);
      return { content, bytes: byteLength(serialised), truncated: content !== serialised };
    },

    /** Asks the service whether an effect whose response was lost landed (tools with `reconcile: 'check'`). */
    async checkEffect(input: RunToolInput): Promise<EffectCheck> {
      const { implementation } = lookup(input.agent, input.tool);
      if (!implementation.check) {
        throw ApplicationFailure.create({
          type: TOOL_FAILURE_TYPES.NotImplemented,
          message: `${input.agent}.${input.tool} declares reconcile: 'check' but its implementation has no check()`,
          nonRetryable: true,
        });
      }
      const check = implementation.check;
      return withHeartbeats((ctx) => check(input.input, ctx), input.effectId, input.effectId);
    },

    /** Undoes one effect. Idempotent: "nothing to undo" is success. */
    async compensate(input: CompensateInput): Promise<CompensationResult> {
      const binding = input.mcp;
      if (binding) {
        const undo = { binding, input: input.input, effectId: input.effectId, undoInput: input.undoInput };
        return withHeartbeats((ctx) => servers().undo(undo, ctx, timeoutOf()), input.effectId, `${input.effectId}/undo`);
      }
      const { implementation } = lookup(input.agent, input.tool);
      if (!implementation.compensate) {
        throw ApplicationFailure.create({
          type: TOOL_FAILURE_TYPES.NotImplemented,
          message: `${input.agent}.${input.tool} declares a compensation but its implementation has none`,
          nonRetryable: true,
        });
      }
      const undo = implementation.compensate;
      return withHeartbeats((ctx) => undo(input.input, { ...ctx, forwardKey: input.effectId }), input.effectId, `${input.effectId}/undo`);
    },
  };
}

async function withHeartbeats<T>(body: (ctx: ToolContext) => Promise<T>, effectId: string, key: string): Promise<T> {
  const activity = Context.current();
  const timer = setInterval(() => activity.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await body({
      effectId,
      idempotencyKey: key,
      workflowId: workflowOf(activity).workflowId,
      attempt: activity.info.attempt,
      signal: activity.cancellationSignal,
      heartbeat: (details) => activity.heartbeat(details),
    });
  } catch (err) {
    // Report a cancellation as one, so the workflow sees the run was cancelled and not that the tool failed.
    if (activity.cancellationSignal.aborted) throw new CancelledFailure(`cancelled: ${(err as Error)?.message ?? err}`);
    throw toFailure(err);
  } finally {
    clearInterval(timer);
  }
}

/** A tool's own ToolError says whether to retry; anything else is retried as Temporal's default. */
function toFailure(err: unknown): unknown {
  const error = err as { name?: string; kind?: string; code?: string; message?: string; hint?: string; retryAfterMs?: number };
  if (error?.name !== 'ToolError') return err;
  const details = [{ code: error.code, message: error.message, hint: error.hint ?? null }];
  if (error.kind === 'rejected') {
    return ApplicationFailure.create({ type: TOOL_FAILURE_TYPES.Rejected, message: error.message, nonRetryable: true, details });
  }
  return ApplicationFailure.create({
    type: TOOL_FAILURE_TYPES.Transient,
    message: error.message,
    details,
    ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
  });
}
