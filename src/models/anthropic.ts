/**
 * The one place SDK types meet the project's wire types. The client never retries on its own
 * (`maxRetries: 0`): Temporal is the only retry layer.
 */
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { RUN_HEADER, TURN_HEADER } from '../shared/constants';
import { STOP_REASONS, type ContentBlock, type MessageParam, type ModelTurn, type StopReason } from '../shared/wire';
import { outputInstruction } from '../policies/output';
import type { AgentDefinition } from '../tools/define';
import { Pricing, type CacheTtl } from './pricing';
import { checkContextWindow } from './context-window';
import { DEFAULT_MODEL_TIMEOUTS, StallWatchdog, progressReportingFetch, type ModelTimeouts } from './watchdog';

/** What `createAnthropicClient` takes: where the Messages API is, and how long one request may take. */
export interface ModelClientOptions {
  /** @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** @default process.env.ANTHROPIC_BASE_URL, else the real API */
  baseURL?: string;
  /** Per-request timeout; Temporal's own timeouts bound the activity. @default 600_000 */
  timeoutMs?: number;
}

/** The Anthropic client sagent's model activity uses: `maxRetries: 0` (Temporal is the one retry layer); throws when neither a key nor a base URL is set. */
export function createAnthropicClient(options: ModelClientOptions = {}): Anthropic {
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  const baseURL = options.baseURL ?? process.env.ANTHROPIC_BASE_URL;
  if (!apiKey && !baseURL) {
    throw new Error('no model configured: set ANTHROPIC_API_KEY for Claude, or ANTHROPIC_BASE_URL for the scripted model');
  }
  return new Anthropic({
    apiKey: apiKey ?? 'offline',
    ...(baseURL ? { baseURL } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
    // Response bytes (pings included) reach the stall watchdog of the call they belong to.
    fetch: progressReportingFetch(),
  });
}

export interface ModelRequest {
  model: string;
  maxTokens: number;
  agent: AgentDefinition;
  /** Tools offered this turn, by name, in the agent's order. */
  toolNames: string[];
  /** Tools described by a raw JSON Schema rather than zod (an MCP server's); a name here wins over the agent's. */
  rawTools?: readonly RawToolSchema[];
  messages: MessageParam[];
  runId: string;
  turn: number;
  /** Text appended to the newest user turn after its cache breakpoint, so the cached prefix stays the same. */
  notice?: string;
}

/** A tool whose input is someone else's JSON Schema, offered to Claude as it is. */
export interface RawToolSchema {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Called on every streamed event. */
  onProgress?: () => void;
  /** Called with each piece of Claude's text as it streams in (the live feed). */
  onText?: (text: string) => void;
  /** First-byte and idle deadlines; a stall aborts the call with a `ModelStallError`. @default DEFAULT_MODEL_TIMEOUTS */
  timeouts?: ModelTimeouts;
  /** Bytes of the answer the caller can record; a larger one fails with `ModelAnswerTooLargeError`. @default 1_500_000 */
  maxAnswerBytes?: number;
  /** Prices the answer. @default the built-in table */
  pricing?: Pricing;
}

/** An answer larger than a Temporal payload may be: retrying would only fetch it again. */
export class ModelAnswerTooLargeError extends Error {
  override name = 'ModelAnswerTooLargeError' as const;
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the model's answer is ${bytes} bytes; at most ${limit} can be recorded: lower max_tokens or ask for a shorter answer`);
  }
}

/** Keeps the answer well under Temporal's 2 MB payload limit, with room for the rest of the activity result. */
export const DEFAULT_MAX_ANSWER_BYTES = 1_500_000;

const DEFAULT_PRICING = new Pricing();

/** The cache marker of an agent's lifetime; the 5-minute one is the API's default and is sent without `ttl`. */
function cacheControl(ttl: CacheTtl | undefined): Anthropic.CacheControlEphemeral {
  return ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
}

