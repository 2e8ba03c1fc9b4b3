/**
 * A request that would not fit the model's context window is caught before it is sent. A cheap estimate decides
 * whether counting is needed; near the window the API's own count (`/v1/messages/count_tokens`, which the scripted
 * model server also answers) decides, and where no count is to be had the estimate stands in.
 */
import type Anthropic from '@anthropic-ai/sdk';

/** One token per this many bytes of the request's JSON: close for English prose and JSON, generous for code. */
const BYTES_PER_TOKEN = 4;

/** Below this share of the window by estimate, the request is sent without counting. */
const COUNT_ABOVE_SHARE = 0.5;

/** The request carries more input tokens than the model reads. Retrying would send the same request again. */
export class ContextWindowExceededError extends Error {
  override name = 'ContextWindowExceededError' as const;
  constructor(
    readonly model: string,
    readonly inputTokens: number,
    readonly contextWindow: number,
    readonly counted: 'api' | 'estimate',
  ) {
    super(
      `the request to ${model} carries ${inputTokens} input tokens (${counted === 'api' ? 'counted by the API' : 'estimated'}), ` +
        `more than its context window of ${contextWindow}: lower the agent's context settings (keepTurns, maxToolResultBytes, ` +
        `forceCompactAfterBytes), shorten the system prompt or tools, or choose a model with a larger window`,
    );
  }
}

/** Input tokens of a request by the byte estimate. */
export function estimateInputTokens(params: Pick<Anthropic.MessageCreateParamsNonStreaming, 'system' | 'tools' | 'messages'>): number {
  const json = JSON.stringify({ system: params.system, tools: params.tools, messages: params.messages });
  return Math.ceil(Buffer.byteLength(json, 'utf8') / BYTES_PER_TOKEN);
}

/**
 * A bound the estimate never exceeds, from a walk that serialises nothing: a character takes at most six bytes of
 * JSON (`\u001f`), a number at most 24. A request whose bound is below the counting threshold is below it by the
 * estimate too, so most requests skip the estimate.
 */
export function inputTokensAtMost(params: Pick<Anthropic.MessageCreateParamsNonStreaming, 'system' | 'tools' | 'messages'>): number {
  return Math.ceil((jsonBytesAtMost(params.system) + jsonBytesAtMost(params.tools) + jsonBytesAtMost(params.messages) + 40) / BYTES_PER_TOKEN);
}

function jsonBytesAtMost(value: unknown): number {
  if (typeof value === 'string') return 6 * value.length + 2;
  if (typeof value !== 'object' || value === null) return 24;
  // Anything that serialises itself is measured by serialising it.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  let bytes = 2;
  if (Array.isArray(value)) {
    for (const item of value) bytes += jsonBytesAtMost(item) + 1;
    return bytes;
  }
  for (const key in value) bytes += 6 * key.length + 4 + jsonBytesAtMost((value as Record<string, unknown>)[key]);
  return bytes;
}

/** Throws `ContextWindowExceededError` when `params` would not fit `contextWindow`. */
export async function checkContextWindow(
  client: Anthropic,
  params: Anthropic.MessageCreateParamsNonStreaming,
  contextWindow: number,
  signal?: AbortSignal,
): Promise<void> {
  if (inputTokensAtMost(params) < contextWindow * COUNT_ABOVE_SHARE) return;
  const estimate = estimateInputTokens(params);
  if (estimate < contextWindow * COUNT_ABOVE_SHARE) return;
  const counted = await countWithApi(client, params, signal);
  const tokens = counted ?? estimate;
  if (tokens > contextWindow) throw new ContextWindowExceededError(params.model, tokens, contextWindow, counted === null ? 'estimate' : 'api');
}

async function countWithApi(client: Anthropic, params: Anthropic.MessageCreateParamsNonStreaming, signal?: AbortSignal): Promise<number | null> {
  try {
    const { input_tokens } = await client.messages.countTokens(
      {
        model: params.model,
        messages: params.messages,
        ...(params.system ? { system: params.system } : {}),
        ...(params.tools ? { tools: params.tools as Anthropic.MessageCountTokensTool[] } : {}),
      },
      { signal },
    );
    return input_tokens;
  } catch (err) {
    if (signal?.aborted) throw err;
    // No count to be had (an endpoint that does not count, a refused count): the estimate decides.
    return null;
  }
}
