/**
 * The scripted model server, driven by the real Anthropic SDK: what the SDK sees must be what it would
 * see from the real API (content, usage, error classes, headers), and what the server records must be
 * what the worker sent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import { RUN_HEADER, TURN_HEADER } from '../../src/shared/constants';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import { loadScenarioDir, loadScenarioFile, routeScenario, type Scenario, type TurnContext } from '../../src/dev/scenario';
import { countInputTokens, countOutputTokens, minCacheableTokens, PromptCache } from '../../src/dev/token-count';

const MODEL = 'claude-sonnet-4-6';
const TOOLS: Anthropic.Tool[] = [{ name: 'search_flights', description: 'Find flights', input_schema: { type: 'object', properties: {} } }];

const travel: Scenario = {
  name: 'travel',
  match: { runIdPrefix: 'travel-', taskIncludes: 'Lisbon' },
  turns: [
    {
      content: [
        { type: 'text', text: 'Looking for flights.' },
        { type: 'tool_use', name: 'search_flights', input: { from: 'LHR', to: 'LIS', date: '2026-05-14' } },
      ],
    },
    { content: [{ type: 'text', text: 'Flight TP-1234 is booked.' }] },
  ],
};

const flaky: Scenario = {
  name: 'flaky',
  match: { runIdPrefix: 'flaky-' },
  turns: [
    {
      error: { status: 429, message: 'slow down', retryAfter: 2, times: 1 },
      content: [{ type: 'text', text: 'ok after 429' }],
    },
    { error: { status: 400, message: 'prompt is too long' } },
    { error: { status: 529, times: 1 }, content: [{ type: 'text', text: 'ok after 529' }] },
    { error: { dropConnection: true, times: 1 }, content: [{ type: 'text', text: 'ok after drop' }] },
    { delayMs: [400, 0], content: [{ type: 'text', text: 'ok after a slow attempt' }] },
    {
      error: { status: 529, midStream: true, times: 1 },
      content: [{ type: 'text', text: 'ok after mid-stream error' }],
    },
  ],
};

let server: ModelServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startModelServer({ scenarios: [travel, flaky] });
  client = new Anthropic({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
});

function headersFor(runId: string, turn: number) {
  return { headers: { [RUN_HEADER]: runId, [TURN_HEADER]: String(turn) } };
}

function firstTurn(task = 'Book me a trip to Lisbon'): Anthropic.MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: 1024, tools: TOOLS, messages: [{ role: 'user', content: task }] };
}

async function rejection(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (err) {
    return err as APIError;
  }
  throw new Error('expected the request to fail');
}

describe('answers', () => {
  test('a JSON turn carries the scripted content, a toolu_ id and deterministic usage', async () => {
    const body = firstTurn();
    const message = await client.messages.create(body, headersFor('travel-json', 1));

    expect(message.stop_reason).toBe('tool_use');
    expect(message.model).toBe(MODEL);
    expect(message.content).toEqual([
      { type: 'text', text: 'Looking for flights.' },
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_[0-9A-Za-z]{24}$/),
        name: 'search_flights',
        input: { from: 'LHR', to: 'LIS', date: '2026-05-14' },
      },
    ]);
    expect(message.usage).toMatchObject({
      input_tokens: countInputTokens(body),
      output_tokens: countOutputTokens(message.content),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
    const record = server.requests.at(-1)!;
    expect(record).toMatchObject({
      runId: 'travel-json',
      turn: 1,
      attempt: 1,
      scenario: 'travel',
      status: 200,
      stream: false,
    });
    expect(record.headers['x-api-key']).toBeUndefined();
    expect(message._request_id).toBe(record.requestId);
  });

  test('a streamed turn sends the API events in order and assembles into the same message', async () => {
    const body = firstTurn();
    const events: string[] = [];
    const stream = client.messages.stream(body, headersFor('travel-stream', 1));
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();

    expect(message.content).toEqual([
      { type: 'text', text: 'Looking for flights.' },
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'search_flights',
        input: { from: 'LHR', to: 'LIS', date: '2026-05-14' },
      },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({
      input_tokens: countInputTokens(body),
      output_tokens: countOutputTokens(message.content),
    });
    const collapsed = events.filter((type, index) => type !== events[index - 1]);
    expect(collapsed).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(server.requests.at(-1)).toMatchObject({ stream: true, status: 200 });
  });

  test('turn 2 plays the second entry; past the last entry the run is told to end', async () => {
    const first = await client.messages.create(firstTurn(), headersFor('travel-turns', 1));
    const toolUse = first.content.find((block) => block.type === 'tool_use')!;
    const second = await client.messages.create(
      {
        ...firstTurn(),
        messages: [
          { role: 'user', content: 'Book me a trip to Lisbon' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '[]' }] },
        ],
      },
      headersFor('travel-turns', 2),
    );
    expect(second.content).toEqual([{ type: 'text', text: 'Flight TP-1234 is booked.' }]);
    expect(second.stop_reason).toBe('end_turn');

    const third = await client.messages.create(firstTurn(), headersFor('travel-turns', 3));
    expect(third.content).toEqual([{ type: 'text', text: 'Scenario "travel" has no turn 3; ending the run.' }]);
    expect(third.stop_reason).toBe('end_turn');
  });

  test('without the turn header, the turn is 1 + the number of assistant messages', async () => {
    await client.messages.create(
      {
        ...firstTurn(),
        tools: undefined,
        messages: [
          { role: 'user', content: 'Book me a trip to Lisbon' },
          { role: 'assistant', content: 'Which dates?' },
          { role: 'user', content: 'Mid May.' },
        ],
      },
      { headers: { [RUN_HEADER]: 'travel-no-turn' } },
    );
    expect(server.requests.at(-1)).toMatchObject({ runId: 'travel-no-turn', turn: 2, attempt: 1 });
  });

  test('count_tokens answers the same input count as a turn', async () => {
    const body = firstTurn();
    const counted = await client.messages.countTokens({ model: MODEL, tools: TOOLS, messages: body.messages });
    expect(counted.input_tokens).toBe(countInputTokens(body));
  });
});

describe('injected errors', () => {
  test('a 429 with retryAfter 2 is a RateLimitError with retry-after: 2; the retry of the turn succeeds', async () => {
    const error = await rejection(client.messages.create(firstTurn(), headersFor('flaky-429', 1)));
    expect(error.name).toBe('RateLimitError');
    expect(error.status).toBe(429);
    expect(error.headers?.get('retry-after')).toBe('2');
    expect(error.type).toBe('rate_limit_error');
    expect(error.apiMessage).toBe('slow down');
    expect(error.error).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
      request_id: error.requestID,
    });
    expect(error.requestID).toMatch(/^req_/);

    const retried = await client.messages.create(firstTurn(), headersFor('flaky-429', 1));
    expect(retried.content).toEqual([{ type: 'text', text: 'ok after 429' }]);
    const attempts = server.requests.filter((r) => r.runId === 'flaky-429').map((r) => [r.attempt, r.status]);
    expect(attempts).toEqual([
      [1, 429],
      [2, 200],
    ]);
  });

  test('an error without times fails every attempt, as a BadRequestError for 400', async () => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const error = await rejection(client.messages.create(firstTurn(), headersFor('flaky-400', 2)));
      expect(error.name).toBe('BadRequestError');
      expect(error.status).toBe(400);
      expect(error.type).toBe('invalid_request_error');
      expect(error.apiMessage).toBe('prompt is too long');
    }
  });

  test('529 is an OverloadedError whose type is derived from the status', async () => {
    const error = await rejection(client.messages.create(firstTurn(), headersFor('flaky-529', 3)));
    expect(error.name).toBe('OverloadedError');
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
    expect(error.apiMessage).toBe('Overloaded (scripted: scenario "flaky", turn 3, attempt 1)');
  });

  test('dropConnection gives an APIConnectionError, then the turn answers', async () => {
    const error = await rejection(client.messages.create(firstTurn(), headersFor('flaky-drop', 4)));
    expect(error.name).toBe('APIConnectionError');
    expect(server.requests.filter((r) => r.runId === 'flaky-drop').map((r) => r.status)).toEqual([0]);

    const retried = await client.messages.create(firstTurn(), headersFor('flaky-drop', 4));
    expect(retried.content).toEqual([{ type: 'text', text: 'ok after drop' }]);
  });

  test('delayMs per attempt: a slow first attempt times out the client, the retry is quick', async () => {
    const options = { ...headersFor('flaky-slow', 5), timeout: 100 };
    const error = await rejection(client.messages.create(firstTurn(), options));
    expect(error.name).toBe('APIConnectionTimeoutError');
    const retried = await client.messages.create(firstTurn(), options);
    expect(retried.content).toEqual([{ type: 'text', text: 'ok after a slow attempt' }]);
  });

  test('midStream sends an SSE error event after a 200', async () => {
    const stream = client.messages.stream(firstTurn(), headersFor('flaky-midstream', 6));
    const error = await rejection(stream.finalMessage());
    expect(error.type).toBe('overloaded_error');
    expect(error.status).toBeUndefined();
    const retried = await client.messages.stream(firstTurn(), headersFor('flaky-midstream', 6)).finalMessage();
    expect(retried.content).toEqual([{ type: 'text', text: 'ok after mid-stream error' }]);
  });
});

describe('request validation, as strict as the API', () => {
  async function badRequest(body: unknown): Promise<string | null> {
    const error = await rejection(client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming, headersFor('travel-invalid', 1)));
    expect(error.name).toBe('BadRequestError');
    expect(error.type).toBe('invalid_request_error');
    return error.apiMessage;
  }

  test('missing fields', async () => {
    const hi = [{ role: 'user', content: 'hi' }];
    expect(await badRequest({ max_tokens: 10, messages: hi })).toBe('model: Field required');
    expect(await badRequest({ model: MODEL, messages: hi })).toBe('max_tokens: Field required');
    expect(await badRequest({ model: MODEL, max_tokens: 10 })).toBe('messages: Field required');
    expect(await badRequest({ ...firstTurn(), tools: [{ name: 'x' }] })).toBe('tools.0.input_schema: Field required');
    const unnamed = [{ input_schema: { type: 'object' } }];
    expect(await badRequest({ ...firstTurn(), tools: unnamed })).toBe('tools.0.name: Field required');
  });

  test('first message not from the user, and roles that do not alternate', async () => {
    expect(await badRequest({ ...firstTurn(), messages: [{ role: 'assistant', content: 'hi' }] })).toBe('messages: first message must use the "user" role');
    expect(
      await badRequest({
        ...firstTurn(),
        messages: [
          { role: 'user', content: 'Lisbon?' },
          { role: 'user', content: 'hello?' },
        ],
      }),
    ).toBe('messages.1: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row');
  });

  test('a tool_result without its tool_use in the previous message', async () => {
    const message = await badRequest({
      ...firstTurn(),
      messages: [
        { role: 'user', content: 'Lisbon?' },
        { role: 'assistant', content: [{ type: 'text', text: 'Searching.' }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_gone', content: '[]' }] },
      ],
    });
    expect(message).toBe(
      'messages.2.content.0: unexpected tool_use_id found in tool_result blocks: toolu_gone. ' +
        'Each tool_result block must have a corresponding tool_use block in the previous message.',
    );
  });

  test('a tool_use not answered in the next user message', async () => {
    const message = await badRequest({
      ...firstTurn(),
      messages: [
        { role: 'user', content: 'Lisbon?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_a', name: 'search_flights', input: {} },
            { type: 'tool_use', id: 'toolu_b', name: 'search_flights', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: '[]' }] },
      ],
    });
    expect(message).toBe(
      'messages.1: tool_use ids were found without tool_result blocks immediately after: toolu_b. ' +
        'Each tool_use block must have a corresponding tool_result block in the next message.',
    );
  });

  test('a bad turn header is rejected; an invalid request is not counted as an attempt', async () => {
    const error = await rejection(client.messages.create(firstTurn(), headersFor('travel-bad-turn', 0)));
    expect(error.apiMessage).toBe('x-sagent-turn: header must be a positive integer, got "0"');
    expect(server.requests.at(-1)).toMatchObject({ status: 400, attempt: null });
  });
});

describe('prompt caching', () => {
  test('a repeated cached prefix is read, not written again, and input_tokens shrinks', async () => {
    const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: 'You are a travel agent. '.repeat(200), cache_control: { type: 'ephemeral' } }];
    const body = { ...firstTurn(), system };
    const first = await client.messages.create(body, headersFor('travel-cache-1', 1));
    const second = await client.messages.create(body, headersFor('travel-cache-2', 1));
    const total = countInputTokens(body);

    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(first.usage.input_tokens + (first.usage.cache_creation_input_tokens ?? 0)).toBe(total);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.input_tokens).toBe(first.usage.input_tokens);
    expect(second.usage.input_tokens).toBeLessThan(total - 1024);
  });

  test('a breakpoint moved to the end of a longer conversation reads the earlier prefix (20-block lookback)', () => {
    const cache = new PromptCache();
    const task = 'Plan a trip. '.repeat(400);
    const turn1 = {
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: task, cache_control: { type: 'ephemeral' } }] }],
    };
    const written = cache.account(turn1).cache_creation_input_tokens;
    expect(written).toBe(countInputTokens(turn1));

    const turn2 = {
      model: MODEL,
      messages: [
        { role: 'user', content: [{ type: 'text', text: task }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Sure.' }] },
        { role: 'user', content: [{ type: 'text', text: 'To Lisbon.', cache_control: { type: 'ephemeral' } }] },
      ],
    };
    const usage = cache.account(turn2);
    expect(usage.cache_read_input_tokens).toBe(written);
    expect(usage.input_tokens).toBe(0);
    expect(usage.cache_creation_input_tokens).toBe(countInputTokens(turn2) - written);
    expect(new PromptCache().account({ ...turn2, model: 'another-model' }).cache_read_input_tokens).toBe(0);
  });

  test("a prefix shorter than the model's minimum is neither written nor read", () => {
    const cache = new PromptCache();
    const system = (words: number) => [{ type: 'text', text: 'Be brief. '.repeat(words), cache_control: { type: 'ephemeral' } }];
    const short = { model: MODEL, system: system(100), messages: [{ role: 'user', content: 'Hi' }] };
    expect(minCacheableTokens(MODEL)).toBe(1024);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(cache.account(short)).toEqual({ input_tokens: countInputTokens(short), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    }
    const long = { ...short, system: system(500) };
    expect(cache.account(long).cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(cache.account(long).cache_read_input_tokens).toBeGreaterThan(1024);
    // The same prefix is too short for a model whose minimum is 4096 tokens.
    expect(cache.account({ ...long, model: 'claude-opus-4-6' }).cache_creation_input_tokens).toBe(0);
  });
});

describe('routing', () => {
  let routed: ModelServer;
  let routedClient: Anthropic;
  const reply = (text: string): Scenario => ({ name: text, respond: () => ({ content: [{ type: 'text', text }] }) });

  beforeAll(async () => {
    routed = await startModelServer({
      scenarios: [
        { ...reply('by-prefix'), match: { runIdPrefix: 'alpha-' } },
        { ...reply('by-task'), match: { taskIncludes: 'porto' } },
      ],
    });
    routedClient = new Anthropic({ apiKey: 'test', baseURL: routed.url, maxRetries: 0 });
  });
  afterAll(() => routed.close());

  const textOf = (message: Anthropic.Message) => (message.content[0] as Anthropic.TextBlock).text;

  test('by run id prefix first, then by task text (ignoring case)', async () => {
    const ask = (runId: string) => routedClient.messages.create(firstTurn('Trip to Porto'), headersFor(runId, 1));
    expect(textOf(await ask('alpha-1'))).toBe('by-prefix');
    expect(textOf(await ask('beta-1'))).toBe('by-task');
  });

  test('no match is a 400 naming the run and the task', async () => {
    const error = await rejection(routedClient.messages.create(firstTurn('Trip to Faro'), headersFor('beta-2', 1)));
    expect(error.name).toBe('BadRequestError');
    expect(error.apiMessage).toBe('scripted model server: no scenario matched run "beta-2" with task "Trip to Faro" (loaded: by-prefix, by-task)');
  });

  test('respond(ctx) sees the run, turn, attempt and the parsed tool results of the last user message', async () => {
    const seen: TurnContext[] = [];
    routed.addScenario({
      name: 'spy',
      match: { runIdPrefix: 'spy-' },
      respond: (ctx) => {
        seen.push(ctx);
        return { content: [{ type: 'text', text: 'done' }] };
      },
    });
    await routedClient.messages.create(
      {
        ...firstTurn('Trip'),
        messages: [
          { role: 'user', content: 'Trip' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'search_flights', input: {} }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"flights":2}', is_error: false }],
          },
        ],
      },
      headersFor('spy-1', 7),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ runId: 'spy-1', turn: 7, attempt: 1, task: 'Trip' });
    expect(seen[0].lastToolResults).toEqual([{ tool_use_id: 'toolu_1', name: 'search_flights', is_error: false, text: '{"flights":2}', json: { flights: 2 } }]);
    expect(() => routed.addScenario(reply('spy'))).toThrow('scenario "spy" is already loaded');
  });
});

describe('scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sagent-scenarios-'));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('a malformed file names the file and the exact path of the problem, in one line', () => {
    const file = write(
      'bad.json',
      JSON.stringify({
        name: 'bad',
        turns: [{ content: [{ type: 'tool_use', name: 'search_flights', input: 'LIS' }] }],
      }),
    );
    expect(() => loadScenarioFile(file)).toThrow(new Error(`scenario file ${file}: turns[0].content[0].input: expected object, received string`));
  });

  test('an error with times and no content, unreadable JSON and a missing file are one-line errors too', () => {
    const noContent = write('times.json', JSON.stringify({ name: 't', turns: [{ error: { status: 429, times: 1 } }] }));
    expect(() => loadScenarioFile(noContent)).toThrow(new Error(`scenario file ${noContent}: turns[0].content: required: attempts after error.times play it`));
    const notJson = write('broken.json', '{ "name": "broken",\n  "turns": [ }');
    expect(() => loadScenarioFile(notJson)).toThrow(/^scenario file .*broken\.json: not valid JSON \([^\n]+\)$/);
    expect(() => loadScenarioFile(join(dir, 'missing.json'))).toThrow(/^scenario file .*missing\.json: cannot read it \(ENOENT[^\n]+\)$/);
  });

  test('the CLI prints the one-line error and exits 1 without a stack trace', () => {
    const file = write('cli.json', JSON.stringify({ name: 'cli', turns: [] }));
    const root = join(__dirname, '..', '..');
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const result = spawnSync(tsx, ['src/dev/model-server.ts', '--scenarios', file], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`scenario file ${file}: turns: Too small: expected array to have >=1 items\n`);
  });

  test('the demo scenarios load and route the demo tasks', () => {
    const scenarios = loadScenarioDir(join(__dirname, '..', '..', 'src', 'demo', 'scenarios'));
    expect(scenarios.map((s) => s.name)).toEqual([
      'delegated-payment-lisbon',
      'delegated-payment-porto',
      'delegated-trip-lisbon',
      'delegated-trip-porto',
      'happy-trip',
      'notes',
      'slice',
      'trip-notes',
      'unlucky-trip',
    ]);
    const route = (task: string, runId: string | null = null) => routeScenario(scenarios, { runId, task })?.name;
    expect(route('Book a trip to Lisbon for Ada')).toBe('happy-trip');
    expect(route('Book a trip to Porto for Grace')).toBe('unlucky-trip');
    expect(route("What's the weather in Lisbon?")).toBe('slice');
    expect(route('anything', 'unlucky-42')).toBe('unlucky-trip');

    const happy = scenarios.find((s) => s.name === 'happy-trip') as { turns: { content: { name?: string }[] }[] };
    expect(happy.turns.map((turn) => turn.content.flatMap((block) => (block.name ? [block.name] : [])))).toEqual([
      ['search_flights'],
      ['book_flight', 'book_hotel', 'rent_car'],
      ['charge_card'],
      ['send_email'],
      [],
    ]);
  });
});

describe('outages and revoked keys', () => {
  afterEach(() => {
    server.setOutage(null);
    server.revokeKeys([]);
  });

  test('an outage answers every request 529 overloaded_error until switched off over the admin endpoint', async () => {
    const admin = await fetch(`${server.url}/admin/outage`, { method: 'POST', body: JSON.stringify({}) });
    expect(admin.status).toBe(200);
    const error = await rejection(client.messages.create(firstTurn(), headersFor('travel-outage', 1)));
    expect([error.name, error.status, error.type]).toEqual(['OverloadedError', 529, 'overloaded_error']);
    expect(server.requests.filter((r) => r.runId === 'travel-outage').map((r) => [r.turn, r.errorType])).toEqual([[1, 'overloaded_error']]);

    expect((await fetch(`${server.url}/admin/outage`, { method: 'DELETE' })).status).toBe(200);
    const answered = await client.messages.create(firstTurn(), headersFor('travel-outage', 1));
    expect(answered.content[0]).toMatchObject({ type: 'text', text: 'Looking for flights.' });
  });

  test('an outage of one model leaves the others up, and one with a duration ends by itself', async () => {
    server.setOutage({ models: [MODEL], durationMs: 300 });
    expect((await rejection(client.messages.create(firstTurn(), headersFor('travel-one-model', 1)))).status).toBe(529);
    const other = await client.messages.create({ ...firstTurn(), model: 'claude-haiku-4-5' }, headersFor('travel-one-model', 1));
    expect(other.model).toBe('claude-haiku-4-5');
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await client.messages.create(firstTurn(), headersFor('travel-one-model-later', 1))).model).toBe(MODEL);
  });

  test('a bad outage or key list is refused with what to fix', async () => {
    const outage = await fetch(`${server.url}/admin/outage`, { method: 'POST', body: JSON.stringify({ status: 200 }) });
    expect(outage.status).toBe(400);
    expect(((await outage.json()) as { error: { message: string } }).error.message).toMatch(/outage\.status: an HTTP error status/);
    const keys = await fetch(`${server.url}/admin/revoked-keys`, { method: 'PUT', body: JSON.stringify({ keys: 'test' }) });
    expect(keys.status).toBe(400);
  });

  test('a revoked key is answered 401 authentication_error; restored, it works again', async () => {
    const revoked = await fetch(`${server.url}/admin/revoked-keys`, { method: 'PUT', body: JSON.stringify({ keys: ['test'] }) });
    expect(revoked.status).toBe(200);
    const error = await rejection(client.messages.create(firstTurn(), headersFor('travel-revoked', 1)));
    expect([error.name, error.status, error.type]).toEqual(['AuthenticationError', 401, 'authentication_error']);
    const other = new Anthropic({ apiKey: 'another', baseURL: server.url, maxRetries: 0 });
    expect((await other.messages.create(firstTurn(), headersFor('travel-revoked-other', 1))).model).toBe(MODEL);
    server.revokeKeys([]);
    expect((await client.messages.create(firstTurn(), headersFor('travel-revoked', 1))).model).toBe(MODEL);
  });
});