/** Sends one request as a stream and returns the whole assistant turn as wire types. */
export async function createMessage(client: Anthropic, request: ModelRequest, options: CallOptions = {}): Promise<ModelTurn> {
  const controller = new AbortController();
  const cancel = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const watchdog = new StallWatchdog(options.timeouts ?? DEFAULT_MODEL_TIMEOUTS, controller, { runId: request.runId, turn: request.turn });
  const pricing = options.pricing ?? DEFAULT_PRICING;
  try {
    const params = toParams(request);
    await checkContextWindow(client, params, pricing.priceOf(request.model).contextWindow, controller.signal);
    const stream = client.messages.stream(params, {
      headers: { [RUN_HEADER]: request.runId, [TURN_HEADER]: String(request.turn), ...thinkingHeaders(request.agent) },
      signal: controller.signal,
    });
    stream.on('streamEvent', () => {
      watchdog.progress();
      options.onProgress?.();
    });
    const { onText } = options;
    if (onText) stream.on('text', (delta) => onText(delta));
    let message: Anthropic.Message;
    try {
      message = await stream.finalMessage();
    } catch (err) {
      throw watchdog.stalled ?? err;
    }
    const turn = fromMessage(request.model, message, stream.request_id ?? null, pricing);
    const limit = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    const bytes = Buffer.byteLength(JSON.stringify(turn));
    if (bytes > limit) throw new ModelAnswerTooLargeError(bytes, limit);
    return turn;
  } finally {
    watchdog.stop();
    options.signal?.removeEventListener('abort', cancel);
  }
}

export function toParams(request: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const tools = toolParams(request.agent, request.toolNames, request.rawTools ?? []);
  const cache = cacheControl(request.agent.cacheTtl);
  const thinking = request.agent.thinking;
  return {
    model: request.model,
    // A thinking budget is spent out of max_tokens, so the answer keeps its own room on top of it.
    max_tokens: typeof thinking === 'object' ? request.maxTokens + thinking.budgetTokens : request.maxTokens,
    ...(thinking === undefined ? {} : { thinking: thinking === 'adaptive' ? { type: 'adaptive' } : { type: 'enabled', budget_tokens: thinking.budgetTokens } }),
    system: [{ type: 'text', text: systemText(request.agent), cache_control: cache }],
    tools,
    messages: withNotice(withCacheBreakpoints(request.messages, cache), request.notice),
  };
}

/** The beta that interleaves thinking with tool calls under a fixed budget (adaptive thinking interleaves anyway). */
export const INTERLEAVED_THINKING_BETA = 'interleaved-thinking-2025-05-14';

function thinkingHeaders(agent: AgentDefinition): Record<string, string> {
  return typeof agent.thinking === 'object' ? { 'anthropic-beta': INTERLEAVED_THINKING_BETA } : {};
}

const systemTexts = new WeakMap<AgentDefinition, string>();

/** The agent's prompt, with the output schema's instruction when it declares one; computed once per agent. */
function systemText(agent: AgentDefinition): string {
  if (!agent.output) return agent.system;
  const cached = systemTexts.get(agent);
  if (cached !== undefined) return cached;
  const text = `${agent.system}\n\n${outputInstruction(agent.output)}`;
  systemTexts.set(agent, text);
  return text;
}

/** The notice as the last block of the newest user turn: behind the breakpoint, outside what the cache stores. */
function withNotice(messages: Anthropic.MessageParam[], notice: string | undefined): Anthropic.MessageParam[] {
  const last = messages.at(-1);
  if (!notice || !last || last.role !== 'user' || typeof last.content === 'string') return messages;
  return [...messages.slice(0, -1), { role: 'user', content: [...last.content, { type: 'text', text: notice }] }];
}

const schemaCache = new WeakMap<object, Anthropic.Tool['input_schema']>();

