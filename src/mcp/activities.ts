/** The listing activity: what one MCP server offers an agent's run, with the risk this worker gives each tool. */
import { ApplicationFailure } from '@temporalio/common';
import { MCP_FAILURE_TYPES, type ListMcpToolsInput, type McpServerListing } from '../shared/mcp';
import type { AgentDefinition } from '../tools/define';
import type { McpServers } from './servers';

export interface McpDeps {
  agents: Readonly<Record<string, AgentDefinition>>;
  /** The worker's MCP servers; absent on a worker that has none. */
  mcp?: McpServers;
}

export function createMcpActivities({ agents, mcp }: McpDeps) {
  return {
    /** Lists the tools of one server an agent names. Its answer is in the run's history: the run's tool list. */
    async listMcpTools(input: ListMcpToolsInput): Promise<McpServerListing> {
      const agent = agents[input.agent];
      if (!agent?.mcpServers?.includes(input.server) || !mcp) {
        throw ApplicationFailure.create({
          type: MCP_FAILURE_TYPES.NotConfigured,
          message: `this worker does not serve MCP server "${input.server}" to agent "${input.agent}"`,
          nonRetryable: true,
        });
      }
      return { server: input.server, tools: await mcp.list(input.server) };
    },
  };
}
