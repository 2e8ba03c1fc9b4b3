/**
 * Limits that stay true, through the real SDK against the scripted Messages-API server: the prompt cache's lifetime
 * chosen per agent and priced as the API prices it, and a request too long for the model's window caught before it
 * is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import { createAnthropicClient, createMessage, type ModelRequest } from '../../src/models/anthropic';
import { classifyModelError } from '../../src/models/errors';
import { Pricing } from '../../src/models/pricing';
import { defineAgent, defineTool } from '../../src/tools/define';

const lookup = defineTool({ name: 'lookup', description: 'Looks a word up', input: z.object({ word: z.string() }), risk: 'read' });
// Long enough a prompt for the cache to write it (the API caches 1024 tokens or more).
const system = `You answer briefly. ${'Keep to the facts. '.repeat(400)}`;
const hourly = defineAgent({ name: 'hourly', description: 'Caches for an hour', system, tools: [lookup], cacheTtl: '1h' });
const brief = defineAgent({ name: 'brief', description: 'Caches for five minutes', system, tools: [lookup] });

let server: ModelServer;
let client: Anthropic;

beforeAll(async () => {
  server = await startModelServer({
    scenarios: [{ name: 'limits', match: { taskIncludes: 'limits' }, turns: [{ content: [{ type: 'text', text: 'Done.' }] }], afterLastTurn: 'end_turn' }],
  });
  client = createAnthropicClient({ baseURL: server.url, apiKey: 'test' });
});

afterAll(async () => {
  await server.close();
});

function request(agent: ModelRequest['agent'], runId: string, text = 'Check the limits.'): ModelRequest {
  return { model: 'claude-sonnet-4-6', maxTokens: 512, agent, toolNames: ['lookup'], messages: [{ role: 'user', content: text }], runId, turn: 1 };
}

describe('the prompt-cache lifetime', () => {
  it('is one hour for an agent that asks for it: every marker says so, and the writes cost 2x input', async () => {
    const answer = await createMessage(client, request(hourly, 'ttl-1h'));
    const sent = server.requests.filter((r) => r.runId === 'ttl-1h' && r.path === '/v1/messages').at(-1)?.body as Record<string, unknown>;
    const markers = JSON.stringify(sent).match(/"cache_control":\{[^}]*\}/g) ?? [];
    expect(markers.length).toBeGreaterThan(0);
    expect(new Set(markers)).toEqual(new Set(['"cache_control":{"type":"ephemeral","ttl":"1h"}']));
    const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = answer.usage;
    expect(cache_creation_input_tokens).toBeGreaterThan(0);
    expect(answer.cost_usd).toBeCloseTo((input_tokens * 3 + cache_creation_input_tokens * 6 + cache_read_input_tokens * 0.3 + output_tokens * 15) / 1e6, 8);
  });

  it('is five minutes by default: markers carry no ttl, and the writes cost 1.25x input', async () => {
    const answer = await createMessage(client, request(brief, 'ttl-5m', 'Check the limits, briefly.'));
    const sent = server.requests.filter((r) => r.runId === 'ttl-5m' && r.path === '/v1/messages').at(-1)?.body;
    expect(JSON.stringify(sent)).not.toContain('"ttl"');
    const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = answer.usage;
    expect(cache_creation_input_tokens).toBeGreaterThan(0);
    expect(answer.cost_usd).toBeCloseTo((input_tokens * 3 + cache_creation_input_tokens * 3.75 + cache_read_input_tokens * 0.3 + output_tokens * 15) / 1e6, 8);
  });

  it('is refused at declaration when it is neither 5m nor 1h', () => {
    expect(() => defineAgent({ name: 'odd', description: 'x', system: 'x', tools: [], cacheTtl: '2h' as '1h' })).toThrow(
      /cacheTtl must be '5m' or '1h', got "2h"/,
    );
  });
});

describe('the context window', () => {
  const small = new Pricing({ 'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15, contextWindow: 4000 } });

  it('refuses a request the API counts as too long, before sending it, as a non-retryable failure', async () => {
    const long = request(brief, 'window-over', `Check the limits. ${'word '.repeat(4000)}`);
    const failure = await createMessage(client, long, { pricing: small }).catch((err: unknown) => err);
    expect(failure).toMatchObject({ name: 'ContextWindowExceededError', contextWindow: 4000, counted: 'api' });
    expect((failure as Error).message).toMatch(/carries \d+ input tokens \(counted by the API\), more than its context window of 4000: lower/);
    const paths = server.requests.filter((r) => r.runId === 'window-over').map((r) => r.path);
    expect(paths).toEqual([]);
    // The count carries no run header; what matters is that no Messages request went out for this run.
    expect(server.requests.some((r) => r.path === '/v1/messages/count_tokens')).toBe(true);
    const classified = classifyModelError(failure);
    expect({ type: classified.type, nonRetryable: classified.nonRetryable }).toEqual({
      type: 'ModelInvocationError.ContextWindowExceeded',
      nonRetryable: true,
    });
  });

  it('sends a request that fits, counting only when the estimate comes near the window', async () => {
    const countsBefore = server.requests.filter((r) => r.path === '/v1/messages/count_tokens').length;
    await createMessage(client, request(brief, 'window-roomy'));
    expect(server.requests.filter((r) => r.path === '/v1/messages/count_tokens').length).toBe(countsBefore);
    const near = new Pricing({ 'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15, contextWindow: 3000 } });
    await createMessage(client, request(brief, 'window-near'), { pricing: near });
    expect(server.requests.filter((r) => r.path === '/v1/messages/count_tokens').length).toBe(countsBefore + 1);
    expect(server.requests.filter((r) => r.runId === 'window-near' && r.path === '/v1/messages')).toHaveLength(1);
  });

  it('falls back to the estimate when the endpoint cannot count', async () => {
    const seen: string[] = [];
    const refusing: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'no' } }));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
      const offline = createAnthropicClient({ baseURL: url, apiKey: 'test' });
      const long = request(brief, 'window-estimate', `Check the limits. ${'word '.repeat(4000)}`);
      await expect(createMessage(offline, long, { pricing: small })).rejects.toMatchObject({ name: 'ContextWindowExceededError', counted: 'estimate' });
      expect(seen).toEqual(['POST /v1/messages/count_tokens']);
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
