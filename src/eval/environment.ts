/**
 * What an eval runs its cases on. By default the worker on the configured task queue (whatever model it calls); a
 * suite can name a module whose `createEvalEnvironment` starts its own stack (a dev server, services, the scripted
 * model server or Claude, a worker), which also lets cases pick scenarios, stub tools, and run prompt variants.
 */
import path from 'node:path';
import type { AgentDefinition, ToolDefinition } from '../tools/define';
import { ToolError, type ToolImplementation, type ToolImplementations } from '../tools/runtime';
import type { SagentClient } from '../client';

/** The one place evals name the client module. */
export type { SagentClient };
import type { Scenario } from '../dev/scenario';
import type { AgentOverrides, Stub } from './suite';

/** What a suite's cases run on: a client of a worker running the agents, and optionally tool stubs and scenarios. */
export interface EvalEnvironment {
  /** One line for the report header: where the runs go and which model answers. */
  description: string;
  /** `scripted` when the scripted model server answers; cases' scenarios apply only then. */
  model: 'scripted' | 'claude' | 'worker';
  /** A client on the worker with the agents as they are. */
  sagent: SagentClient;
  /** The services whose own records cross-check the ledger. */
  servicesUrl?: string;
  /** A client on a worker whose agents carry these prompt and tool-description variants. */
  variant?(overrides: AgentOverrides): Promise<SagentClient>;
  /** Makes the scripted model play `scenario` for runs whose id starts with `workflowId` (and ends with `suffix`). */
  routeScenario?(workflowId: string, scenario: string, suffix?: string): void;
  /** More scenarios for the scripted model (a suite's own). */
  addScenarios?(scenarios: Scenario[]): void;
  /** Stubbed tool results, by run. */
  stubs?: ToolStubs;
  close(): Promise<void>;
}

/** What an environment module's `createEvalEnvironment` is given: the environment variables, and where to report progress. */
export interface EvalEnvironmentOptions {
  env: NodeJS.ProcessEnv;
  /** Progress lines. */
  say(line: string): void;
}

/** What a suite's environment module exports. */
export type EvalEnvironmentFactory = (options: EvalEnvironmentOptions) => Promise<EvalEnvironment>;

/** Loads the environment module a suite names. */
export function loadEnvironmentFactory(file: string): EvalEnvironmentFactory {
  const loaded = require(path.resolve(file)) as { createEvalEnvironment?: EvalEnvironmentFactory };
  if (typeof loaded.createEvalEnvironment !== 'function') throw new Error(`environment ${file}: it exports no createEvalEnvironment function`);
  return loaded.createEvalEnvironment;
}

/**
 * Stubbed tool calls by run: a run whose workflow id starts with a registered prefix (its sub-agents' too) gets the
 * stubs' results in call order, the last one repeating; `live` calls the tool.
 */
export class ToolStubs {
  private readonly byRun = new Map<string, { stubs: Record<string, Stub[]>; used: Map<string, number> }>();

  set(workflowId: string, stubs: Record<string, Stub[]>): void {
    this.byRun.set(workflowId, { stubs, used: new Map() });
  }

  delete(workflowId: string): void {
    this.byRun.delete(workflowId);
  }

  /** The next stub of `tool` for the run, or undefined (call the tool). */
  next(workflowId: string, tool: string): Stub | undefined {
    for (const [prefix, entry] of this.byRun) {
      if (workflowId !== prefix && !workflowId.startsWith(`${prefix}/`)) continue;
      const list = entry.stubs[tool];
      if (!list) return undefined;
      const n = entry.used.get(tool) ?? 0;
      entry.used.set(tool, n + 1);
      return list[Math.min(n, list.length - 1)];
    }
    return undefined;
  }

  /** The implementations with each `run` answering from the stubs first. Compensations and checks stay live. */
  wrap(implementations: ToolImplementations): ToolImplementations {
    return Object.fromEntries(
      Object.entries(implementations).map(([tool, implementation]): [string, ToolImplementation] => [
        tool,
        {
          ...implementation,
          run: async (input, ctx) => {
            const stub = this.next(ctx.workflowId, tool);
            if (stub === undefined || stub === 'live') return implementation.run(input, ctx);
            if ('result' in stub) return stub.result;
            throw new ToolError(stub.error.kind, stub.error.code, stub.error.message);
          },
        },
      ]),
    );
  }
}

/** The agent with a prompt and tool descriptions replaced, for a worker that runs a variant. */
export function withOverrides(agent: AgentDefinition, overrides: AgentOverrides | undefined): AgentDefinition {
  const override = overrides?.[agent.name];
  if (!override) return agent;
  const unknown = Object.keys(override.tools ?? {}).filter((name) => agent.toolsByName[name] === undefined);
  if (unknown.length > 0) throw new Error(`agents.${agent.name}.tools: ${unknown.join(', ')} is not a tool of ${agent.name}`);
  const tools = agent.tools.map((tool): ToolDefinition<any> => {
    const description = override.tools?.[tool.name]?.description;
    return description ? { ...tool, description } : tool;
  });
  const toolsByName: Record<string, ToolDefinition<any>> = Object.create(null);
  for (const tool of tools) toolsByName[tool.name] = tool;
  return Object.freeze({ ...agent, system: override.system ?? agent.system, tools, toolsByName });
}