/** JSON Schema from zod's own converter, computed once per tool. */
export function toolInputSchema(input: z.ZodType): Anthropic.Tool['input_schema'] {
  const cached = schemaCache.get(input);
  if (cached) return cached;
  const { $schema: _ignored, ...schema } = z.toJSONSchema(input, { target: 'draft-2020-12' }) as Record<string, unknown>;
  const result = schema as Anthropic.Tool['input_schema'];
  schemaCache.set(input, result);
  return result;
}

/** A raw JSON Schema as the Messages API takes it: an object schema, without the dialect keyword. */
export function rawInputSchema(schema: Record<string, unknown>): Anthropic.Tool['input_schema'] {
  const { $schema: _ignored, ...rest } = schema;
  return { ...rest, type: 'object' } as Anthropic.Tool['input_schema'];
}

function toolParams(agent: AgentDefinition, names: string[], rawTools: readonly RawToolSchema[]): Anthropic.ToolUnion[] {
  const raw = new Map(rawTools.map((tool) => [tool.name, tool]));
  // No breakpoint here: the system prompt follows the tools, so its breakpoint caches them too.
  const tools = names.map((name): Anthropic.Tool => {
    const external = raw.get(name);
    if (external) return { name, description: external.description, input_schema: rawInputSchema(external.inputSchema) };
    const tool = agent.toolsByName[name];
    return {
      name: tool.name,
      description: tool.description,
      input_schema: toolInputSchema(tool.input),
      ...(tool.strict ? { strict: true } : {}),
    };
  });
  return tools;
}

/**
 * Three breakpoints in the messages, plus the system prompt's, is the API's limit of four: the end of
 * the opening message (the task and the summary blocks, which only a compaction changes, and then only
 * by appending a block, so the next call still reads what came before it), the end of the previous
 * request's conversation (so a turn of more than 20 blocks still reads it: the API looks back only 20
 * blocks from a breakpoint) and the end of this one (which the next call reads).
 */
function withCacheBreakpoints(messages: MessageParam[], cache: Anthropic.CacheControlEphemeral): Anthropic.MessageParam[] {
  const marked = new Set<number>([0, messages.length - 1]);
  for (let index = messages.length - 3; index >= 0; index--) {
    if (messages[index].role === 'user') {
      marked.add(index);
      break;
    }
  }
  return messages.map((message, index) => {
    const blocks = typeof message.content === 'string' ? [{ type: 'text' as const, text: message.content }] : message.content;
    if (!marked.has(index) || blocks.length === 0) return { role: message.role, content: blocks } as Anthropic.MessageParam;
    const last = { ...blocks[blocks.length - 1], cache_control: cache };
    return { role: message.role, content: [...blocks.slice(0, -1), last] } as Anthropic.MessageParam;
  });
}

export function fromMessage(model: string, message: Anthropic.Message, requestId: string | null, pricing: Pricing = DEFAULT_PRICING): ModelTurn {
  const content: ContentBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
    // Kept exactly: the API checks the signature when the block comes back in a tool-use continuation.
    else if (block.type === 'thinking') content.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    else if (block.type === 'redacted_thinking') content.push({ type: 'redacted_thinking', data: block.data });
  }
  const usage = {
    input_tokens: message.usage.input_tokens ?? 0,
    output_tokens: message.usage.output_tokens ?? 0,
    cache_creation_input_tokens: message.usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: message.usage.cache_read_input_tokens ?? 0,
  };
  const stopReason = (STOP_REASONS as readonly string[]).includes(message.stop_reason ?? '') ? (message.stop_reason as StopReason) : null;
  // Cache writes are billed by lifetime: a 1-hour write costs 2x input, a 5-minute one 1.25x.
  const written1h = message.usage.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const cost = pricing.costUsd(model, { ...usage, cache_creation_1h_input_tokens: written1h });
  return { model: message.model || model, content, stop_reason: stopReason, usage, cost_usd: cost, request_id: requestId };
}
