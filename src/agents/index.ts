/** Every agent sagent knows, by name. Sandbox-safe: the workflow imports it. */
import type { AgentDefinition } from '../tools/define';
import { supportAgent } from './support/agent';
import { travelAgent } from './travel/agent';

export const AGENTS: Readonly<Record<string, AgentDefinition>> = Object.freeze({
  [travelAgent.name]: travelAgent,
  [supportAgent.name]: supportAgent,
});

/** The agent called `name`; throws one line listing the known agents when there is none. */
export function getAgent(name: string): AgentDefinition {
  const agent = Object.hasOwn(AGENTS, name) ? AGENTS[name] : undefined;
  if (!agent) throw new Error(`unknown agent "${name}"; known agents: ${Object.keys(AGENTS).join(', ')}`);
  return agent;
}
