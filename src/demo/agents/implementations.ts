/** The demo agents with their tools' implementations on the worker: real HTTP to the demo services. */
import type { AgentImplementation } from '../../index';
import { supportAgent } from './support/agent';
import { createSupportTools } from './support/tools';
import { travelAgent } from './travel/agent';
import { createTravelTools } from './travel/tools';

export const DEFAULT_SERVICES_URL = 'http://127.0.0.1:4500';

export interface DemoToolsOptions {
  /** Base URL of the demo services (`npm run services`), e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
}

/** Every demo agent with its implementations, for `SagentPlugin` / `createSagentWorker`. */
export function demoAgents(options: DemoToolsOptions): AgentImplementation[] {
  return [
    { agent: travelAgent, tools: createTravelTools(options) },
    { agent: supportAgent, tools: createSupportTools(options) },
  ];
}
