/**
 * Wire types that cross the activity boundary. They are plain JSON and keep the Messages API's
 * snake_case, so converting to and from the SDK happens in one place (`models/anthropic.ts`).
 */

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

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

export type ContentBlockParam = ContentBlock | ToolResultBlockParam;

export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

export const STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
] as const;
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
