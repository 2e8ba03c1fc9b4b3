/** The demo agents with their tools' implementations on the worker: real HTTP to the demo services. */
import type { AgentImplementation, ToolImplementations } from '../../index';
import type { AgentDefinition } from '../../workflow';
import { conciergeAgent, forecastAgent, scoutAgent } from './forecast/agent';
import { notesAgent } from './notes/agent';
import { errandsAgent } from './errands/agent';
import { createErrandsTools } from './errands/tools';
import { notesServers, type NotesServersOptions } from './notes/servers';
import { supportAgent } from './support/agent';
import { createSupportTools } from './support/tools';
import { paymentsAgent, travelAgent, tripAgent } from './travel/agent';
import { createTravelTools } from './travel/tools';

export const DEFAULT_SERVICES_URL = 'http://127.0.0.1:4500';

export interface DemoToolsOptions {
  /** Base URL of the demo services (`npm run services`), e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
  /** Where the notes agent's MCP servers are. @default the memory server and the everything server over stdio */
  notes?: NotesServersOptions;
}

/** Every demo agent with its implementations, for `SagentPlugin` / `createSagentWorker`. */
export function demoAgents(options: DemoToolsOptions): AgentImplementation[] {
  const travelTools = createTravelTools(options);
  return [
    { agent: travelAgent, tools: travelTools },
    { agent: supportAgent, tools: createSupportTools(options) },
    { agent: tripAgent, tools: toolsOf(tripAgent, travelTools) },
    { agent: paymentsAgent, tools: toolsOf(paymentsAgent, travelTools) },
    { agent: notesAgent, tools: {} },
    { agent: forecastAgent, tools: toolsOf(forecastAgent, travelTools) },
    { agent: scoutAgent, tools: toolsOf(scoutAgent, travelTools) },
    { agent: conciergeAgent, tools: toolsOf(conciergeAgent, travelTools) },
    { agent: errandsAgent, tools: { ...toolsOf(errandsAgent, travelTools), ...createErrandsTools() } },
  ];
}

/** The MCP servers the demo agents name, for `mcpServers`. */
export function demoMcpServers(options: Pick<DemoToolsOptions, 'notes'> = {}) {
  return notesServers(options.notes);
}

/** The implementations of the tools `agent` declares, out of a larger set (delegations need none). */
function toolsOf(agent: AgentDefinition, implementations: ToolImplementations): ToolImplementations {
  return Object.fromEntries(Object.entries(implementations).filter(([name]) => agent.toolsByName[name] !== undefined));
}
