/**
 * What a run knows of the tools its MCP servers offer, as plain JSON: the records the listing activity returns
 * (they are in the run's history, so replay sees the same list), the binding each call carries to the worker, and
 * the failure types of the MCP edge. Sandbox-safe.
 */
import { defineQuery } from '@temporalio/workflow';
import type { ToolRisk } from './tool-risk';

/** The behaviour hints an MCP server declares for a tool (MCP `ToolAnnotations`); hints, never guarantees. */
export interface McpToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** One tool an MCP server offers, as this run offers it to Claude. Fixed for the run once listed. */
export interface McpToolRecord {
  /** The server's name in the worker's configuration. */
  server: string;
  /** The tool's name on the server. */
  tool: string;
  /** The name Claude sees (`<server>_<tool>` unless the server's configuration gives a prefix). */
  name: string;
  description: string;
  /** The server's JSON Schema of the arguments, checked before anything runs. */
  inputSchema: Record<string, unknown>;
  annotations: McpToolAnnotations;
  risk: ToolRisk;
  /** Why the risk is what it is: the annotation or the override that decided it. */
  riskReason: string;
  /** The server tool that undoes this one, from the worker's compensation mapping. */
  compensation: string | null;
  /** The server says a repeated call has no further effect (`idempotentHint`). */
  idempotent: boolean;
  /** Temporal may repeat a call whose request may have reached the server (a read, an undoable or idempotent tool). */
  retrySafe: boolean;
  /** SHA-256 of the tool's canonical name, description, schema and annotations. */
  schemaHash: string;
  critical: boolean;
  timeoutMs: number;
  maxAttempts: number;
}

/** What the listing activity answers for one server. */
export interface McpServerListing {
  server: string;
  tools: McpToolRecord[];
}

export interface ListMcpToolsInput {
  agent: string;
  server: string;
}

/** What a call of an MCP tool carries to the worker besides the tool's input. */
export interface McpBinding {
  server: string;
  tool: string;
  /** The hash the run listed: the worker reports when the server now offers something else. */
  schemaHash: string;
  /** Whether an attempt whose request may have reached the server may be followed by another. */
  retrySafe: boolean;
}

/** The run's MCP tools, for the model-call activity (so the schemas stay out of every turn's history). */
export const mcpToolsQuery = defineQuery<McpToolRecord[]>('sagentMcpTools');

/** The `_meta` key under which every MCP tool call carries its effect id as the idempotency key. */
export const MCP_IDEMPOTENCY_KEY_META = 'sagent/idempotency-key';

/** The failure types of the MCP edge, as the workflow and Claude see them. */
export const MCP_FAILURE_TYPES = {
  /** The server could not be reached or started; nothing was sent. Retried. */
  Unavailable: 'McpFailure.Unavailable',
  /** No answer in time. Retried when the tool is safe to repeat. */
  Timeout: 'McpFailure.Timeout',
  /** The connection broke or the server answered something that is not MCP. Retried when safe to repeat. */
  Protocol: 'McpFailure.Protocol',
  /** The request may have reached the server and the call is not safe to repeat: never retried. */
  OutcomeUnknown: 'McpFailure.OutcomeUnknown',
  /** The worker has no such server, or the server no such mapping. */
  NotConfigured: 'McpFailure.NotConfigured',
} as const;
