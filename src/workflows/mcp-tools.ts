/**
 * The run's MCP tools: listed once, by one activity per server at the run's start (the answers are in history, so a
 * replay sees the same list), carried over continue-as-new, and offered to the model-call activity by query. An
 * agent without MCP servers schedules nothing here, so its histories are what they were before MCP.
 */
import { setHandler } from '@temporalio/workflow';
import { mcpToolsQuery, type McpToolRecord } from '../shared/mcp';
import type { AgentRunInput } from '../shared/run';
import type { AgentRegistry } from '../tools/define';
import { withMcpTools } from '../tools/mcp';
import { activities } from './activity-options';
import type { Run } from './run-memory';
import { describe } from './saga';

const { listMcpTools } = activities;

/** The run's MCP tools, and the servers that could not be listed. */
export interface McpCatalog {
  tools: McpToolRecord[];
  unavailable: Array<{ server: string; error: string }>;
}

/** A server that answers nothing within these bounds is left out of the run, which says so. */
const LIST_OPTIONS = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
} as const;

/**
 * The agents as this run sees them: the run's agent with the MCP tools it lists now or carried from the run before.
 * Returns the registry untouched (and schedules nothing) for an agent that names no MCP server.
 */
export async function learnMcpTools(input: AgentRunInput, agents: AgentRegistry): Promise<{ agents: AgentRegistry; catalog: McpCatalog | null }> {
  const agent = Object.hasOwn(agents, input.agent) ? agents[input.agent] : undefined;
  if (!agent?.mcpServers?.length) return { agents, catalog: null };
  const catalog = input.carried?.mcpTools ? { tools: input.carried.mcpTools, unavailable: [] } : await listServers(agent.name, agent.mcpServers);
  setHandler(mcpToolsQuery, () => catalog.tools);
  return { agents: { ...agents, [agent.name]: withMcpTools(agent, catalog.tools) }, catalog };
}

async function listServers(agent: string, servers: readonly string[]): Promise<McpCatalog> {
  const listed = await Promise.all(
    servers.map(async (server) => {
      try {
        const listing = await listMcpTools.executeWithOptions({ ...LIST_OPTIONS, summary: `mcp ${server} · list tools` }, [{ agent, server }]);
        return { server, tools: listing.tools };
      } catch (err) {
        return { server, error: describe(err) };
      }
    }),
  );
  return {
    tools: listed.flatMap((entry) => entry.tools ?? []),
    unavailable: listed.flatMap((entry) => (entry.error !== undefined ? [{ server: entry.server, error: entry.error }] : [])),
  };
}

/** Keeps the catalog in the run's memory (continue-as-new carries it) and notes what the run offers. */
export function adoptMcpCatalog(run: Run, catalog: McpCatalog | null): void {
  if (!catalog) return;
  const fresh = run.memory.mcpTools === undefined;
  run.memory.mcpTools = catalog.tools;
  if (!fresh) return;
  const byServer = new Map<string, string[]>();
  for (const tool of catalog.tools) byServer.set(tool.server, [...(byServer.get(tool.server) ?? []), `${tool.tool} (${tool.risk})`]);
  for (const [server, tools] of byServer) run.timeline.note('run', `mcp ${server}: ${tools.length} tools offered`, 'info', tools.join(', '));
  for (const { server, error } of catalog.unavailable) {
    run.timeline.note('run', `mcp ${server} unavailable: its tools are not offered in this run`, 'error', error);
  }
}
