/**
 * The baselines' activities: the same work as sagent's `callModel` and `runTool` (the same Messages
 * request through the real SDK, the same HTTP GET through the same service client), without sagent's
 * machinery around them. Registered on the same worker as sagent's activities.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import { AGENTS } from '../src/demo/agents';
import { createServiceClient } from '../src/demo/agents/http';
import { fromMessage, toParams } from '../src/models/anthropic';
import { DEFAULT_MODEL, RUN_HEADER, TURN_HEADER } from '../src/shared/constants';
import type { MessageParam, ModelTurn } from '../src/shared/wire';
import { READ_PATHS, withoutCacheControl } from './naive';

export interface BenchModelInput {
  turn: number;
  /** The whole context, inline in the activity input (and so in the history). */
  messages: MessageParam[];
  /** false: no `cache_control` anywhere, so the scripted model reports no cache reads or writes. */
  cache: boolean;
}

export interface BenchToolInput {
  tool: string;
  input: Record<string, string>;
}

export function createBenchActivities(deps: { anthropic: Anthropic; servicesUrl: string }) {
  const services = createServiceClient({ servicesUrl: deps.servicesUrl });
  const agent = AGENTS.travel;
  return {
    /** One Messages call, streamed like sagent's (`createMessage`), with the context given inline. */
    async benchCallModel(input: BenchModelInput): Promise<ModelTurn> {
      const ctx = Context.current();
      const workflowId = ctx.info.workflowExecution?.workflowId ?? 'unknown';
      const params = toParams({
        model: DEFAULT_MODEL,
        maxTokens: 4096,
        agent,
        toolNames: agent.tools.map((tool) => tool.name),
        messages: input.messages,
        runId: workflowId,
        turn: input.turn,
      });
      const body = input.cache ? params : withoutCacheControl(params);
      const stream = deps.anthropic.messages.stream(body, {
        headers: { [RUN_HEADER]: workflowId, [TURN_HEADER]: String(input.turn) },
        signal: ctx.cancellationSignal,
      });
      const message = await stream.finalMessage();
      return fromMessage(DEFAULT_MODEL, message, stream.request_id ?? null);
    },

    /** The read tool's HTTP GET; the body comes back as the text Claude would see. */
    async benchRunTool(input: BenchToolInput): Promise<string> {
      const path = READ_PATHS[input.tool];
      if (!path) throw new Error(`the benchmark baselines only run ${Object.keys(READ_PATHS).join(', ')}`);
      const body = await services.call({ method: 'GET', path, query: input.input, signal: Context.current().cancellationSignal });
      return JSON.stringify(body);
    },
  };
}

export type BenchActivities = ReturnType<typeof createBenchActivities>;
