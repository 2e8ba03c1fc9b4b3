/**
 * Extended thinking as the scripted model server plays it: a thinking block, with a signature the server can check,
 * opens every answer to a request that enables thinking; and a request that continues a tool-use turn must give the
 * turn's thinking blocks back exactly as they came, as the Messages API requires (a block dropped, or its text or
 * signature changed, is a 400 invalid_request_error).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { MessagesRequest, RequestBlock } from './messages-request';

/** A thinking block as the API sends it. */
export interface ThinkingReply {
  type: 'thinking';
  thinking: string;
  signature: string;
}

/** Signs and checks thinking blocks with a key of this server's own. */
export class ThinkingSigner {
  readonly #key = randomBytes(32);

  sign(thinking: string): string {
    return createHmac('sha256', this.#key).update(thinking).digest('base64');
  }

  /** The thinking block that opens an answer to `turn`. */
  block(turn: number, about: string): ThinkingReply {
    const thinking = `Turn ${turn}: ${about}`;
    return { type: 'thinking', thinking, signature: this.sign(thinking) };
  }

  /** The API's refusal of a request that breaks the thinking rules, or undefined when it keeps them. */
  problem(body: MessagesRequest): string | undefined {
    const budget = thinkingBudget(body);
    if (budget === 'invalid') return 'thinking: Input should be {"type": "enabled", "budget_tokens": n}, {"type": "adaptive"} or {"type": "disabled"}';
    if (typeof budget === 'number') {
      if (budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
      if (body.max_tokens <= budget) return '`max_tokens` must be greater than `thinking.budget_tokens`';
    }
    for (const [index, message] of body.messages.entries()) {
      if (message.role !== 'assistant' || typeof message.content === 'string') continue;
      for (const [blockIndex, block] of message.content.entries()) {
        if (block.type === 'thinking' && block.signature !== this.sign(String(block.thinking ?? ''))) {
          return `messages.${index}.content.${blockIndex}: Invalid \`signature\` in \`thinking\` block`;
        }
      }
    }
    if (budget === null) return undefined;
    const last = lastToolUseTurn(body);
    if (last === undefined) return undefined;
    const first = last.content[0];
    if (first.type !== 'thinking' && first.type !== 'redacted_thinking') {
      return (
        `messages.${last.index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.type}\`. ` +
        'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceding the lastmost ' +
        'set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns.'
      );
    }
    return undefined;
  }
}

/** The budget a request asks for: a number, `adaptive`, null when thinking is off, or `invalid`. */
export function thinkingBudget(body: MessagesRequest): number | 'adaptive' | null | 'invalid' {
  const thinking = body.thinking as { type?: unknown; budget_tokens?: unknown } | undefined;
  if (thinking === undefined || thinking === null) return null;
  if (thinking.type === 'disabled') return null;
  if (thinking.type === 'adaptive') return 'adaptive';
  if (thinking.type === 'enabled' && Number.isInteger(thinking.budget_tokens)) return thinking.budget_tokens as number;
  return 'invalid';
}

/** The assistant message whose tool calls the last user message answers, when it does. */
function lastToolUseTurn(body: MessagesRequest): { index: number; content: RequestBlock[] } | undefined {
  const lastUser = body.messages.at(-1);
  if (lastUser?.role !== 'user' || typeof lastUser.content === 'string') return undefined;
  if (!lastUser.content.some((block) => block.type === 'tool_result')) return undefined;
  const index = body.messages.length - 2;
  const assistant = body.messages[index];
  if (assistant?.role !== 'assistant' || typeof assistant.content === 'string' || assistant.content.length === 0) return undefined;
  return { index, content: assistant.content };
}
