/**
 * The agents' tool implementations on the worker, by agent name, checked at startup against what each
 * agent declares so a missing implementation fails the worker's start, not a run.
 */
import type { AgentDefinition } from '../tools/define';
import type { ToolImplementations } from '../tools/runtime';
import { AGENTS } from './index';
import { createSupportTools } from './support/tools';
import { createTravelTools } from './travel/tools';

export const DEFAULT_SERVICES_URL = 'http://127.0.0.1:4500';

export interface ToolImplementationsOptions {
  /** Base URL of the demo services (`npm run services`), e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
}

const FACTORIES: Readonly<Record<string, (options: ToolImplementationsOptions) => ToolImplementations>> = {
  travel: createTravelTools,
  support: createSupportTools,
};

/** Every agent's tool implementations; throws when any agent's tools and implementations disagree. */
export function createToolImplementations(options: ToolImplementationsOptions): Readonly<Record<string, ToolImplementations>> {
  const byAgent: Record<string, ToolImplementations> = {};
  for (const [name, agent] of Object.entries(AGENTS)) {
    const factory = FACTORIES[name];
    if (!factory) throw new Error(`agent "${name}" has no tool implementations: add its factory to src/agents/implementations.ts`);
    byAgent[name] = factory(options);
    assertImplementations(agent, byAgent[name]);
  }
  return Object.freeze(byAgent);
}

/**
 * Throws one error naming every problem: a declared tool without an implementation (control tools such
 * as `abort` need none), a tool declaring a compensation whose implementation cannot compensate, and an
 * implementation of a tool the agent does not declare (a typo would otherwise go unnoticed).
 */
export function assertImplementations(agent: AgentDefinition, implementations: ToolImplementations): void {
  const problems: string[] = [];
  for (const tool of agent.tools) {
    if (tool.control) continue;
    const implementation = implementations[tool.name];
    if (!implementation) {
      problems.push(`tool "${tool.name}" has no implementation`);
    } else if (tool.compensation && typeof implementation.compensate !== 'function') {
      problems.push(`tool "${tool.name}" declares compensation "${tool.compensation}" but its implementation has no compensate()`);
    }
  }
  for (const name of Object.keys(implementations)) {
    if (!agent.toolsByName[name]) problems.push(`implementation "${name}" matches no tool the agent declares`);
  }
  if (problems.length > 0) throw new Error(`agent "${agent.name}": ${problems.join('; ')}`);
}
