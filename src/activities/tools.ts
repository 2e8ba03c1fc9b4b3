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
import type { WorkerBreakers } from '../breakers/registry';

export interface ToolDeps {
  agents: Readonly<Record<string, AgentDefinition>>;
  /** Tool implementations per agent name. */
  tools: Readonly<Record<string, ToolImplementations>>;
  /** The worker's MCP servers, which run the calls of MCP tools. */
  mcp?: McpServers;
  /** The worker's circuit breakers, shared by its runs; tools that declare a breaker go through theirs. @default none */
  breakers?: WorkerBreakers;
}

/** The tool retry policy's first and longest waits (see `toolOptions`), which the jittered delay follows. */
const RETRY_INITIAL_MS = 500;
const RETRY_MAX_MS = 10_000;

/** Heartbeat cadence while a tool runs, so a dead worker is noticed within the heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 1000;

export function createToolActivities({ agents, tools, mcp, breakers }: ToolDeps) {
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
      if (binding)
        return withHeartbeats(
          (ctx) => servers().call({ binding, input: input.input, effectId: input.effectId }, ctx, timeoutOf()),
          input.effectId,
          input.effectId,
        );
      const { tool, implementation } = lookup(input.agent, input.tool);
      const run = (ctx: ToolContext) => implementation.run(input.input, ctx);
      // Only the forward call goes through the breaker: compensations and checks keep their own retries.
      const output = await withHeartbeats((ctx) => (breakers ? breakers.run(tool, () => run(ctx), ctx.attempt) : run(ctx)), input.effectId, input.effectId);
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
    throw toFailure(err, activity.info.attempt);
  } finally {
    clearInterval(timer);
  }
}

/**
 * A tool's own ToolError says whether to retry; anything else is retried as Temporal's default. A transient failure
 * waits a jittered backoff (or the tool's retry-after, plus up to a fifth), so the runs a failing service turned
 * away do not all come back at the same instant.
 */
function toFailure(err: unknown, attempt: number): unknown {
  const error = err as { name?: string; kind?: string; code?: string; message?: string; hint?: string; retryAfterMs?: number };
  if (error?.name !== 'ToolError') return err;
  const details = [
    { code: error.code, message: error.message, hint: error.hint ?? null, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) },
  ];
  if (error.kind === 'rejected') {
    return ApplicationFailure.create({ type: TOOL_FAILURE_TYPES.Rejected, message: error.message, nonRetryable: true, details });
  }
  return ApplicationFailure.create({
    type: TOOL_FAILURE_TYPES.Transient,
    message: error.message,
    details,
    nextRetryDelay: jitteredDelay(attempt, error.retryAfterMs),
  });
}

/** The wait before the next attempt: half the exponential step plus a random half, or retry-after plus up to 20 %. */
export function jitteredDelay(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.round(retryAfterMs * (1 + 0.2 * random()));
  const step = Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
