/**
 * The scripted model server plays extended thinking as the Messages API does: signed thinking blocks in JSON and
 * SSE answers, and a 400 invalid_request_error for a tool-use continuation that drops or alters them.
 */
import Anthropic from '@anthropic-ai/sdk';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import { RUN_HEADER, TURN_HEADER } from '../../src/shared/constants';

let server: ModelServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startModelServer({
    scenarios: [
      {
        name: 'think',
        match: { taskIncludes: 'think' },
        turns: [
          {
            content: [
              { type: 'text', text: 'Looking.' },
              { type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } },
            ],
          },
          { content: [{ type: 'text', text: 'Sunny.' }] },
        ],
        afterLastTurn: 'end_turn',
      },
    ],
  });
  client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
});
afterAll(() => server.close());

const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];
const thinking = { type: 'enabled', budget_tokens: 1024 } as const;
const task: Anthropic.MessageParam = { role: 'user', content: 'think about the weather in Lisbon' };

async function firstTurn(runId: string, stream: boolean): Promise<Anthropic.Message> {
  const params = { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking, tools, messages: [task] };
  const options = { headers: { [RUN_HEADER]: runId, [TURN_HEADER]: '1' } };
  return stream ? client.messages.stream(params, options).finalMessage() : client.messages.create(params, options);
}

function continuation(runId: string, assistant: Anthropic.ContentBlockParam[], toolUseId: string) {
  return client.messages.create(
    {
      model: 'claude-sonnet-4-6',
      max_tokens: 2048,
      thinking,
      tools,
      messages: [
        task,
        { role: 'assistant', content: assistant },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: '{"c":"sunny"}' }] },
      ],
    },
    { headers: { [RUN_HEADER]: runId, [TURN_HEADER]: '2' } },
  );
}

describe.each([
  ['JSON', false],
  ['SSE', true],
])('over %s', (_label, stream) => {
  it('opens the answer with a signed thinking block, and accepts it given back unchanged', async () => {
    const runId = `think-ok-${stream}`;
    const first = await firstTurn(runId, stream);
    expect(first.content.map((block) => block.type)).toEqual(['thinking', 'text', 'tool_use']);
    const block = first.content[0] as Anthropic.ThinkingBlock;
    expect(block.thinking).toBe('Turn 1: I will answer, call get_weather.');
    expect(block.signature.length).toBeGreaterThan(20);
    const toolUse = first.content[2] as Anthropic.ToolUseBlock;
    const next = await continuation(runId, first.content as Anthropic.ContentBlockParam[], toolUse.id);
    expect(next.content.map((b) => b.type)).toEqual(['thinking', 'text']);
  });

  it('refuses a continuation that drops the thinking block, or alters its text or signature', async () => {
    const runId = `think-bad-${stream}`;
    const first = await firstTurn(runId, stream);
    const [block, text, toolUse] = first.content as [Anthropic.ThinkingBlock, Anthropic.TextBlock, Anthropic.ToolUseBlock];
    const refusal = (assistant: Anthropic.ContentBlockParam[]) => continuation(runId, assistant, toolUse.id).catch((err: unknown) => err);
    const dropped = await refusal([text, toolUse]);
    expect(dropped).toMatchObject({ status: 400, error: { error: { type: 'invalid_request_error' } } });
    expect((dropped as Error).message).toMatch(/Expected `thinking` or `redacted_thinking`, but found `text`/);
    const altered = await refusal([{ ...block, thinking: `${block.thinking} (edited)` }, text, toolUse]);
    expect(altered).toMatchObject({ status: 400 });
    expect((altered as Error).message).toMatch(/Invalid `signature` in `thinking` block/);
    const forged = await refusal([{ ...block, signature: 'AAAA' }, text, toolUse]);
    expect((forged as Error).message).toMatch(/Invalid `signature` in `thinking` block/);
  });
});

it('refuses a thinking budget the answer has no room for', async () => {
  const failure = await client.messages
    .create({ model: 'claude-sonnet-4-6', max_tokens: 1024, thinking, messages: [task] }, { headers: { [RUN_HEADER]: 'think-budget', [TURN_HEADER]: '1' } })
    .catch((err: unknown) => err);
  expect(failure).toMatchObject({ status: 400 });
  expect((failure as Error).message).toMatch(/`max_tokens` must be greater than `thinking.budget_tokens`/);
});
