/** The demo's agents. Sandbox-safe: the demo's workflows file imports them. */
import { agentRegistry, type AgentDefinition } from '../../workflow';
import { conciergeAgent, forecastAgent, scoutAgent } from './forecast/agent';
import { notesAgent } from './notes/agent';
import { errandsAgent } from './errands/agent';
import { supportAgent } from './support/agent';
import { paymentsAgent, travelAgent, tripAgent } from './travel/agent';

export const DEMO_AGENTS: readonly AgentDefinition[] = [
  travelAgent,
  supportAgent,
  tripAgent,
  paymentsAgent,
  notesAgent,
  forecastAgent,
  scoutAgent,
  conciergeAgent,
  errandsAgent,
];

/** The demo's agents by name. */
export const AGENTS = agentRegistry(DEMO_AGENTS);
