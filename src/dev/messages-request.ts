/**
 * Checks a Messages API request body the way the real API does, so a bug in how the project builds a
 * conversation (for example context compaction dropping a tool_use but keeping its tool_result) fails
 * offline exactly as it would fail against Claude. Messages follow the API's `path: problem` style.
 */

/** A request body that passed validation; only the fields the server reads are typed. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: RequestMessage[];
  system?: string | RequestBlock[];
  tools?: RequestTool[];
  stream?: boolean;
  [field: string]: unknown;
}

export interface RequestMessage {
  role: 'user' | 'assistant';
  content: string | RequestBlock[];
}

export interface RequestBlock {
  type: string;
  [field: string]: unknown;
}

export interface RequestTool {
  name: string;
  input_schema?: unknown;
  [field: string]: unknown;
}

export type RequestValidation = { success: true; data: MessagesRequest } | { success: false; error: string };

/** The API rejects more than this many `cache_control` markers in one request. */
export const MAX_CACHE_BREAKPOINTS = 4;

const KNOWN_BLOCK_TYPES = ['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'];
const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

/**
 * Validates a `POST /v1/messages` body (or, with `forCounting`, a `count_tokens` body, which has no
 * `max_tokens`). Returns the first problem found, as the API does.
 */
export function validateMessagesRequest(body: unknown, options: { forCounting?: boolean } = {}): RequestValidation {
  const error = findProblem(body, options.forCounting ?? false);
  return error === undefined ? { success: true, data: body as MessagesRequest } : { success: false, error };
}

function findProblem(body: unknown, forCounting: boolean): string | undefined {
  if (!isObject(body)) return 'request body must be a JSON object';
  if (body.model === undefined) return 'model: Field required';
  if (typeof body.model !== 'string' || body.model === '') return 'model: Input should be a non-empty string';
  if (!forCounting) {
    if (body.max_tokens === undefined) return 'max_tokens: Field required';
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
      return 'max_tokens: Input should be an integer greater than or equal to 1';
    }
    if (body.stream !== undefined && typeof body.stream !== 'boolean') return 'stream: Input should be a valid boolean';
  }
  if (body.messages === undefined) return 'messages: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
  if (body.messages.length === 0) return 'messages: at least one message is required';

  return (
    systemProblem(body.system) ??
    toolsProblem(body.tools, body.tool_choice) ??
    messagesShapeProblem(body.messages) ??
    conversationProblem(body.messages as RequestMessage[]) ??
    cacheControlProblem(body)
  );
}

function systemProblem(system: unknown): string | undefined {
  if (system === undefined || typeof system === 'string') return undefined;
  if (!Array.isArray(system)) return 'system: Input should be a valid string or a list of text blocks';
  for (const [index, block] of system.entries()) {
    if (!isObject(block) || block.type !== 'text') return `system.${index}.type: Input should be 'text'`;
    if (typeof block.text !== 'string') return `system.${index}.text: Field required`;
  }
  return undefined;
}

function toolsProblem(tools: unknown, toolChoice: unknown): string | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return 'tools: Input should be a valid list';
  const names = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    if (!isObject(tool)) return `tools.${index}: Input should be a valid dictionary`;
    if (tool.name === undefined) return `tools.${index}.name: Field required`;
    if (typeof tool.name !== 'string' || !TOOL_NAME_PATTERN.test(tool.name)) {
      return `tools.${index}.name: String should match pattern '${TOOL_NAME_PATTERN.source}'`;
    }
    // Server tools (`type: "web_search_20250305"` and the like) carry no input_schema.
    const isCustom = tool.type === undefined || tool.type === 'custom';
    if (isCustom && tool.input_schema === undefined) return `tools.${index}.input_schema: Field required`;
    if (isCustom && (!isObject(tool.input_schema) || tool.input_schema.type !== 'object')) {
      return `tools.${index}.input_schema.type: Input should be 'object'`;
    }
    if (names.has(tool.name)) return `tools: Tool names must be unique, found "${tool.name}" twice`;
    names.add(tool.name);
  }
  if (isObject(toolChoice) && toolChoice.type === 'tool' && !names.has(String(toolChoice.name))) {
    return `tool_choice.name: Tool '${String(toolChoice.name)}' not found in tools`;
  }
  return undefined;
}

