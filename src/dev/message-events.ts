/**
 * The Messages API's wire shapes as the scripted model server sends them: the `message` object, the
 * server-sent events of a streamed answer, and error bodies.
 */
import { randomBytes } from 'node:crypto';
import type { ContentBlock, ModelUsage, StopReason } from '../shared/wire';

export interface ApiMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: null;
  usage: ModelUsage & { service_tier: 'standard'; cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number } };
}

export interface ServerSentEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Anthropic error type for each HTTP status the API documents. */
export const ERROR_TYPES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const DEFAULT_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  invalid_request_error: 'Invalid request',
  authentication_error: 'invalid x-api-key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'The requested resource could not be found.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'This request would exceed your rate limit.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/** The documented type for a status; other 4xx are `invalid_request_error`, other 5xx `api_error`. */
export function errorTypeFor(status: number): string {
  return ERROR_TYPES_BY_STATUS[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error');
}

export function defaultErrorMessage(type: string): string {
  return DEFAULT_ERROR_MESSAGES[type] ?? 'Error';
}

/** `{"type":"error","error":{"type":…,"message":…},"request_id":…}`, as every API error body. */
export function errorBody(type: string, message: string, requestId: string) {
  return { type: 'error', error: { type, message }, request_id: requestId };
}

/** `prefix` + 24 base62 characters, in the style of the API's ids (`msg_01…`, `toolu_01…`, `req_01…`). */
export function apiId(prefix: 'msg' | 'toolu' | 'req'): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const suffix = Array.from(randomBytes(22), (byte) => alphabet[byte % alphabet.length]).join('');
  return `${prefix}_01${suffix}`;
}

/**
 * The events of a streamed answer, in the API's order: message_start, then per block
 * content_block_start / deltas / content_block_stop (a ping after the first start), message_delta with
 * the stop reason and final usage, message_stop.
 */
export function messageStreamEvents(message: ApiMessage): ServerSentEvent[] {
  const started = { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } };
  const events: ServerSentEvent[] = [{ event: 'message_start', data: { type: 'message_start', message: started } }];
  message.content.forEach((block, index) => {
    const start =
      block.type === 'text'
        ? { type: 'text', text: '' }
        : block.type === 'thinking'
          ? { type: 'thinking', thinking: '', signature: '' }
          : block.type === 'redacted_thinking'
            ? block
            : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: start } });
    if (index === 0) events.push({ event: 'ping', data: { type: 'ping' } });
    const deltas =
      block.type === 'text'
        ? textChunks(block.text).map((text) => ({ type: 'text_delta', text }))
        : block.type === 'thinking'
          ? [...textChunks(block.thinking).map((thinking) => ({ type: 'thinking_delta', thinking })), { type: 'signature_delta', signature: block.signature }]
          : block.type === 'redacted_thinking'
            ? []
            : ['', ...jsonChunks(JSON.stringify(block.input))].map((partial_json) => ({
                type: 'input_json_delta',
                partial_json,
              }));
    for (const delta of deltas) {
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  const { service_tier: _tier, ...finalUsage } = message.usage;
  const delta = { stop_reason: message.stop_reason, stop_sequence: null };
  events.push({ event: 'message_delta', data: { type: 'message_delta', delta, usage: finalUsage } });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

export function formatServerSentEvent({ event, data }: ServerSentEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A few words per delta, as the API streams text. */
function textChunks(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const chunks: string[] = [];
  for (let index = 0; index < words.length; index += 3) chunks.push(words.slice(index, index + 3).join(''));
  return chunks;
}

/** Tool input arrives as fragments of its JSON text that only parse once joined. */
function jsonChunks(json: string): string[] {
  const chunks: string[] = [];
  for (let index = 0; index < json.length; index += 24) chunks.push(json.slice(index, index + 24));
  return chunks;
}
