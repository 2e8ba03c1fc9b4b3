/** The demo agents with their tools' implementations on the worker: real HTTP to the demo services. */
import type { AgentDefinition, AgentImplementation, ToolImplementations } from '../../index';
import { supportAgent } from './support/agent';
import { createSupportTools } from './support/tools';
import { paymentsAgent, travelAgent, tripAgent } from './travel/agent';
import { createTravelTools } from './travel/tools';

export const DEFAULT_SERVICES_URL = 'http://127.0.0.1:4500';

export interface DemoToolsOptions {
  /** Base URL of the demo services (`npm run services`), e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
}

/** Every demo agent with its implementations, for `SagentPlugin` / `createSagentWorker`. */
export function demoAgents(options: DemoToolsOptions): AgentImplementation[] {
  const travelTools = createTravelTools(options);
  return [
    { agent: travelAgent, tools: travelTools },
    { agent: supportAgent, tools: createSupportTools(options) },
    { agent: tripAgent, tools: toolsOf(tripAgent, travelTools) },
    { agent: paymentsAgent, tools: toolsOf(paymentsAgent, travelTools) },
  ];
}

/** The implementations of the tools `agent` declares, out of a larger set (delegations need none). */
function toolsOf(agent: AgentDefinition, implementations: ToolImplementations): ToolImplementations {
  return Object.fromEntries(Object.entries(implementations).filter(([name]) => agent.toolsByName[name] !== undefined));
}
