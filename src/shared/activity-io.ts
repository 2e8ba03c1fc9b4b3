/** Inputs and outputs of the activities: neutral JSON only. */
import type { MessageParam } from './wire';

export interface CallModelInput {
  agent: string;
  model: string;
  maxTokens: number;
  /** The tools offered, when the run narrows them; every tool of the agent otherwise. */
  toolNames?: string[];
  turn: number;
  /** The context inline; when absent, the activity reads it from the workflow with `modelContextQuery`. */
  messages?: MessageParam[];
}

export interface RunToolInput {
  agent: string;
  tool: string;
  input: unknown;
  /** Also the Idempotency-Key the tool sends. */
  effectId: string;
}

/** What Claude sees of a tool's result: projected, serialised and size-capped. */
export interface ToolOutput {
  content: string;
  bytes: number;
  truncated: boolean;
}

export interface CompensateInput {
  agent: string;
  tool: string;
  input: unknown;
  effectId: string;
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
} as const;
