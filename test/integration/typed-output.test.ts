/**
 * Typed results on the real dev server: an agent with an output schema returns a validated object; an answer that
 * does not validate goes back to Claude with the errors and is corrected on the second ask; one that never
 * validates ends the run, rolled back, with the errors as its reason.
 */
import { SagentClient } from '../../src/client';
import { outcomeJson } from '../../src/cli/json';
import { forecastOutput } from '../../src/demo/agents/forecast/agent';
import type { Scenario } from '../../src/dev/scenario';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

const lookUp = { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } }] };
const valid = { city: 'Lisbon', condition: 'sunny', temperatureC: 24, advice: 'Bring a hat.' };
// No temperature, and a number where the condition goes.
const invalid = { city: 'Lisbon', condition: 7, advice: 'Bring a hat.' };
const text = (value: unknown) => ({ content: [{ type: 'text', text: `\`\`\`json\n${JSON.stringify(value)}\n\`\`\`` }] });

const scenarios = [
  { name: 'typed-first', match: { runIdPrefix: 'typed-first-' }, turns: [lookUp, text(valid)], afterLastTurn: 'end_turn' },
  { name: 'typed-second', match: { runIdPrefix: 'typed-second-' }, turns: [lookUp, text(invalid), text(valid)], afterLastTurn: 'end_turn' },
  {
    name: 'typed-never',
    match: { runIdPrefix: 'typed-never-' },
    turns: [lookUp, { content: [{ type: 'text', text: 'Sunny, about 24 degrees.' }] }, text(invalid)],
    afterLastTurn: 'end_turn',
  },
] as Scenario[];

let harness: Harness;
let sagent: SagentClient;

beforeAll(async () => {
  harness = await startHarness('typed', scenarios);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
});
afterAll(() => harness?.stop());

const task = 'What is the weather in Lisbon?';

test('a typed agent returns a validated object: the outcome, the client result and result --json carry it', async () => {
  const handle = await harness.start(`typed-first-${Date.now()}`, { agent: 'forecast', task });
  const outcome = await outcomeOf(handle);
  expect(outcome).toMatchObject({ status: 'completed', output: valid, steps: 2 });
  const result = await sagent.result(handle.workflowId, forecastOutput);
  expect(result.temperatureC).toBe(24);
  expect(result).toEqual(valid);
  expect(outcomeJson(await sagent.outcome(handle.workflowId), 'http://ui')).toMatchObject({ status: 'completed', output: valid });
  // Claude was told the schema in its instructions.
  const first = harness.model.requests.find((request) => request.runId === handle.workflowId && request.path === '/v1/messages');
  const system = (first?.body as { system: { text: string }[] }).system[0].text;
  expect(system).toContain('"temperatureC":{"type":"number"}');
});

test('an invalid first answer goes back to Claude with the errors and is corrected on the second ask', async () => {
  const handle = await harness.start(`typed-second-${Date.now()}`, { agent: 'forecast', task });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'typed-output-reasked');
  expect(outcome).toMatchObject({ status: 'completed', output: valid, steps: 3 });
  const third = harness.model.requests.filter((request) => request.runId === handle.workflowId && request.turn === 3);
  expect(third).toHaveLength(1);
  const last = (third[0].body as { messages: { role: string; content: { type: string; text?: string }[] }[] }).messages.at(-1);
  expect(last?.role).toBe('user');
  const note = last?.content.map((block) => block.text ?? '').join('\n') ?? '';
  expect(note).toMatch(/does not match the required output schema/);
  expect(note).toMatch(/condition: .*string/i);
  expect(note).toMatch(/temperatureC: .*number/i);
  const state = await sagent.state(handle.workflowId).catch(() => null);
  expect(state === null || state.status === 'completed').toBe(true);
});

test('an answer that never validates ends the run, rolled back, with a reason that names the errors', async () => {
  const handle = await harness.start(`typed-never-${Date.now()}`, { agent: 'forecast', task });
  const outcome = await outcomeOf(handle);
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/the final answer did not match the agent's output schema after 2 attempt\(s\): .*temperatureC/s);
  expect(outcome.output).toBeUndefined();
  const failure = await sagent.result(handle.workflowId).catch((err: unknown) => err);
  expect(failure).toMatchObject({ name: 'RunNotCompletedError', status: 'compensated' });
  // The first wrong answer (prose, not JSON) was sent back as such.
  const third = harness.model.requests.find((request) => request.runId === handle.workflowId && request.turn === 3);
  expect(JSON.stringify(third?.body)).toContain('the answer is not JSON');
});
