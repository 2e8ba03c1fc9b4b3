/**
 * Deterministic token accounting for the scripted model server, with prompt caching that behaves like
 * the Messages API's: breakpoints, a lookback of 20 blocks, a minimum cacheable prefix per model, reads
 * and writes reported apart from `input_tokens`. Benchmarks reuse it to predict what a conversation costs
 * without a server.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The parts of a Messages request that are billed as input, in the order the API caches them. */
export interface BilledRequest {
  model?: string;
  tools?: unknown[];
  system?: string | unknown[];
  messages: { role: string; content: string | unknown[] }[];
}

/** Input side of `usage`, as the API reports it: `input_tokens` excludes cache reads and writes. */
export interface InputUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** The API looks for an earlier cache entry up to this many blocks before each breakpoint. */
export const CACHE_LOOKBACK_BLOCKS = 20;

/**
 * The shortest prefix the API caches, by model (the prompt-caching docs' table); a breakpoint on a
 * shorter prefix is neither written nor read, and its tokens are billed as plain input.
 */
export function minCacheableTokens(model: string): number {
  if (/haiku-3|3-haiku|3-5-haiku/.test(model)) return 2048;
  if (/opus-4-[56]|haiku-4-5/.test(model)) return 4096;
  return 1024;
}

/** One token per 4 bytes of UTF-8 JSON, rounded up. */
export function countTokens(value: unknown): number {
  const json = JSON.stringify(value) ?? '';
  return Math.ceil(Buffer.byteLength(json, 'utf8') / 4);
}

/**
 * Input tokens of a request: `countTokens({ tools, system, messages })`, absent keys omitted and
 * `cache_control` markers removed (they are not prompt text, so moving one changes no count).
 */
export function countInputTokens(request: BilledRequest): number {
  return countTokens(billedPart(request));
}

/** Output tokens of an assistant turn: `countTokens(content)`. */
export function countOutputTokens(content: unknown[]): number {
  return countTokens(content);
}

/**
 * Remembers every cache breakpoint prefix it has seen (as a sha256 over the canonical JSON of the
 * blocks up to it) and splits each request's input tokens into reads, writes and the rest.
 * Entries never expire: the real API's 5-minute TTL is longer than any scripted run.
 */
export class PromptCache {
  readonly #seen = new Set<string>();

  /** Number of prefixes written so far. */
  get size(): number {
    return this.#seen.size;
  }

