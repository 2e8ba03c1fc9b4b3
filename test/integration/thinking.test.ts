/**
 * Extended thinking on the real dev server: a thinking agent runs five tool-use steps, a compaction and a
 * continue-as-new, while the scripted server checks every request as the API does (each tool-use continuation must
 * give back the turn's thinking block exactly, signature included, or it is refused with a 400).
 */
import type { Scenario } from '../../src/dev/scenario';
import { getStateQuery } from '../../src/shared/contracts';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

const cities = ['Lisbon', 'Porto', 'Madrid', 'Paris', 'Rome'];
const scenario = {
  name: 'thinking-five',
  match: { runIdPrefix: 'thinking-' },
  turns: [
    ...cities.map((city) => ({
      content: [
        { type: 'text', text: `Checking ${city}.` },
        { type: 'tool_use', name: 'get_weather', input: { city } },
      ],
    })),
    { content: [{ type: 'text', text: 'Lisbon is the warmest: go there.' }] },
  ],
  afterLastTurn: 'end_turn',
} as Scenario;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('thinking', [scenario]);
});
afterAll(() => harness?.stop());

type Block = { type: string; thinking?: string; signature?: string; text?: string };
type Body = { thinking?: unknown; max_tokens: number; messages: { role: string; content: Block[] | string }[] };

test('a thinking agent completes five tool-use steps through a compaction and a continue-as-new, every request accepted', async () => {
  const handle = await harness.start(`thinking-${Date.now()}`, {
    agent: 'scout',
    task: `Which of ${cities.join(', ')} is warmest today?`,
    // Compact after every turn but the last, and continue as new after three turns.
    context: { keepTurns: 1, compactAfterBytes: 64, forceCompactAfterBytes: 128 },
    continueAsNewAfterTurns: 3,
  });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'thinking-compacted');
  expect(outcome).toMatchObject({ status: 'completed', steps: 6, finalText: 'Lisbon is the warmest: go there.' });

  const requests = harness.model.requests.filter((request) => request.runId === handle.workflowId && request.path === '/v1/messages');
  expect(requests.map((request) => [request.turn, request.status])).toEqual([1, 2, 3, 4, 5, 6].map((turn) => [turn, 200]));
  for (const request of requests) {
    const body = request.body as Body;
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body.max_tokens).toBeGreaterThan(2048);
    expect(request.headers['anthropic-beta']).toContain('interleaved-thinking-2025-05-14');
  }
  // Each continuation gives back the previous turn's thinking block first, exactly as the server signed it.
  for (const request of requests.slice(1)) {
    const messages = (request.body as Body).messages;
    const assistant = messages.at(-2)?.content as Block[];
    expect(assistant[0]).toEqual({ type: 'thinking', thinking: `Turn ${request.turn! - 1}: I will answer, call get_weather.`, signature: expect.any(String) });
  }
  // Older turns were compacted: the last request carries one assistant turn verbatim, the rest as a summary.
  const last = (requests.at(-1)!.body as Body).messages;
  expect(last.filter((message) => message.role === 'assistant')).toHaveLength(1);
  expect(JSON.stringify(last[0].content)).toMatch(/get_weather/);
  // The run crossed a continue-as-new.
  const described = await handle.describe();
  expect(described.runId).not.toBe((handle as { firstExecutionRunId?: string }).firstExecutionRunId);
});

test('thinking never shows in the run state or the outcome', async () => {
  const handle = await harness.start(`thinking-views-${Date.now()}`, { agent: 'scout', task: `Which of ${cities.join(', ')} is warmest today?` });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('completed');
  const state = await handle.query(getStateQuery);
  for (const view of [JSON.stringify(state), JSON.stringify(outcome)]) {
    expect(view).not.toContain('I will answer, call get_weather');
    expect(view).not.toContain('"signature"');
  }
});
