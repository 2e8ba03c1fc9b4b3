/**
 * The payload codec: each payload (its metadata and data) is compressed with zlib, then sealed with AES-256-GCM under
 * the newest key. The key id travels in the payload's metadata (and is bound to the ciphertext as associated data),
 * so keys rotate: new payloads use the newest key and payloads sealed under an older one still open while it is listed.
 *
 * Format 2 (written today) keeps a run's many small payloads small: a clear head ahead of the nonce (format, flags,
 * key id) instead of two metadata entries naming the key and the cipher, a JSON payload's data sealed alone (its
 * `json/plain` encoding is implied), and deflate with a preset dictionary of sagent's JSON, used only when it makes the
 * payload smaller. Format 1 payloads (key id and cipher name in the metadata) still open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { DICTIONARY_V2 } from './dictionary';
import type { CodecKey, CodecKeyring } from './keys';

/** The `encoding` of a sealed payload, as Temporal's samples and UI know it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a format 1 payload was sealed with (format 2 names it in its head). */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata naming the scheme of format 1 payloads; format 2 says its format in its first byte instead. */
export const CIPHER_METADATA = 'encryption-cipher';
/** The scheme of format 1 payloads (still opened, no longer written). */
export const CIPHER = 'deflate+aes-256-gcm';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The first byte of a format 2 payload's data; its head is format, flags, key id length, key id. */
const FORMAT_2 = 2;
/** Format 2 flags, the second byte: the sealed bytes were deflated with {@link DICTIONARY_V2}. */
const FLAG_DEFLATED = 1;
/** Format 2 flags: the payload was `json/plain` with no other metadata, so only its data was sealed. */
const FLAG_JSON_PLAIN = 2;
const JSON_PLAIN = 'json/plain';

/** A payload sealed with a key id this codec does not have. */
export class CodecUnknownKeyError extends Error {
  override name = 'CodecUnknownKeyError' as const;
}

/** A sealed payload that does not open: tampered with, truncated, or sealed under another key with the same id. */
export class CodecDecryptError extends Error {
  override name = 'CodecDecryptError' as const;
}

