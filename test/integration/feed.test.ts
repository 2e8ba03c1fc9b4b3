/**
 * The live feed on the real dev server: `sagent watch` (the real binary) prints Claude's text in pieces as the
 * scripted model streams it; a second client follows one feed across continue-as-new and into a sub-agent; a model
 * call cut off mid-stream is retried and its partial text replaced; the inbox serves the same feed as SSE. A run
 * nobody follows publishes nothing: its history holds no text signal, and its feed has each answer's text whole.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { SagentClient } from '../../src/client';
import type { RespondingScenario, TurnSpec } from '../../src/dev/scenario';
import { startInbox, type Inbox } from '../../src/inbox/server';
import { FeedTranscript, type FeedItem } from '../../src/operations/feed';
import { feedFollowSignal } from '../../src/shared/feed';
import type { AgentRunInput } from '../../src/shared/run';
import { captureFixture } from '../helpers/fixtures';
import { outcomeOf, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const WATCHED = 'Lisbon is sunny today with a light breeze from the sea, and the evening stays warm enough to eat outside.';
const RETRIED = 'Porto will be cloudy in the morning, clearing after noon, with rain likely again late at night.';
const PARENT = ['First the flight to Lisbon.', 'Now the payment, handed to the payments agent.', 'Booked and paid: the trip is ready.'];
const CHILD = 'Charged nothing yet: the traveller pays at the desk, so I note the booking and stop here.';

const say = (text: string, extra: Partial<TurnSpec> = {}): TurnSpec => ({ content: [{ type: 'text', text }], ...extra });

const QUIET = 'Nobody asked to follow this run, so its text reaches the feed whole, with the answer.';
const quiet: RespondingScenario = { name: 'feed-quiet', match: { runIdPrefix: 'feed-quiet-' }, respond: () => say(QUIET) };

const watched: RespondingScenario = { name: 'feed-watch', match: { runIdPrefix: 'feed-watch-' }, respond: () => say(WATCHED, { holdAfterDeltas: 2 }) };

/** The first attempt streams three pieces of the answer, then the connection drops; the retry streams it whole. */
const retried: RespondingScenario = {
  name: 'feed-retry',
  match: { runIdPrefix: 'feed-retry-' },
  respond: () => say(RETRIED, { error: { cutAfterDeltas: 3, times: 1 } }),
};

const parent: RespondingScenario = {
  name: 'feed-parent',
  match: { runIdPrefix: 'feed-tree-', priority: 1 },
  respond({ turn }) {
    if (turn === 1)
      return {
        content: [
          { type: 'text', text: PARENT[0] },
          { type: 'tool_use', name: 'book_flight', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' } },
        ],
      };
    if (turn === 2)
      return {
        content: [
          { type: 'text', text: PARENT[1] },
          { type: 'tool_use', name: 'delegate_payments', input: { task: 'Note the payment for the flight' } },
        ],
      };
    return say(PARENT[2]);
  },
};
/** The sub-agent's answer holds after its first piece until the test lets it go, so a reader finds it still running. */
const child: RespondingScenario = {
  name: 'feed-child',
  match: { runIdPrefix: 'feed-tree-', runIdSuffix: '/payments', priority: 2 },
  respond: () => say(CHILD, { holdAfterDeltas: 1 }),
};

const TOKENS = new Map([['ana', 'ana-token-0123456789abcdef']]);

let harness: Harness;
let sagent: SagentClient;
let inbox: Inbox;

beforeAll(async () => {
  harness = await startHarness('feed', [quiet, watched, retried, parent, child]);
  sagent = new SagentClient({ client: harness.client, taskQueue: harness.taskQueue });
  inbox = await startInbox({ sagent, tokens: TOKENS, keyOf: () => undefined });
});
afterAll(async () => {
  await inbox?.close();
  await harness?.stop();
});

/** Starts a run with a reader's follow signal, as a page that starts a run and shows it at once does. */
function startFollowed(workflowId: string, input: AgentRunInput): Promise<WorkflowHandle> {
  return harness.client.workflow.signalWithStart('agentSaga', {
    taskQueue: harness.taskQueue,
    workflowId,
    args: [input],
    signal: feedFollowSignal,
    signalArgs: [{ leaseSeconds: 60 }],
  });
}

/** The names of the signals in the history of the run `workflowId` (the latest of its chain), read through the client. */
async function signalsIn(workflowId: string): Promise<string[]> {
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) =>
    event.workflowExecutionSignaledEventAttributes?.signalName ? [event.workflowExecutionSignaledEventAttributes.signalName] : [],
  );
}

