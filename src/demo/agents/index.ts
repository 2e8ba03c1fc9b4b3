/** The demo's agents. Sandbox-safe: the demo's workflows file imports them. */
import { agentRegistry, type AgentDefinition } from '../../workflow';
import { notesAgent } from './notes/agent';
import { supportAgent } from './support/agent';
import { travelAgent } from './travel/agent';

export const DEMO_AGENTS: readonly AgentDefinition[] = [travelAgent, supportAgent, notesAgent];

/** The demo's agents by name. */
export const AGENTS = agentRegistry(DEMO_AGENTS);