/** A payload codec that compresses each payload and seals it with AES-256-GCM under the newest key of a keyring and opens them with any key in it. */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, CodecKey>;
  private readonly current: CodecKey;

  /** `keyring` oldest first; the last key seals. */
  constructor(keyring: CodecKeyring) {
    if (keyring.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.byId = new Map(keyring.map((key) => [key.id, key]));
    this.current = keyring[keyring.length - 1];
  }

  /** The id new payloads are sealed with. */
  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  /** Payloads that are not sealed pass through, so histories written before the codec was on still read. */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isSealed(payload) ? this.open(payload) : payload));
  }

  private seal(payload: Payload): Payload {
    const { id, key } = this.current;
    const jsonPlain = isJsonPlainOnly(payload);
    const body = jsonPlain ? Buffer.from(payload.data ?? new Uint8Array()) : serialize(payload);
    // Deflate only where it pays: a payload of a few dozen bytes can come out longer.
    const deflated = deflateRawSync(body, { dictionary: DICTIONARY_V2 });
    const compress = deflated.length < body.length;
    const idBytes = Buffer.from(id, 'utf8');
    const head = Buffer.concat([Buffer.from([FORMAT_2, (compress ? FLAG_DEFLATED : 0) | (jsonPlain ? FLAG_JSON_PLAIN : 0), idBytes.length]), idBytes]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    // The whole head is associated data: neither the flags nor the key id can be changed unnoticed.
    cipher.setAAD(head);
    const sealed = Buffer.concat([head, iv, cipher.update(compress ? deflated : body), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { encoding: utf8(ENCRYPTED_ENCODING) }, data: sealed };
  }

  private open(payload: Payload): Payload {
    const data = Buffer.from(payload.data ?? new Uint8Array());
    const head = headOf(payload);
    const id = head ? head.id : text(payload.metadata?.[KEY_ID_METADATA]);
    const key = id === null ? undefined : this.byId.get(id);
    if (!key) {
      throw new CodecUnknownKeyError(
        `a payload is encrypted with key id "${id ?? '(none)'}", which is not configured (have ${[...this.byId.keys()].join(', ')}): ` +
          'keep every key still in use in SAGENT_CODEC_KEYS or the key file',
      );
    }
    if (!head) {
      const cipherName = text(payload.metadata?.[CIPHER_METADATA]);
      if (cipherName !== CIPHER) throw new CodecDecryptError(`a payload encrypted with key "${key.id}" names an unknown cipher "${cipherName ?? '(none)'}"`);
      // Format 1: the key id alone was the associated data.
      return deserialize(inflateRawSync(decrypt(key, data, Buffer.from(key.id, 'utf8'))));
    }
    const plain = decrypt(key, data.subarray(head.bytes.length), head.bytes);
    const body = head.flags & FLAG_DEFLATED ? inflateRawSync(plain, { dictionary: DICTIONARY_V2 }) : plain;
    return head.flags & FLAG_JSON_PLAIN ? { metadata: { encoding: utf8(JSON_PLAIN) }, data: new Uint8Array(body) } : deserialize(body);
  }
}

/** A format 2 payload's head (format, flags, key id), or null for a format 1 payload (its key id in the metadata). */
function headOf(payload: Payload): { bytes: Buffer; flags: number; id: string } | null {
  if (payload.metadata?.[KEY_ID_METADATA] !== undefined) return null;
  const data = Buffer.from(payload.data ?? new Uint8Array());
  if (data.length < 3 || data[0] !== FORMAT_2 || data.length < 3 + data[2])
    throw new CodecDecryptError('an encrypted payload is in an unknown format, or truncated');
  const bytes = data.subarray(0, 3 + data[2]);
  return { bytes, flags: data[1], id: bytes.subarray(3).toString('utf8') };
}

/** Opens `sealed` (nonce, ciphertext, tag) under `key`, with `associated` as the associated data. */
function decrypt(key: CodecKey, sealed: Buffer, associated: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new CodecDecryptError(`a payload encrypted with key "${key.id}" is truncated`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(associated);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CodecDecryptError(`a payload encrypted with key "${key.id}" failed authentication: it was altered, or that id names a different key here`);
  }
}

/** A payload whose only metadata is `encoding: json/plain`, as the default converter writes every JSON value. */
function isJsonPlainOnly(payload: Payload): boolean {
  const names = Object.keys(payload.metadata ?? {});
  return names.length === 1 && text(payload.metadata?.encoding) === JSON_PLAIN;
}

/** Whether this codec sealed the payload (in either format). */
export function isSealed(payload: Payload): boolean {
  if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return false;
  return payload.metadata?.[KEY_ID_METADATA] !== undefined || payload.data?.[0] === FORMAT_2;
}

/** The key id a sealed payload names, or null for a payload in clear. */
export function keyIdOf(payload: Payload): string | null {
  if (!isSealed(payload)) return null;
  try {
    return headOf(payload)?.id ?? text(payload.metadata?.[KEY_ID_METADATA]);
  } catch {
    return null;
  }
}

// A payload as bytes: a 4-byte length, the metadata as JSON with base64 values, then the data.
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([name, value]) => [name, Buffer.from(value).toString('base64')]));
  const header = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, Buffer.from(payload.data ?? new Uint8Array())]);
}

function deserialize(bytes: Buffer): Payload {
  const headerLength = bytes.readUInt32BE(0);
  const metadata = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name, new Uint8Array(Buffer.from(value, 'base64'))])),
    data: new Uint8Array(bytes.subarray(4 + headerLength)),
  };
}

function utf8(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, 'utf8'));
}

function text(bytes: Uint8Array | null | undefined): string | null {
  return bytes ? Buffer.from(bytes).toString('utf8') : null;
}
