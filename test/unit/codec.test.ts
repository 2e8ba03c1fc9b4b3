import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec, keyIdOf } from '../../src/codec/encryption-codec';
import { formatKeyList, loadKeyring, parseKeyList, type CodecKey } from '../../src/codec/keys';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload) => defaultPayloadConverter.fromPayload(p);

test('a payload round-trips, sealed under the newest key, with nothing of it in clear', async () => {
  const codec = new EncryptionCodec([key('k1'), key('k2')]);
  const [sealed] = await codec.encode([payload({ card: '4242 4242 4242 4242', note: 'x'.repeat(2000) })]);
  expect(keyIdOf(sealed)).toBe('k2');
  expect(Buffer.from(sealed.data!).toString('latin1')).not.toContain('4242');
  // Compressed before it was sealed: 2000 repeated characters take far fewer bytes.
  expect(sealed.data!.length).toBeLessThan(200);
  const [opened] = await codec.decode([sealed]);
  expect(valueOf(opened)).toEqual({ card: '4242 4242 4242 4242', note: 'x'.repeat(2000) });
});

test('a tampered ciphertext fails authentication', async () => {
  const codec = new EncryptionCodec([key('k1')]);
  const [sealed] = await codec.encode([payload('secret')]);
  const data = Buffer.from(sealed.data!);
  data[20] ^= 0x01;
  await expect(codec.decode([{ ...sealed, data }])).rejects.toMatchObject({
    name: 'CodecDecryptError',
    message: expect.stringMatching(/failed authentication/),
  });
});

test('a payload whose key id was changed fails: the id is bound to the ciphertext', async () => {
  const k1 = key('k1');
  const codec = new EncryptionCodec([{ id: 'k0', key: k1.key }, k1]);
  const [sealed] = await codec.encode([payload('secret')]);
  // The key id sits in the payload's head, bytes 3 on.
  const data = Buffer.from(sealed.data!);
  expect(data.subarray(3, 5).toString()).toBe('k1');
  data.write('k0', 3);
  await expect(codec.decode([{ ...sealed, data }])).rejects.toMatchObject({
    name: 'CodecDecryptError',
    message: expect.stringMatching(/failed authentication/),
  });
});

test('an unknown key id fails with a clear error naming it', async () => {
  const [sealed] = await new EncryptionCodec([key('old')]).encode([payload('secret')]);
  await expect(new EncryptionCodec([key('new')]).decode([sealed])).rejects.toMatchObject({
    name: 'CodecUnknownKeyError',
    message: expect.stringMatching(/key id "old", which is not configured \(have new\)/),
  });
});

test('rotation: after adding a key, old payloads still open and new ones carry the new id', async () => {
  const k1 = key('k1');
  const [old] = await new EncryptionCodec([k1]).encode([payload('before')]);
  const rotated = new EncryptionCodec([k1, key('k2')]);
  expect(valueOf((await rotated.decode([old]))[0])).toBe('before');
  expect(keyIdOf((await rotated.encode([payload('after')]))[0])).toBe('k2');
});

test('payloads in clear pass through decode', async () => {
  const clear = payload({ a: 1 });
  expect(await new EncryptionCodec([key('k1')]).decode([clear])).toEqual([clear]);
});

describe('keys', () => {
  const b64 = randomBytes(32).toString('base64');

  test('SAGENT_CODEC_KEYS lists id:base64key, newest last', () => {
    const keyring = parseKeyList(`a:${b64}, b:${b64}`);
    expect(keyring.map((k) => k.id)).toEqual(['a', 'b']);
    expect(formatKeyList(keyring)).toBe(`a:${b64},b:${b64}`);
  });

  test.each([
    ['no id', b64, /entry 1 is not id:base64key/],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, /entry 1 \(id "k1"\): the key must be base64 of 32 bytes, not 16/],
    ['not base64', 'k1:not*base64', /base64 of 32 bytes: make one with `openssl rand -base64 32`/],
    ['a duplicate id', `k1:${b64},k1:${b64}`, /lists the key id "k1" twice/],
  ])('a malformed key (%s) fails in one line without printing the key', (_, text, message) => {
    let error: Error | undefined;
    try {
      parseKeyList(text);
    } catch (err) {
      error = err as Error;
    }
    expect(error).toMatchObject({ name: 'CodecKeyError', message: expect.stringMatching(message) });
    expect(error!.message).not.toContain('\n');
    expect(error!.message).not.toContain(b64);
  });

  test('a key file is read when SAGENT_CODEC_KEYS is not set; nothing configured means no codec', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-keys-')), 'keys.json');
    fs.writeFileSync(file, JSON.stringify({ keys: [{ id: 'f1', key: b64 }] }));
    expect(loadKeyring({ SAGENT_CODEC_KEY_FILE: file })?.map((k) => k.id)).toEqual(['f1']);
    expect(codecDataConverter({ SAGENT_CODEC_KEY_FILE: file })?.payloadCodecs).toHaveLength(1);
    expect(codecDataConverter({})).toBeUndefined();
    fs.writeFileSync(file, '{"keys": []}');
    expect(() => loadKeyring({ SAGENT_CODEC_KEY_FILE: file })).toThrow(/has no "keys" list/);
    expect(() => loadKeyring({ SAGENT_CODEC_KEY_FILE: `${file}.missing` })).toThrow(/cannot read the codec key file .*ENOENT/);
  });
});

