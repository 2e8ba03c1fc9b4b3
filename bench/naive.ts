/**
 * The naive agent loop as a user writes it with the SDK alone: the whole conversation, every tool result
 * in full, goes into every request; no compaction. Two ways to send it: without `cache_control` anywhere,
 * or the way the prompt-caching docs recommend (a breakpoint on the tools, the system prompt and the last
 * message). `runNaiveLoop` runs it directly, outside Temporal, against the same model server and services:
 * the tokens a loop sends depend only on its requests, and its Temporal version cannot reach 300 steps (the
 * server terminates it at ~243, when its history passes 50 MB).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { AGENTS } from '../src/demo/agents';
import type { ServiceClient } from '../src/demo/agents/http';
import { fromMessage, toParams } from '../src/models/anthropic';
import { DEFAULT_MODEL, RUN_HEADER, TURN_HEADER } from '../src/shared/constants';
import type { MessageParam, ToolResultBlockParam, ToolUseBlock } from '../src/shared/wire';

/** `none`: no `cache_control` at all. `last-message`: tools, system and the last message's last block. */
export type NaiveCaching = 'none' | 'last-message';

/** Where each read tool's GET goes, exactly as the travel agent's implementation sends it. */
export const READ_PATHS: Record<string, string> = { get_weather: '/weather', search_flights: '/flights' };

const CACHE = { type: 'ephemeral' } as const;

/** The request the naive loop sends for `messages`: the travel agent's system prompt and tools, through `toParams`. */
export function naiveParams(messages: MessageParam[], caching: NaiveCaching, runId: string, turn: number): Anthropic.MessageCreateParamsNonStreaming {
  const agent = AGENTS.travel;
  const params = withoutCacheControl(
    toParams({ model: DEFAULT_MODEL, maxTokens: 4096, agent, toolNames: agent.tools.map((tool) => tool.name), messages, runId, turn }),
  );
  if (caching === 'none') return params;
  const tools = params.tools ?? [];
  const system = Array.isArray(params.system) ? params.system : [];
  const last = params.messages.length - 1;
  return {
    ...params,
    tools: tools.map((tool, index) => (index === tools.length - 1 ? { ...tool, cache_control: CACHE } : tool)),
    system: system.map((block, index) => (index === system.length - 1 ? { ...block, cache_control: CACHE } : block)),
    messages: params.messages.map((message, index) => {
      if (index !== last || typeof message.content === 'string' || message.content.length === 0) return message;
      const blocks = message.content;
      return { ...message, content: [...blocks.slice(0, -1), { ...blocks[blocks.length - 1], cache_control: CACHE }] } as Anthropic.MessageParam;
    }),
  };
}

/** The request with every `cache_control` marker removed (system, tools and message blocks). */
export function withoutCacheControl(params: Anthropic.MessageCreateParamsNonStreaming): Anthropic.MessageCreateParamsNonStreaming {
  const strip = <T>(value: T): T => {
    if (typeof value !== 'object' || value === null || !('cache_control' in value)) return value;
    const { cache_control: _marker, ...rest } = value as Record<string, unknown>;
    return rest as T;
  };
  return {
    ...params,
    system: Array.isArray(params.system) ? params.system.map(strip) : params.system,
    tools: params.tools?.map(strip),
    messages: params.messages.map((message) =>
      typeof message.content === 'string' ? message : ({ ...message, content: message.content.map(strip) } as typeof message),
    ),
  };
}

export interface NaiveLoopOptions {
  /** Sent as the run header, so the scripted model answers it like a workflow of that id. */
  runId: string;
  task: string;
  maxTurns: number;
  caching: NaiveCaching;
}

/** The loop itself: model call (streamed, like sagent's), then each tool's GET, until the model stops calling tools. */
export async function runNaiveLoop(deps: { anthropic: Anthropic; services: ServiceClient }, options: NaiveLoopOptions): Promise<{ steps: number }> {
  const messages: MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: options.task }] }];
  for (let turn = 1; turn <= options.maxTurns; turn++) {
    const stream = deps.anthropic.messages.stream(naiveParams(messages, options.caching, options.runId, turn), {
      headers: { [RUN_HEADER]: options.runId, [TURN_HEADER]: String(turn) },
    });
    const { content } = fromMessage(DEFAULT_MODEL, await stream.finalMessage(), stream.request_id ?? null);
    messages.push({ role: 'assistant', content });
    const uses = content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
    if (uses.length === 0) return { steps: turn - 1 };
    const results: ToolResultBlockParam[] = [];
    for (const use of uses) {
      const path = READ_PATHS[use.name];
      if (!path) throw new Error(`the naive loop only runs ${Object.keys(READ_PATHS).join(', ')}`);
      const body = await deps.services.call({ method: 'GET', path, query: use.input as Record<string, string> });
      results.push({ type: 'tool_result', tool_use_id: use.id, content: JSON.stringify(body) });
    }
    messages.push({ role: 'user', content: results });
  }
  return { steps: options.maxTurns };
}
