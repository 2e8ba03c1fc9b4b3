import { startHarness, outcomeOf, type Harness } from '../helpers/harness';
import { loadScenarioFile } from '../../src/dev/scenario';
import { captureFixture } from '../helpers/fixtures';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness('slice', [loadScenarioFile('src/demo/scenarios/slice.json')]);
});
afterAll(() => harness?.stop());

test('one model call and one read-only tool call complete the run', async () => {
  const handle = await harness.start(`slice-${Date.now()}`, { agent: 'travel', task: 'What is the weather in Lisbon?' });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'slice');
  expect(outcome.status).toBe('completed');
  expect(outcome.steps).toBe(2);
  expect(outcome.finalText).toContain('weather in Lisbon');
  expect(outcome.effects).toEqual([]);
  const second = harness.model.requests.filter((request) => request.runId === handle.workflowId && request.turn === 2);
  expect(second).toHaveLength(1);
  const lastMessage = (second[0].body as { messages: any[] }).messages.at(-1);
  expect(lastMessage.role).toBe('user');
  expect(lastMessage.content[0].type).toBe('tool_result');
  expect(JSON.parse(lastMessage.content[0].content).city).toBe('Lisbon');
});
