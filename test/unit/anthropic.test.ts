/**
 * The SDK edge: requests carry JSON Schema tools and at most four cache breakpoints, and answers come back as
 * plain wire types with usage and cost.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { fromMessage, toolInputSchema, toParams, type ModelRequest } from '../../src/models/anthropic';
import { appendTurn, buildContext, DEFAULT_CONTEXT, newConversation, type ConversationTurn } from '../../src/policies/context';
import type { MessageParam } from '../../src/shared/wire';
import { defineAgent, defineTool } from '../../src/tools/define';

const searchHotels = defineTool({
  name: 'search_hotels',
  description: 'Find hotels in a city',
  input: z.object({ city: z.string().min(1), nights: z.number().int().min(1).optional() }),
  risk: 'read',
});
const bookHotel = defineTool({
  name: 'book_hotel',
  description: 'Book a hotel room',
  input: z.object({ hotelId: z.string() }),
  risk: 'reversible',
  compensation: 'cancel_hotel',
  strict: true,
});
const agent = defineAgent({ name: 'travel', description: 'Books trips', system: 'You book trips. Be brief.', tools: [searchHotels, bookHotel] });

const EPHEMERAL = { type: 'ephemeral' };

function request(messages: MessageParam[], toolNames = ['search_hotels', 'book_hotel', 'abort']): ModelRequest {
  return { model: 'claude-sonnet-4-6', maxTokens: 1024, agent, toolNames, messages, runId: 'run-1', turn: 1 };
}

function turn(n: number): ConversationTurn {
  return {
    turn: n,
    assistant: [
      { type: 'text', text: `Looking (${n}).` },
      { type: 'tool_use', id: `toolu_${n}`, name: 'search_hotels', input: { city: 'Lisbon' } },
    ],
    results: [{ type: 'tool_result', tool_use_id: `toolu_${n}`, content: `[{"id":"H${n}"}]` }],
  };
}

function contextAfter(turns: number): MessageParam[] {
  let conversation = newConversation('Book a hotel in Lisbon.');
  for (let n = 1; n <= turns; n++) conversation = appendTurn(conversation, turn(n), DEFAULT_CONTEXT);
  return buildContext(conversation);
}

/** Every cache_control in the request, by where it sits. */
function breakpoints(params: Anthropic.MessageCreateParamsNonStreaming): string[] {
  const found: string[] = [];
  (params.tools ?? []).forEach((tool, index) => {
    if ('cache_control' in tool && tool.cache_control) found.push(`tools[${index}]`);
  });
  const system = Array.isArray(params.system) ? params.system : [];
  system.forEach((block, index) => {
    if (block.cache_control) found.push(`system[${index}]`);
  });
  params.messages.forEach((message, index) => {
    const blocks = typeof message.content === 'string' ? [] : message.content;
    blocks.forEach((block, blockIndex) => {
      if ('cache_control' in block && block.cache_control) found.push(`messages[${index}].content[${blockIndex}]`);
    });
  });
  return found;
}

describe('toolInputSchema', () => {
  it('converts zod to JSON Schema without the $schema key', () => {
    expect(toolInputSchema(searchHotels.input)).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        nights: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      },
      required: ['city'],
      additionalProperties: false,
    });
  });

  it('computes a tool schema once', () => {
    expect(toolInputSchema(bookHotel.input)).toBe(toolInputSchema(bookHotel.input));
  });
});

describe('toParams', () => {
  it('sends the model, the token limit and the system prompt as one cached block', () => {
    const params = toParams(request(contextAfter(0)));
    expect(params.model).toBe('claude-sonnet-4-6');
    expect(params.max_tokens).toBe(1024);
    expect(params.system).toEqual([{ type: 'text', text: 'You book trips. Be brief.', cache_control: EPHEMERAL }]);
  });

  it('offers the named tools in order, with JSON Schema, strict where declared, cached by the system prompt after them', () => {
    const params = toParams(request(contextAfter(0)));
    expect(params.tools).toEqual([
      { name: 'search_hotels', description: 'Find hotels in a city', input_schema: toolInputSchema(searchHotels.input) },
      { name: 'book_hotel', description: 'Book a hotel room', input_schema: toolInputSchema(bookHotel.input), strict: true },
      {
        name: 'abort',
        description: expect.stringContaining('Give up on the task'),
        input_schema: {
          type: 'object',
          properties: { reason: { type: 'string', minLength: 1, maxLength: 2000, description: expect.stringContaining('cannot be completed') } },
          required: ['reason'],
          additionalProperties: false,
        },
      },
    ]);
    expect(JSON.stringify(params.tools)).not.toContain('$schema');
  });

  it('follows the order of toolNames, not the agent', () => {
    const params = toParams(request(contextAfter(0), ['book_hotel', 'search_hotels']));
    expect(params.tools?.map((tool) => ('name' in tool ? tool.name : null))).toEqual(['book_hotel', 'search_hotels']);
    expect(breakpoints(params)).toEqual(['system[0]', 'messages[0].content[0]']);
  });

  it('caches the opening message, the previous user message and the last message: four breakpoints in all', () => {
    const messages = contextAfter(3);
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(breakpoints(toParams(request(messages)))).toEqual(['system[0]', 'messages[0].content[0]', 'messages[4].content[0]', 'messages[6].content[0]']);
  });

  it('marks the end of the summary blocks, which a compaction only appends to', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 2, compactAfterBytes: 1, forceCompactAfterBytes: 1 };
    let conversation = newConversation('Book a hotel in Lisbon.');
    for (let n = 1; n <= 5; n++) conversation = appendTurn(conversation, turn(n), settings);
    const messages = buildContext(conversation);
    const opening = messages[0].content as unknown[];
    expect(opening.length).toBeGreaterThan(2);
    expect(breakpoints(toParams(request(messages)))).toEqual([
      'system[0]',
      `messages[0].content[${opening.length - 1}]`,
      'messages[2].content[0]',
      'messages[4].content[0]',
    ]);
  });

  it('marks the last block of a marked message, not the first', () => {
    const messages: MessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'task' },
          { type: 'text', text: 'summary' },
        ],
      },
    ];
    expect(toParams(request(messages)).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'task' },
          { type: 'text', text: 'summary', cache_control: EPHEMERAL },
        ],
      },
    ]);
  });

  it('never uses more than four breakpoints, however long the conversation', () => {
    for (let turns = 0; turns <= 30; turns++) {
      const params = toParams(request(contextAfter(turns)));
      expect(breakpoints(params).length).toBeLessThanOrEqual(4);
      expect(breakpoints(params).slice(0, 2)).toEqual(['system[0]', 'messages[0].content[0]']);
    }
  });

  it('keeps the messages in order and otherwise unchanged, and does not mutate them', () => {
    const messages = contextAfter(2);
    const before = JSON.parse(JSON.stringify(messages)) as MessageParam[];
    const sent = toParams(request(messages)).messages;
    const strip = (value: unknown) => JSON.parse(JSON.stringify(value).replace(/,"cache_control":\{"type":"ephemeral"\}/g, '')) as unknown;
    expect(strip(sent)).toEqual(before);
    expect(messages).toEqual(before);
  });

  it('turns string content into a text block', () => {
    const sent = toParams(request([{ role: 'user', content: 'hello' }])).messages;
    expect(sent).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hello', cache_control: EPHEMERAL }] }]);
  });
});

