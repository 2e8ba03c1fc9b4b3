/** Inputs and outputs of the activities: neutral JSON only. */
import type { Sinks } from '@temporalio/workflow';
import type { McpBinding, McpToolRecord } from './mcp';
import type { RunIdentity } from './policy';
import type { MessageParam } from './wire';

/** A budget the wind-down names, in the unit of `WindDownFigure.left`. */
export type WindDownBudget = 'turns' | 'inputTokens' | 'outputTokens' | 'costUsd' | 'wallClockSeconds';

/** One budget spent past the wind-down threshold: how much of it is used, and what is left. */
export interface WindDownFigure {
  budget: WindDownBudget;
  /** Percent used, 0 to 100. */
  usedPct: number;
  /** What is left: turns after this one, tokens, US dollars (4 decimals) or seconds. */
  left: number;
}

export interface CallModelInput {
  agent: string;
  model: string;
  maxTokens: number;
  /** The tools offered, when the run narrows them; every tool of the agent otherwise. */
  toolNames?: string[];
  turn: number;
  /**
   * The context inline; when absent, the worker that offered it through `SagentSinks` hands it over, or the
   * activity reads it from the workflow with `modelContextQuery`.
   */
  messages?: MessageParam[];
  /** A notice for Claude appended to the newest user turn, after the prompt cache's breakpoint (the wind-down). */
  notice?: string;
  /**
   * The budgets past the wind-down threshold; the worker words the notice from them (`windDownText`) and appends it as
   * it does `notice`. Figures instead of the sentence keep every model call near the end of a budget small in history.
   */
  windDown?: WindDownFigure[];
  /** A reader follows the run: publish the text to its live feed as it streams. Absent: publish nothing. */
  liveFeed?: true;
  /** Who started the run and for whom: in the worker's log lines and spans of this call. */
  identity?: RunIdentity;
}

/**
 * The sink through which the workflow offers each turn's context (and the run's MCP tools, when it has any) to its
 * worker, so the model call skips the queries: one JSON text (`contextText`), which crosses to the worker's thread
 * as a single string.
 */
export interface SagentSinks extends Sinks {
  sagentContext: {
    offer(turn: number, context: string): void;
  };
}

/** The text a context is offered as: `{"messages": [...], "mcpTools": [...]}`, the tools only when given. */
export function contextText(messages: MessageParam[], mcpTools?: McpToolRecord[]): string {
  return JSON.stringify(mcpTools ? { messages, mcpTools } : { messages });
}

/** The sink through which the workflow reports to the worker's metrics what only it knows. */
export interface SagentMetricsSinks extends Sinks {
  sagentMetrics: {
    /** A run paused in `model_unavailable` (`kind`: unavailable or fixable). */
    runPaused(kind: string): void;
    /** A call went on to a fallback model. */
    fallback(from: string, to: string): void;
  };
}

export interface RunToolInput {
  agent: string;
  tool: string;
  input: unknown;
  /** Also the Idempotency-Key the tool sends. */
  effectId: string;
  /** The tool is an MCP server's: the worker calls it there, with `effectId` in the request's `_meta`. */
  mcp?: McpBinding;
  /** Who started the run and for whom: in the worker's log lines and spans of this call. */
  identity?: RunIdentity;
}

/** What Claude sees of a tool's result: projected, serialised and size-capped. */
export interface ToolOutput {
  content: string;
  bytes: number;
  truncated: boolean;
  /** Something the run should note about the call (an MCP server that now lists another schema for the tool). */
  note?: string;
  /** The input of the undo, when the worker derives it from this call's result. */
  undoInput?: unknown;
}

export interface CompensateInput {
  agent: string;
  tool: string;
  input: unknown;
  effectId: string;
  mcp?: McpBinding;
  /** What the forward call's result said the undo needs, when the worker derived it. */
  undoInput?: unknown;
  /** Who started the run and for whom: in the worker's log lines and spans of this call. */
  identity?: RunIdentity;
}

export interface ApprovalNotice {
  workflowId: string;
  callId: string;
  tool: string;
  input: unknown;
  argsHash: string;
  expiresAt: string;
  approvers: string[];
  escalated: boolean;
}

/** The failure types tools raise, as the workflow reads them. */
export const TOOL_FAILURE_TYPES = {
  Rejected: 'ToolFailure.Rejected',
  Transient: 'ToolFailure.Transient',
  NotImplemented: 'ToolFailure.NotImplemented',
  /** A breaker is open: the call did not reach the service, so nothing happened. */
  ServiceUnavailable: 'ToolFailure.ServiceUnavailable',
} as const;
