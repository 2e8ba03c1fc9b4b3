/**
 * Steering on the real dev server: a message sent to a running agent changes what it does next (the scripted model
 * sees it), an interrupt stops the run after the step in progress, and a conversation agent answers three messages
 * in one run and undoes its state-changing turns when aborted.
 */
import { SagentClient } from '../../src/client';
import type { RespondingScenario, TurnContext } from '../../src/dev/scenario';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

/** A turn-1 answer held until the test has sent what it sends while the model call is in flight. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}
const gates = new Map<string, ReturnType<typeof gate>>();
const said = (ctx: TurnContext, text: string) => JSON.stringify(ctx.body.messages).includes(text);

const steered: RespondingScenario = {
  name: 'steered',
  match: { runIdPrefix: 'steer-' },
  async respond(ctx) {
    if (ctx.turn === 1) {
      await gates.get(ctx.runId ?? '')?.opened;
      return {
        content: [
          { type: 'text', text: 'Checking Lisbon.' },
          { type: 'tool_use', name: 'get_weather', input: { city: 'Lisbon' } },
        ],
      };
    }
    if (ctx.turn === 2 && said(ctx, 'Check Porto instead')) {
      return { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Porto' } }] };
    }
    const city = ctx.lastToolResults[0]?.json && (ctx.lastToolResults[0].json as { city?: string }).city;
    return { content: [{ type: 'text', text: `Reported: ${city ?? 'nothing'}.` }] };
  },
};

const concierge: RespondingScenario = {
  name: 'concierge',
  match: { runIdPrefix: 'concierge-' },
  respond(ctx) {
    const book = (city: string) => ({
      type: 'tool_use' as const,
      name: 'book_hotel',
      input: { city, checkIn: '2027-05-01', checkOut: '2027-05-03', guest: 'Ana Lima' },
    });
    switch (ctx.turn) {
      case 1:
        return { content: [book('Lisbon')] };
      case 3:
        return said(ctx, 'also Porto') ? { content: [book('Porto')] } : { content: [{ type: 'text', text: 'unexpected' }] };
      case 5:
        return said(ctx, 'weather')
          ? { content: [{ type: 'tool_use', name: 'get_weather', input: { city: 'Porto' } }] }
          : { content: [{ type: 'text', text: 'unexpected' }] };
      default:
        return { content: [{ type: 'text', text: `Answer ${ctx.turn / 2}.` }] };
    }
  },
};

let harness: Harness;
let sagent: SagentClient;

beforeAll(async () => {
  harness = await startHarness('steering', [steered, concierge]);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
});
afterAll(() => harness?.stop());

async function turnAsked(workflowId: string, turn: number): Promise<void> {
  for (;;) {
    if (harness.model.requests.some((request) => request.runId === workflowId && request.turn === turn)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const bodyOf = (workflowId: string, turn: number) =>
  JSON.stringify(
    harness.model.requests.filter((request) => request.runId === workflowId && request.turn === turn && request.path === '/v1/messages').at(-1)?.body,
  );

test('a message sent to a running agent joins the conversation before its next call and changes what it does', async () => {
  const workflowId = `steer-send-${Date.now()}`;
  gates.set(workflowId, gate());
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'What is the weather like?', approval: { approvers: ['alice'] } });
  await turnAsked(workflowId, 1);
  // Refused: a sender the run does not allow, and a message over 8 KB.
  await expect(sagent.send(workflowId, { text: 'Book me a yacht', by: 'mallory' })).rejects.toMatchObject({
    name: 'OperationRefusedError',
    why: expect.stringMatching(/mallory may not steer this run \(allowed: alice\)/),
  });
  await expect(sagent.send(workflowId, { text: 'x'.repeat(9000), by: 'alice' })).rejects.toMatchObject({
    name: 'OperationRefusedError',
    why: expect.stringMatching(/9000 bytes; at most 8192/),
  });
  expect(await sagent.send(workflowId, { text: 'Check Porto instead', by: 'alice' })).toEqual({ queued: 1 });
  gates.get(workflowId)!.open();
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'steering-message');
  expect(outcome).toMatchObject({ status: 'completed', finalText: 'Reported: Porto.', steps: 3 });
  expect(bodyOf(workflowId, 2)).toContain('Message from alice: Check Porto instead');
  expect(bodyOf(workflowId, 2)).not.toContain('yacht');
  const state = await sagent.state(workflowId);
  expect(state.timeline.map((entry) => entry.title)).toEqual(expect.arrayContaining(['message from alice']));
});

test('an interrupt stops the run after the step in progress; a message resumes it', async () => {
  const workflowId = `steer-interrupt-${Date.now()}`;
  gates.set(workflowId, gate());
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'What is the weather like?', steerers: ['bob'] });
  await turnAsked(workflowId, 1);
  await sagent.interrupt(workflowId, { by: 'bob', reason: 'hold on' });
  gates.get(workflowId)!.open();
  const waiting = await harness.waitFor(handle, (state) => state.status === 'awaiting_message');
  expect(waiting.statusDetail).toMatch(/interrupted by bob/);
  // The step in progress (turn 1's weather call) finished; no further model call was made.
  expect(waiting.timeline.some((entry) => entry.kind === 'tool' && entry.state === 'ok')).toBe(true);
  expect(harness.model.requests.filter((request) => request.runId === workflowId && request.turn === 2)).toHaveLength(0);
  await sagent.send(workflowId, { text: 'Check Porto instead', by: 'bob' });
  const outcome = await outcomeOf(handle);
  expect(outcome).toMatchObject({ status: 'completed', finalText: 'Reported: Porto.' });
});

test('a conversation agent answers three messages in one run and undoes its bookings when aborted', async () => {
  const workflowId = `concierge-${Date.now()}`;
  const handle = await harness.start(workflowId, { agent: 'concierge', task: 'Book me a room in Lisbon.', steerers: ['ana'] });
  await harness.waitFor(handle, (state) => state.status === 'awaiting_message' && state.finalText === 'Answer 1.');
  await sagent.send(workflowId, { text: 'Book one in Porto too (also Porto).', by: 'ana' });
  await harness.waitFor(handle, (state) => state.status === 'awaiting_message' && state.finalText === 'Answer 2.');
  await sagent.send(workflowId, { text: 'What is the weather there?', by: 'ana' });
  const third = await harness.waitFor(handle, (state) => state.status === 'awaiting_message' && state.finalText === 'Answer 3.');
  expect(third.effects.map((effect) => [effect.tool, effect.state])).toEqual([
    ['book_hotel', 'committed'],
    ['book_hotel', 'committed'],
  ]);
  await sagent.abort(workflowId, { by: 'ana', reason: 'plans changed' });
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'conversation-aborted');
  expect(outcome.status).toBe('compensated');
  expect(outcome.reason).toMatch(/aborted by ana: plans changed/);
  expect(outcome.effects.map((effect) => effect.compensation)).toEqual(['compensated', 'compensated']);
  // One run: six model turns, each answer read back by the next.
  expect(harness.model.requests.filter((request) => request.runId === workflowId && request.path === '/v1/messages').map((request) => request.turn)).toEqual([
    1, 2, 3, 4, 5, 6,
  ]);
  expect(bodyOf(workflowId, 3)).toContain('Answer 1.');
});