describe('fromMessage', () => {
  function message(overrides: Record<string, unknown> = {}): Anthropic.Message {
    return {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'text', text: 'Searching.', citations: null },
        { type: 'tool_use', id: 'toolu_1', name: 'search_hotels', input: { city: 'Lisbon' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 1000,
        output_tokens: 200,
        cache_read_input_tokens: 5000,
        cache_creation_input_tokens: null,
        cache_creation: null,
        server_tool_use: null,
        service_tier: 'standard',
      },
      ...overrides,
    } as unknown as Anthropic.Message;
  }

  it('keeps text, tool_use and thinking blocks as wire types, the thinking with its signature', () => {
    expect(fromMessage('claude-sonnet-4-6', message(), 'req_1').content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: 'Searching.' },
      { type: 'tool_use', id: 'toolu_1', name: 'search_hotels', input: { city: 'Lisbon' } },
    ]);
  });

  it('maps usage, null counts to zero, and computes the cost', () => {
    // (1000 + 5000 * 0.1) * $3 + 200 * $15 per million tokens = $0.0075.
    expect(fromMessage('claude-sonnet-4-6', message(), 'req_1')).toEqual({
      model: 'claude-sonnet-4-6',
      content: expect.any(Array),
      stop_reason: 'tool_use',
      usage: { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 5000 },
      cost_usd: 0.0075,
      request_id: 'req_1',
    });
  });

  it('reports the model the API answered with', () => {
    expect(fromMessage('claude-sonnet-4-6', message({ model: 'claude-sonnet-4-6-20260101' }), null)).toMatchObject({
      model: 'claude-sonnet-4-6-20260101',
      request_id: null,
    });
  });

  it.each(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded'])(
    'keeps the known stop reason %s',
    (stopReason) => {
      expect(fromMessage('claude-sonnet-4-6', message({ stop_reason: stopReason }), null).stop_reason).toBe(stopReason);
    },
  );

  it.each([
    ['an unknown stop reason', 'something_new'],
    ['no stop reason', null],
  ])('maps %s to null', (_label, stopReason) => {
    expect(fromMessage('claude-sonnet-4-6', message({ stop_reason: stopReason }), null).stop_reason).toBeNull();
  });
});

describe('thinking', () => {
  const base = { name: 'thinker', description: 'Thinks', system: 'Think.', tools: [searchHotels] };
  it('asks for a budget on top of the answer, or for adaptive thinking where the model decides', () => {
    const budgeted = toParams({
      ...request([{ role: 'user', content: 'hi' }], ['search_hotels']),
      agent: defineAgent({ ...base, thinking: { budgetTokens: 4096 } }),
    });
    expect(budgeted).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 1024 + 4096 });
    const adaptive = toParams({
      ...request([{ role: 'user', content: 'hi' }], ['search_hotels']),
      model: 'claude-opus-4-7',
      agent: defineAgent({ ...base, thinking: 'adaptive' }),
    });
    expect(adaptive).toMatchObject({ thinking: { type: 'adaptive' }, max_tokens: 1024 });
    expect(toParams(request([{ role: 'user', content: 'hi' }])).thinking).toBeUndefined();
  });

  it('refuses a budget below the API minimum, with what to give instead', () => {
    expect(() => defineAgent({ ...base, thinking: { budgetTokens: 512 } })).toThrow(
      /thinking must be 'adaptive' or \{ budgetTokens: n \} with a whole n of at least 1024, got \{"budgetTokens":512\}/,
    );
  });
});