describe('formats', () => {
  // Sealed by the format 1 codec (cipher name in the metadata, no preset dictionary) under `legacy`, a key of 32 bytes of 7.
  const legacy: CodecKey = { id: 'legacy', key: Buffer.alloc(32, 7) };
  const format1 = (data: string): Payload => ({
    metadata: {
      encoding: Buffer.from('binary/encrypted'),
      'encryption-key-id': Buffer.from('legacy'),
      'encryption-cipher': Buffer.from('deflate+aes-256-gcm'),
    },
    data: Buffer.from(data, 'base64'),
  });

  test('format 1 payloads from older histories still open', async () => {
    const codec = new EncryptionCodec([legacy, key('k2')]);
    const [json, binary] = await codec.decode([
      format1(
        'qpqcFAqVcI+TsxhglEkOL8jbzCJ6i+Ze/zInmWLSsbF3VYqbglFA+onoERaLo3AtpynN3v3IeitrumXqq9tv4sVivF3aEzKbrWqxEhk9bHCJpYp7VKHG9zCchZCc9khJ4TPLK51jL0oO9EA9eLV95bOaspw2uAfwa0uwd9x5ZoTskgHyAjHK9NQBNQ==',
      ),
      format1('LOI8Kyp8/U7lx+Q5bSmVh1BBo5Vv4YqSGGOPP6MT+o8ZbrUVNyBuoEQd3ph4hWlieDpjXjMAT6HEcd7UNqgyl31jxEQTrtdgRbJScqXW1RvEL9c='),
    ]);
    expect(valueOf(json)).toEqual({ agent: 'travel', tool: 'book_hotel', input: { city: 'Lisbon' }, effectId: 'trip-1/effect-2' });
    expect(Buffer.from(binary.metadata!.note!).toString()).toBe('x');
    expect(Buffer.from(binary.metadata!.encoding!).toString()).toBe('binary/plain');
    expect([...binary.data!]).toEqual([0, 1, 2, 255]);
  });

  test('a format 1 payload with a flipped byte still fails authentication', async () => {
    const sealed = format1('LOI8Kyp8/U7lx+Q5bSmVh1BBo5Vv4YqSGGOPP6MT+o8ZbrUVNyBuoEQd3ph4hWlieDpjXjMAT6HEcd7UNqgyl31jxEQTrtdgRbJScqXW1RvEL9c=');
    sealed.data![20] ^= 0x01;
    await expect(new EncryptionCodec([legacy]).decode([sealed])).rejects.toMatchObject({ name: 'CodecDecryptError' });
  });

  test('a small JSON payload costs little more sealed than in clear: the key in its head, its encoding implied, a dictionary', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const input = payload({ agent: 'travel', model: 'claude-sonnet-4-6', maxTokens: 4096, turn: 17 });
    const [sealed] = await codec.encode([input]);
    expect(Object.keys(sealed.metadata!)).toEqual(['encoding']);
    expect(keyIdOf(sealed)).toBe('k1');
    // The head, the nonce and the tag are the whole overhead; the dictionary more than pays for them here.
    expect(sealed.data!.length).toBeLessThan(input.data!.length);
    const [opened] = await codec.decode([sealed]);
    expect(opened).toEqual({ metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: input.data });
  });

  test('a payload with metadata of its own, or one that does not compress, round-trips', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const binary: Payload = { metadata: { encoding: Buffer.from('binary/plain'), note: Buffer.from('x') }, data: randomBytes(64) };
    const [opened] = await codec.decode(await codec.encode([binary]));
    expect(Buffer.from(opened.metadata!.note!).toString()).toBe('x');
    expect(Buffer.from(opened.data!)).toEqual(Buffer.from(binary.data!));
  });

  test('the head is bound to the ciphertext: flipping the flags, or naming another key of the same length, fails', async () => {
    const codec = new EncryptionCodec([key('k1'), key('k2')]);
    const [sealed] = await codec.encode([payload({ card: '4242 4242 4242 4242' })]);
    const flipped = Buffer.from(sealed.data!);
    flipped[1] ^= 0x01;
    await expect(codec.decode([{ ...sealed, data: flipped }])).rejects.toMatchObject({ name: 'CodecDecryptError' });
    const renamed = Buffer.from(sealed.data!);
    renamed[4] = '1'.charCodeAt(0);
    expect(keyIdOf({ ...sealed, data: renamed })).toBe('k1');
    await expect(codec.decode([{ ...sealed, data: renamed }])).rejects.toMatchObject({ name: 'CodecDecryptError' });
  });
});