/** Every item of a feed, read to its end. */
async function readAll(feed: AsyncIterable<FeedItem>): Promise<FeedItem[]> {
  const items: FeedItem[] = [];
  for await (const item of feed) items.push(item);
  return items;
}

test('a run nobody follows sends no text signal; its feed still has the answer, whole', async () => {
  const workflowId = `feed-quiet-${Date.now()}`;
  const handle = await harness.start(workflowId, { agent: 'travel', task: 'Anything new?' });
  expect((await outcomeOf(handle)).finalText).toBe(QUIET);
  expect(await signalsIn(workflowId)).toEqual([]);
  const items = await readAll(sagent.feed(workflowId));
  expect(items.filter((item) => item.kind === 'text')).toEqual([expect.objectContaining({ kind: 'text', turn: 1, attempt: 1, text: QUIET })]);
  expect(items.at(-1)).toMatchObject({ kind: 'status', status: 'completed' });
  // Reading a run that has ended asks for nothing: it cannot take a follow signal any more.
  expect(await signalsIn(workflowId)).toEqual([]);
  // A lease out of bounds is refused with what to fix.
  await expect(readAll(sagent.feed(workflowId, { leaseSeconds: 7200 }))).rejects.toMatchObject({
    name: 'RangeError',
    message: expect.stringMatching(/leaseSeconds must be .* 1 to 3600/),
  });
});

