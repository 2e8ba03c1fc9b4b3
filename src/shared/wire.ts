/**
 * Wire types that cross the activity boundary. They are plain JSON and keep the Messages API's
 * snake_case, so converting to and from the SDK happens in one place (`models/anthropic.ts`).
 */

/** Text Claude wrote (the Messages API's `text` block). */
export interface TextBlock {
  type: 'text';
  text: string;
}

/** A tool call Claude asked for (the Messages API's `tool_use` block). */
export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

/** A tool's result sent back to Claude (`tool_result`); `is_error` marks a structured error it can adapt to. */
export interface ToolResultBlockParam {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

/** Claude's extended thinking, with the signature the API checks when the block is sent back. */
export interface ThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/** Thinking the API encrypted; sent back as it came. */
export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

/** A block Claude produced in an assistant turn. */
export type ContentBlock = TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock;

/** A block sagent sends to the Messages API: what Claude produced, or a tool result. */
export type ContentBlockParam = ContentBlock | ToolResultBlockParam;

/** One message of the conversation sent to the Messages API. */
export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

/** Why Claude stopped a turn, as the Messages API says it (a closed list). */
export const STOP_REASONS = ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'] as const;
/** One of {@link STOP_REASONS}. */
export type StopReason = (typeof STOP_REASONS)[number];

/** Token usage as the Messages API reports it for one call. */
export interface ModelUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** What `callModel` returns: one assistant turn, its usage and what it cost. */
export interface ModelTurn {
  model: string;
  content: ContentBlock[];
  stop_reason: StopReason | null;
  usage: ModelUsage;
  cost_usd: number;
  request_id: string | null;
}
