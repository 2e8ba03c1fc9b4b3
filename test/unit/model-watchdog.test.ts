/**
 * A model call cannot hang: through the real SDK against endpoints that never answer, stop after `message_start`,
 * or keep the stream alive with pings only, each call either finishes or fails with a typed, classified error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createAnthropicClient, createMessage, type ModelRequest } from '../../src/models/anthropic';
import { classifyModelError, MODEL_FAILURE_TYPES } from '../../src/models/errors';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import { StallWatchdog } from '../../src/models/watchdog';
import { apiId, formatServerSentEvent, messageStreamEvents, type ApiMessage } from '../../src/dev/message-events';
import { defineAgent, defineTool } from '../../src/tools/define';

const lookUp = defineTool({ name: 'look_up', description: 'Look a thing up', input: z.object({ q: z.string() }), risk: 'read' });
const agent = defineAgent({ name: 'watched', description: 'Answers', system: 'Answer briefly.', tools: [lookUp] });
const TIMEOUTS = { firstByteMs: 400, idleMs: 300 };

function request(runId: string): ModelRequest {
  return { model: 'claude-sonnet-4-6', maxTokens: 256, agent, toolNames: ['look_up'], messages: [{ role: 'user', content: 'Hello' }], runId, turn: 1 };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

describe('against the scripted model server', () => {
  let model: ModelServer;
  beforeAll(async () => {
    model = await startModelServer({
      scenarios: [
        { name: 'stalls', match: { runIdPrefix: 'stall-' }, turns: [{ error: { stallAfterStart: true } }] },
        { name: 'silent', match: { runIdPrefix: 'silent-' }, turns: [{ delayMs: 5_000, content: [{ type: 'text', text: 'too late' }] }] },
        { name: 'huge', match: { runIdPrefix: 'huge-' }, turns: [{ content: [{ type: 'text', text: 'x'.repeat(4_000) }] }] },
        { name: 'fine', match: { runIdPrefix: 'fine-' }, turns: [{ content: [{ type: 'text', text: 'All good.' }] }] },
        { name: 'garbled', match: { runIdPrefix: 'garbled-' }, turns: [{ error: { garbage: true } }] },
      ],
    });
  });
  afterAll(() => model.close());
  const client = () => createAnthropicClient({ apiKey: 'test', baseURL: model.url });

  it('fails a stream that stops after message_start as an idle stall, retryable as a timeout', async () => {
    const err = await failureOf(createMessage(client(), request('stall-1'), { timeouts: TIMEOUTS }));
    expect(err).toMatchObject({ name: 'ModelStallError', phase: 'idle' });
    const failure = classifyModelError(err);
    expect(failure).toMatchObject({ type: MODEL_FAILURE_TYPES.Timeout, nonRetryable: false });
  });

  it('fails an endpoint that accepts and never answers at the first-byte deadline', async () => {
    const err = await failureOf(createMessage(client(), request('silent-1'), { timeouts: TIMEOUTS }));
    expect(err).toMatchObject({ name: 'ModelStallError', phase: 'first_byte' });
  });

  it('fails a garbled answer at once, as a retryable failure, not a hang', async () => {
    const err = await failureOf(createMessage(client(), request('garbled-1'), { timeouts: TIMEOUTS }));
    expect(err.name).not.toBe('ModelStallError');
    // The answer was a 200 that the SDK cannot read: no status to classify by, so it is retried as unknown.
    expect(classifyModelError(err)).toMatchObject({ type: MODEL_FAILURE_TYPES.Unknown, nonRetryable: false });
    expect(model.requests.find((r) => r.runId === 'garbled-1')?.status).toBe(200);
  });

  it('refuses an answer too large to record, as a final failure', async () => {
    const err = await failureOf(createMessage(client(), request('huge-1'), { timeouts: TIMEOUTS, maxAnswerBytes: 1_000 }));
    expect(err.name).toBe('ModelAnswerTooLargeError');
    expect(classifyModelError(err)).toMatchObject({ type: MODEL_FAILURE_TYPES.AnswerTooLarge, nonRetryable: true });
  });

  it('leaves a healthy call alone, and a cancelled one is not mistaken for a stall', async () => {
    await expect(createMessage(client(), request('fine-1'), { timeouts: TIMEOUTS })).resolves.toMatchObject({ content: [{ type: 'text', text: 'All good.' }] });
    const cancelled = new AbortController();
    const call = createMessage(client(), request('silent-2'), { timeouts: { firstByteMs: 10_000, idleMs: 10_000 }, signal: cancelled.signal });
    cancelled.abort();
    const err = await failureOf(call);
    expect(err.name).not.toBe('ModelStallError');
  });
});

describe('a stream kept alive by pings only', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const message: ApiMessage = {
      id: apiId('msg'),
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'Slow but steady.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: 'standard' },
    };
    // message_start, then pings 100 ms apart for 1.2 s (twice the idle deadline), then the rest of the answer. The
    // gap between pings is a sixth of the deadline, so a loaded machine's timer jitter cannot fake a stall.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', async () => {
        const [start, ...rest] = messageStreamEvents(message);
        res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': apiId('req') });
        res.write(formatServerSentEvent(start));
        for (let ping = 0; ping < 12; ping++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          res.write(formatServerSentEvent({ event: 'ping', data: { type: 'ping' } }));
        }
        for (const event of rest) res.write(formatServerSentEvent(event));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('counts the pings as progress, so the call completes past the idle deadline', async () => {
    const timeouts = { firstByteMs: 2_000, idleMs: 600 };
    const answer = await createMessage(createAnthropicClient({ apiKey: 'test', baseURL: url }), request('pinged-1'), { timeouts });
    expect(answer.content).toEqual([{ type: 'text', text: 'Slow but steady.' }]);
  });
});

describe('the stall watchdog alone', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('runs the idle deadline from the newest chunk, not the first: a steady stream is never cut, a quiet one is', async () => {
    const controller = new AbortController();
    const watchdog = new StallWatchdog({ firstByteMs: 1_000, idleMs: 200 }, controller);
    try {
      // Chunks every 100 ms for 300 ms: the deadline moves with each one, to 200 ms after the last.
      for (let chunk = 0; chunk < 4; chunk++) {
        watchdog.progress();
        if (chunk < 3) await sleep(100);
      }
      // A late timer only stalls later; an early stall here would be the deadline counted from an older chunk.
      await sleep(120);
      expect(controller.signal.aborted).toBe(false);
      await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
      expect(watchdog.stalled).toMatchObject({ phase: 'idle', afterMs: 200 });
    } finally {
      watchdog.stop();
    }
  });

  it('stalls at the first-byte deadline when nothing came, and never after stop()', async () => {
    const silent = new AbortController();
    const waiting = new StallWatchdog({ firstByteMs: 50, idleMs: 1_000 }, silent);
    await new Promise((resolve) => silent.signal.addEventListener('abort', resolve, { once: true }));
    expect(waiting.stalled).toMatchObject({ phase: 'first_byte', afterMs: 50 });
    const stopped = new AbortController();
    const done = new StallWatchdog({ firstByteMs: 50, idleMs: 50 }, stopped);
    done.progress();
    done.stop();
    await sleep(150);
    expect(stopped.signal.aborted).toBe(false);
  });
});