  /** Accounts one request: reports its usage and writes its breakpoint prefixes to the cache. */
  account(request: BilledRequest): InputUsage {
    const total = countInputTokens(request);
    const segments = flatten(request);
    const hashes = chainHashes(request.model ?? '', segments);
    const breakpoints = segments.flatMap((segment, position) => (segment.cacheBreakpoint ? [position] : []));
    if (breakpoints.length === 0) {
      return { input_tokens: total, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    }

    let longestHit = -1;
    for (const breakpoint of breakpoints) {
      for (let position = breakpoint; position >= Math.max(0, breakpoint - CACHE_LOOKBACK_BLOCKS + 1); position--) {
        if (this.#seen.has(hashes[position])) {
          longestHit = Math.max(longestHit, position);
          break;
        }
      }
    }
    const tokensUpTo = (position: number) => countTokens(billedPart(prefixOf(request, segments, position)));
    const minimum = minCacheableTokens(request.model ?? '');
    const cacheable = breakpoints.filter((breakpoint) => tokensUpTo(breakpoint) >= minimum);
    for (const breakpoint of cacheable) this.#seen.add(hashes[breakpoint]);

    const lastBreakpoint = cacheable.at(-1) ?? -1;
    const read = longestHit < 0 ? 0 : tokensUpTo(longestHit);
    const written = longestHit >= lastBreakpoint ? 0 : tokensUpTo(lastBreakpoint) - read;
    return {
      input_tokens: total - read - written,
      cache_creation_input_tokens: written,
      cache_read_input_tokens: read,
    };
  }
}

/** One cacheable unit: a tool, a system block, or a message's content block (a string content is one). */
interface Segment {
  section: 'tools' | 'system' | 'messages';
  /** Index of the tool, system block or message. */
  index: number;
  /** Index of the block within its message; -1 for string content and for tools and system. */
  blockIndex: number;
  /** What identifies the segment in a prefix hash: its section, position, role and content. */
  identity: unknown;
  cacheBreakpoint: boolean;
}

function billedPart(request: BilledRequest): Omit<BilledRequest, 'model'> {
  return {
    tools: request.tools?.map(withoutCacheControl),
    system: typeof request.system === 'string' ? request.system : request.system?.map(withoutCacheControl),
    messages: request.messages.map((message) =>
      typeof message.content === 'string' ? message : { ...message, content: message.content.map(withoutCacheControl) },
    ),
  };
}

function flatten(request: BilledRequest): Segment[] {
  const segments: Segment[] = [];
  const add = (section: Segment['section'], index: number, blockIndex: number, tag: unknown[], part: unknown) =>
    segments.push({
      section,
      index,
      blockIndex,
      identity: [...tag, withoutCacheControl(part)],
      cacheBreakpoint: hasCacheControl(part),
    });
  (request.tools ?? []).forEach((tool, index) => add('tools', index, -1, ['tool'], tool));
  const system = typeof request.system === 'string' ? [request.system] : (request.system ?? []);
  system.forEach((block, index) => add('system', index, -1, ['system'], block));
  request.messages.forEach((message, index) => {
    const tag = ['message', index, message.role];
    if (typeof message.content === 'string') add('messages', index, -1, tag, message.content);
    else message.content.forEach((block, blockIndex) => add('messages', index, blockIndex, tag, block));
  });
  return segments;
}

/** hashes[p] identifies everything up to and including segment p, so equal prefixes hash equal. */
function chainHashes(model: string, segments: Segment[]): string[] {
  let previous = createHash('sha256').update(`model:${model}`).digest('hex');
  return segments.map((segment) => {
    previous = createHash('sha256')
      .update(previous)
      .update(canonicalize(segment.identity) ?? '')
      .digest('hex');
    return previous;
  });
}

/** The request cut just after segment `last`, shaped like the request so its byte count compares. */
function prefixOf(request: BilledRequest, segments: Segment[], last: number): BilledRequest {
  const end = segments[last];
  const prefix: BilledRequest = { messages: [] };
  if (end.section === 'tools') {
    prefix.tools = request.tools?.slice(0, end.index + 1);
    return prefix;
  }
  prefix.tools = request.tools;
  if (end.section === 'system') {
    prefix.system = typeof request.system === 'string' ? request.system : request.system?.slice(0, end.index + 1);
    return prefix;
  }
  prefix.system = request.system;
  const message = request.messages[end.index];
  const content = typeof message.content === 'string' ? message.content : message.content.slice(0, end.blockIndex + 1);
  prefix.messages = [...request.messages.slice(0, end.index), { ...message, content }];
  return prefix;
}

function hasCacheControl(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).cache_control != null;
}

/** Moving a breakpoint must not change the prefix it sits on, so the marker is not part of the hash. */
function withoutCacheControl(value: unknown): unknown {
  if (!hasCacheControl(value)) return value;
  const { cache_control: _marker, ...rest } = value as Record<string, unknown>;
  return rest;
}

/** Cache writes split by lifetime, as the API reports them in `usage.cache_creation`. */
export interface CacheCreation {
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
}

/**
 * Splits a request's cache writes by lifetime. A request whose markers ask for one hour (`ttl: '1h'`) writes for one
 * hour; the API's default lifetime is five minutes. sagent marks every breakpoint of a request with the same ttl.
 */
export function cacheCreationByTtl(request: BilledRequest, written: number): CacheCreation {
  const oneHour = JSON.stringify([request.tools, request.system, request.messages]).includes('"ttl":"1h"');
  return oneHour ? { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: written } : { ephemeral_5m_input_tokens: written, ephemeral_1h_input_tokens: 0 };
}
