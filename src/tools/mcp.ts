/**
 * MCP tools as sagent tools: each record the run listed becomes a tool definition whose input is the server's JSON
 * Schema and whose risk and compensation the worker's configuration decided, so the planner, the approval policy and
 * the saga ledger treat it as they treat a native tool. Sandbox-safe.
 */
import type { McpToolRecord } from '../shared/mcp';
import { abortTool, defineAgent, defineTool, type AgentDefinition, type ToolDefinition } from './define';
import { jsonSchemaInput } from './json-schema';

/** The tool definition of one listed MCP tool. */
export function mcpToolDefinition(record: McpToolRecord): ToolDefinition<Record<string, unknown>> {
  return defineTool({
    name: record.name,
    description: record.description,
    input: jsonSchemaInput(record.inputSchema, record.schemaHash),
    risk: record.risk,
    ...(record.compensation ? { compensation: record.compensation } : {}),
    critical: record.critical,
    timeoutMs: record.timeoutMs,
    maxAttempts: record.maxAttempts,
    label: `mcp ${record.server}.${record.tool}`,
    mcp: { server: record.server, tool: record.tool, schemaHash: record.schemaHash, retrySafe: record.retrySafe },
  });
}

/** The agent with the listed MCP tools next to its own; a name taken twice is refused when the tools are listed. */
export function withMcpTools(agent: AgentDefinition, records: readonly McpToolRecord[]): AgentDefinition {
  return defineAgent({
    ...agent,
    // defineAgent adds the abort tool and the delegates' tools again from `delegates`.
    tools: [...agent.tools.filter((tool) => tool !== abortTool && !isDelegateOf(agent, tool)), ...records.map(mcpToolDefinition)],
  });
}

function isDelegateOf(agent: AgentDefinition, tool: ToolDefinition<any>): boolean {
  return tool.delegate !== undefined && (agent.delegates ?? []).some((delegate) => delegate.agent === tool.delegate?.agent);
}
