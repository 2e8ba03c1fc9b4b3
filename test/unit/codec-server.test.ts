import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { startCodecServer, type CodecAccess, type CodecServer } from '../../src/codec/server';

const UI = 'http://127.0.0.1:8233';
let server: CodecServer;

beforeAll(async () => {
  server = await startCodecServer({ codec: new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]), origins: [UI], token: 'test-token-0123456789', port: 0 });
});
afterAll(() => server?.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const auth = { authorization: 'Bearer test-token-0123456789' };

test('no token or a wrong one gets 401', async () => {
  expect((await post('/decode', { payloads: [] })).status).toBe(401);
  expect((await post('/decode', { payloads: [] }, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
  expect((await post('/token/wrong-token-0123456789/decode', { payloads: [] })).status).toBe(401);
});

test('a preflight from the UI origin is allowed; from another origin it is refused', async () => {
  const preflight = (origin: string) =>
    fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
  const allowed = await preflight(UI);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(UI);
  expect(allowed.headers.get('access-control-allow-headers')).toMatch(/x-namespace/);
  const refused = await preflight('http://evil.example');
  expect(refused.status).toBe(403);
  expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  // A request from another origin is refused even with the token.
  expect((await post('/decode', { payloads: [] }, { ...auth, origin: 'http://evil.example' })).status).toBe(403);
});

test('encode then decode round-trips, with the bearer token or the token in the path', async () => {
  const original = payloadToJSON(defaultPayloadConverter.toPayload({ card: '4242 4242 4242 4242' }));
  const encoded = (await (await post('/encode', { payloads: [original] }, auth)).json()) as {
    payloads: Array<{ metadata: Record<string, string>; data: string }>;
  };
  expect(Buffer.from(encoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encoded.payloads[0].data, 'base64').toString('latin1')).not.toContain('4242');
  const response = await post(`/token/test-token-0123456789/default/decode`, encoded, { origin: UI, 'x-namespace': 'default' });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe(UI);
  expect(await response.json()).toEqual({ payloads: [original] });
});

test('a body that is not {payloads:[...]} is a 400, an unknown path a 404', async () => {
  expect((await post('/decode', { nope: true }, auth)).status).toBe(400);
  expect((await post('/elsewhere', { payloads: [] }, auth)).status).toBe(404);
});

describe('people, namespaces and the access log', () => {
  let people: CodecServer;
  const log: CodecAccess[] = [];
  const codec = new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]);
  const ALICE = 'alice-token-0123456789';
  const BOB = 'bob-token-01234567890';

  beforeAll(async () => {
    people = await startCodecServer({
      codec,
      origins: [UI],
      people: [
        { name: 'alice', token: ALICE },
        { name: 'bob', token: BOB, namespaces: ['payments'] },
      ],
      log: (access) => log.push(access),
      port: 0,
    });
  });
  afterAll(() => people?.close());

  const decode = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${people.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  test('with people only, no operator token exists: a request without one of theirs decodes nothing', async () => {
    expect(people.token).toBe('');
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ card: '4242 4242 4242 4242' })]);
    const body = { payloads: [payloadToJSON(sealed)] };
    for (const response of [await decode('/decode', body), await decode('/token//decode', body), await decode('/decode', body, { authorization: 'Bearer ' })]) {
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('4242');
    }
    expect(log.at(-1)).toMatchObject({ who: null, outcome: 'refused', status: 401, route: '/decode' });
  });

  test('the log names who decoded what, in which namespace; a person limited to other namespaces is refused', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload({ email: 'ada@example.com' })]);
    const body = { payloads: [payloadToJSON(sealed)] };
    log.length = 0;
    const ok = await decode(`/token/${ALICE}/decode`, body, { 'x-namespace': 'default', origin: UI });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toBe('');
    expect(log).toEqual([
      expect.objectContaining({ who: 'alice', route: '/decode', namespace: 'default', origin: UI, payloads: 1, outcome: 'ok', status: 200 }),
    ]);
    expect(log[0].digests).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
    expect((await decode('/decode', body, { authorization: `Bearer ${BOB}`, 'x-namespace': 'default' })).status).toBe(403);
    expect((await decode('/decode', body, { authorization: `Bearer ${BOB}` })).status).toBe(403);
    expect(log.at(-1)).toMatchObject({ who: 'bob', outcome: 'refused', why: expect.stringContaining('namespace') });
    expect((await decode('/payments/decode', body, { authorization: `Bearer ${BOB}` })).status).toBe(200);
    expect(log.at(-1)).toMatchObject({ who: 'bob', namespace: 'payments', outcome: 'ok' });
  });

  test('two people with one token are refused at start', async () => {
    await expect(
      startCodecServer({
        codec,
        origins: [UI],
        people: [
          { name: 'a', token: ALICE },
          { name: 'b', token: ALICE },
        ],
        port: 0,
      }),
    ).rejects.toThrow(/share a token/);
  });
});