test('sagent watch prints the text as it streams in, piece by piece', async () => {
  const workflowId = `feed-watch-${Date.now()}`;
  const handle = await startFollowed(workflowId, { agent: 'travel', task: 'How is the weather in Lisbon?' });
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/sagent.js'), 'watch', workflowId], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: harness.temporal.address,
      TEMPORAL_NAMESPACE: harness.temporal.namespace,
      SAGENT_TASK_QUEUE: harness.taskQueue,
      NO_COLOR: '1',
    },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  // The model holds its stream after two pieces: watch shows those, and nothing of the rest yet.
  const firstPieces = 'Lisbon is sunny today with';
  while (!stdout.includes(firstPieces)) {
    if (child.exitCode !== null) throw new Error(`sagent watch exited early: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(stdout).not.toContain('warm enough to eat outside');
  harness.model.releaseStreams();
  expect(await exited).toBe(0);
  expect(stdout).toContain(`» ${WATCHED}`);
  expect(stdout).toMatch(/completed in 1 step/);
  expect((await outcomeOf(handle)).finalText).toBe(WATCHED);
  // Two pieces and the rest reached the run as separate batches: the text arrived over time, not with the answer.
  const texts = (await readAll(sagent.feed(workflowId))).filter((item) => item.kind === 'text');
  expect(texts.length).toBeGreaterThanOrEqual(2);
  expect(texts.map((item) => (item.kind === 'text' ? item.text : '')).join('')).toBe(WATCHED);
  // The pieces came by signal because readers followed: the starter's follow, and watch's own.
  const signals = await signalsIn(workflowId);
  expect(signals.filter((name) => name === 'sagent.feed.follow').length).toBeGreaterThanOrEqual(2);
  expect(signals.filter((name) => name === 'sagent.feed.publish').length).toBeGreaterThanOrEqual(2);
});

test('a second client follows one feed across continue-as-new and into a sub-agent', async () => {
  const workflowId = `feed-tree-${Date.now()}`;
  const handle = await harness.start(workflowId, { agent: 'trip', task: 'Book Lisbon', approval: { approvers: ['ana'] }, continueAsNewAfterTurns: 1 });
  // Another connection, as another process would have.
  const reader = new SagentClient({
    client: new Client({ connection: harness.temporal.connection, namespace: harness.temporal.namespace }),
    taskQueue: harness.taskQueue,
  });
  const childId = `${workflowId}/effect-2/payments`;
  let read = false;
  const reading = readAll(reader.feed(workflowId)).finally(() => (read = true));
  // The sub-agent runs until the reader has found it and asked it to publish; then its streams are let go (again
  // while the feed is read, since a stream that reaches its hold after a release waits for the next one).
  for (let waited = 0; !(await signalsIn(childId).catch((): string[] => [])).includes('sagent.feed.follow'); waited += 200) {
    if (read || waited > 90_000) throw new Error(`the reader never followed the sub-agent ${childId}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  while (!read) {
    harness.model.releaseStreams();
    await Promise.race([reading.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
  }
  const items = await reading;
  const outcome = await outcomeOf(handle);
  await captureFixture(handle, 'feed-tree');
  expect(outcome.status).toBe('completed');
  const state = await sagent.state(workflowId);
  expect(state.continuedAsNew).toBeGreaterThanOrEqual(2);

  const own = items.filter((item) => item.workflowId === workflowId);
  // One ordered feed across the chain of runs: offsets rise by one, nothing missed, the last event the outcome.
  expect(own.map((item) => (item.kind === 'gap' ? -1 : item.offset))).toEqual(own.map((_, index) => index));
  expect(own.at(-1)).toMatchObject({ kind: 'status', status: 'completed' });
  const transcript = new FeedTranscript();
  for (const item of items) transcript.apply(item);
  expect([1, 2, 3].map((turn) => transcript.text(workflowId, turn))).toEqual(PARENT);
  const delegated = own.find((item) => item.kind === 'delegate');
  expect(delegated).toMatchObject({ kind: 'delegate', agent: 'payments', child: childId });
  expect(transcript.text(childId, 1)).toBe(CHILD);
  expect(items.some((item) => item.workflowId === childId && item.kind === 'status' && item.status === 'completed')).toBe(true);
  // The reader asked the parent's later runs to publish, which the lease carried into.
  expect(await signalsIn(workflowId)).toContain('sagent.feed.publish');
  // Steps are in the feed too: the effect committed, the continue-as-new.
  const steps = own.flatMap((item) => (item.kind === 'step' ? [item.step.title] : []));
  expect(steps).toEqual(expect.arrayContaining([expect.stringMatching(/^book_flight · effect 1/), expect.stringMatching(/^continuing as new after turn 1/)]));
});

test("a model call cut off mid-stream is retried, and the retry's text replaces the partial text", async () => {
  const workflowId = `feed-retry-${Date.now()}`;
  const handle = await startFollowed(workflowId, { agent: 'travel', task: 'How is the weather in Porto?' });
  const items = await readAll(sagent.feed(workflowId));
  expect((await outcomeOf(handle)).finalText).toBe(RETRIED);
  const attempts = harness.model.requests.filter((request) => request.runId === workflowId && request.path === '/v1/messages');
  expect(attempts.map((request) => request.attempt)).toEqual([1, 2]);

  const partial = items.flatMap((item) => (item.kind === 'text' && item.attempt === 1 ? [item.text] : [])).join('');
  // The cut attempt's pieces were in the feed, as far as they came: a true prefix of the answer.
  expect(partial.length).toBeGreaterThan(0);
  expect(RETRIED.startsWith(partial) && partial.length < RETRIED.length).toBe(true);
  const reset = items.findIndex((item) => item.kind === 'reset');
  expect(items[reset]).toMatchObject({ kind: 'reset', turn: 1, attempt: 2 });
  expect(
    items
      .slice(reset)
      .filter((item) => item.kind === 'text')
      .every((item) => item.kind === 'text' && item.attempt === 2),
  ).toBe(true);
  const transcript = new FeedTranscript();
  for (const item of items) transcript.apply(item);
  expect(transcript.text(workflowId, 1)).toBe(RETRIED);

  // The inbox serves the same feed as server-sent events, to a signed-in approver only.
  expect((await fetch(`${inbox.url}/api/feed?id=${workflowId}`)).status).toBe(401);
  const sse = await (await fetch(`${inbox.url}/api/feed?id=${workflowId}`, { headers: { authorization: `Bearer ${TOKENS.get('ana')}` } })).text();
  expect(sse).toContain('event: reset');
  expect(sse).toMatch(/event: end\n/);
  const sseText = new FeedTranscript();
  for (const [, data] of sse.matchAll(/^data: (.+)$/gm)) if (data !== '{}') sseText.apply(JSON.parse(data) as FeedItem);
  expect(sseText.text(workflowId, 1)).toBe(RETRIED);
});