function messagesShapeProblem(messages: unknown[]): string | undefined {
  for (const [index, message] of messages.entries()) {
    const at = `messages.${index}`;
    if (!isObject(message)) return `${at}: Input should be a valid dictionary`;
    if (message.role !== 'user' && message.role !== 'assistant') {
      return `${at}.role: Input should be 'user' or 'assistant'`;
    }
    if (message.content === undefined) return `${at}.content: Field required`;
    const isFinalAssistant = index === messages.length - 1 && message.role === 'assistant';
    if (typeof message.content === 'string') {
      if (message.content === '' && !isFinalAssistant) {
        return `${at}: all messages must have non-empty content except for the optional final assistant message`;
      }
      continue;
    }
    if (!Array.isArray(message.content)) return `${at}.content: Input should be a valid string or list of blocks`;
    if (message.content.length === 0 && !isFinalAssistant) {
      return `${at}: all messages must have non-empty content except for the optional final assistant message`;
    }
    for (const [blockIndex, block] of message.content.entries()) {
      const problem = blockProblem(block, message.role, `${at}.content.${blockIndex}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function blockProblem(block: unknown, role: 'user' | 'assistant', at: string): string | undefined {
  if (!isObject(block)) return `${at}: Input should be a valid dictionary`;
  if (typeof block.type !== 'string' || !KNOWN_BLOCK_TYPES.includes(block.type)) {
    const expected = KNOWN_BLOCK_TYPES.join(', ');
    return `${at}.type: Input tag '${String(block.type)}' does not match any of the expected tags: ${expected}`;
  }
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') return `${at}.text: Field required`;
      if (block.text.trim() === '') return `${at}.text: text content blocks must contain non-whitespace text`;
      return undefined;
    case 'tool_use':
      if (role !== 'assistant') return `${at}: tool_use blocks can only appear in assistant messages`;
      if (typeof block.id !== 'string' || block.id === '') return `${at}.id: Field required`;
      if (typeof block.name !== 'string' || block.name === '') return `${at}.name: Field required`;
      if (!isObject(block.input)) return `${at}.input: Input should be a valid dictionary`;
      return undefined;
    case 'tool_result':
      if (role !== 'user') return `${at}: tool_result blocks can only appear in user messages`;
      if (typeof block.tool_use_id !== 'string' || block.tool_use_id === '') return `${at}.tool_use_id: Field required`;
      if (block.is_error !== undefined && typeof block.is_error !== 'boolean') {
        return `${at}.is_error: Input should be a valid boolean`;
      }
      return toolResultContentProblem(block.content, `${at}.content`);
    default:
      return undefined;
  }
}

function toolResultContentProblem(content: unknown, at: string): string | undefined {
  if (content === undefined || typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return `${at}: Input should be a valid string or list of blocks`;
  for (const [index, block] of content.entries()) {
    if (!isObject(block) || typeof block.type !== 'string') return `${at}.${index}.type: Field required`;
    if (block.type === 'text' && typeof block.text !== 'string') return `${at}.${index}.text: Field required`;
  }
  return undefined;
}

/** Roles alternate, the user speaks first, and every tool_use is answered in the very next message. */
function conversationProblem(messages: RequestMessage[]): string | undefined {
  if (messages[0].role !== 'user') return 'messages: first message must use the "user" role';
  const seenToolUseIds = new Set<string>();
  for (let index = 1; index < messages.length; index++) {
    if (messages[index].role === messages[index - 1].role) {
      return `messages.${index}: roles must alternate between "user" and "assistant", ` + `but found multiple "${messages[index].role}" roles in a row`;
    }
  }
  for (const [index, message] of messages.entries()) {
    const blocks = typeof message.content === 'string' ? [] : message.content;
    if (message.role === 'assistant') {
      for (const [blockIndex, block] of blocks.entries()) {
        if (block.type !== 'tool_use') continue;
        const id = block.id as string;
        if (seenToolUseIds.has(id)) {
          return `messages.${index}.content.${blockIndex}: tool_use ids must be unique, found "${id}" twice`;
        }
        seenToolUseIds.add(id);
      }
      const next = messages[index + 1];
      if (next === undefined) continue;
      const answered = new Set(toolResultIds(next));
      const unanswered = toolUseIds(message).filter((id) => !answered.has(id));
      if (unanswered.length > 0) {
        return (
          `messages.${index}: tool_use ids were found without tool_result blocks immediately after: ` +
          `${unanswered.join(', ')}. ` +
          'Each tool_use block must have a corresponding tool_result block in the next message.'
        );
      }
      continue;
    }
    const offered = new Set(index > 0 ? toolUseIds(messages[index - 1]) : []);
    for (const [blockIndex, block] of blocks.entries()) {
      if (block.type !== 'tool_result' || offered.has(block.tool_use_id as string)) continue;
      return (
        `messages.${index}.content.${blockIndex}: unexpected tool_use_id found in tool_result blocks: ` +
        `${String(block.tool_use_id)}. ` +
        'Each tool_result block must have a corresponding tool_use block in the previous message.'
      );
    }
  }
  return undefined;
}

function cacheControlProblem(body: Record<string, unknown>): string | undefined {
  const markers = countCacheControl(body.tools) + countCacheControl(body.system) + countCacheControl(body.messages);
  if (markers <= MAX_CACHE_BREAKPOINTS) return undefined;
  return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${markers}.`;
}

function countCacheControl(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countCacheControl(item), 0);
  if (!isObject(value)) return 0;
  const own = value.cache_control != null ? 1 : 0;
  return own + countCacheControl(value.content);
}

function toolUseIds(message: RequestMessage): string[] {
  if (typeof message.content === 'string') return [];
  return message.content.flatMap((block) => (block.type === 'tool_use' ? [block.id as string] : []));
}

function toolResultIds(message: RequestMessage): string[] {
  if (typeof message.content === 'string') return [];
  return message.content.flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id as string] : []));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
