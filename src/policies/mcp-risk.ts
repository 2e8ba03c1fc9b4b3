/**
 * How risky an MCP tool is, from the server's own annotations and the worker's configuration, decided once when the
 * run lists its tools. Annotations are hints from someone else's server, so anything not declared read-only and not
 * given an undo is treated as irreversible: it waits for a person by default.
 */
import type { McpToolAnnotations } from '../shared/mcp';
import type { ToolRisk } from '../shared/tool-declarations';

export interface McpRiskDecision {
  risk: ToolRisk;
  reason: string;
}

/**
 * - an override in the configuration wins;
 * - a mapped compensation makes the tool `reversible` (it joins the saga and is undone on rollback);
 * - `readOnlyHint: true` makes it `read` (parallel, no ledger entry);
 * - anything else (`destructiveHint`, or no hint at all) is `irreversible`.
 */
export function mcpToolRisk(annotations: McpToolAnnotations, options: { override?: ToolRisk; compensated: boolean }): McpRiskDecision {
  if (options.override) return { risk: options.override, reason: `configured as ${options.override}` };
  if (options.compensated) return { risk: 'reversible', reason: 'a compensation is mapped' };
  if (annotations.readOnlyHint === true) return { risk: 'read', reason: 'the server declares readOnlyHint' };
  if (annotations.destructiveHint === true) return { risk: 'irreversible', reason: 'the server declares destructiveHint' };
  return { risk: 'irreversible', reason: 'no read-only hint and no compensation mapped' };
}

/**
 * Whether Temporal may run the call again after an attempt whose request may have reached the server: a read, an
 * undoable step (the undo covers a repeat) or a tool the server declares idempotent. Anything else gets one attempt.
 */
export function mcpRetrySafe(risk: ToolRisk, annotations: McpToolAnnotations): boolean {
  return risk === 'read' || risk === 'reversible' || annotations.idempotentHint === true;
}
