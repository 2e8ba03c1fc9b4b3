/**
 * The payload codec: each payload (its metadata and data) is compressed with zlib, then sealed with AES-256-GCM under
 * the newest key. The key id travels in the payload's metadata (and is bound to the ciphertext as associated data),
 * so keys rotate: new payloads use the newest key and payloads sealed under an older one still open while it is listed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { CodecKey, CodecKeyring } from './keys';

/** The `encoding` of a sealed payload, as Temporal's samples and UI know it. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was sealed with. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata naming the scheme, so a later one can be told apart. */
export const CIPHER_METADATA = 'encryption-cipher';
export const CIPHER = 'deflate+aes-256-gcm';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload sealed with a key id this codec does not have. */
export class CodecUnknownKeyError extends Error {
  override name = 'CodecUnknownKeyError' as const;
}

/** A sealed payload that does not open: tampered with, truncated, or sealed under another key with the same id. */
export class CodecDecryptError extends Error {
  override name = 'CodecDecryptError' as const;
}

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
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(deflateRawSync(serialize(payload))), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8(id),
        [CIPHER_METADATA]: utf8(CIPHER),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    const key = id === null ? undefined : this.byId.get(id);
    if (!key) {
      throw new CodecUnknownKeyError(
        `a payload is encrypted with key id "${id ?? '(none)'}", which is not configured (have ${[...this.byId.keys()].join(', ')}): ` +
          'keep every key still in use in SAGENT_CODEC_KEYS or the key file',
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecDecryptError(`a payload encrypted with key "${id}" is truncated`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(key.id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecDecryptError(`a payload encrypted with key "${id}" failed authentication: it was altered, or that id names a different key here`);
    }
    return deserialize(inflateRawSync(plain));
  }
}

/** Whether this codec sealed the payload. */
export function isSealed(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING && payload.metadata?.[KEY_ID_METADATA] !== undefined;
}

/** The key id a sealed payload names, or null for a payload in clear. */
export function keyIdOf(payload: Payload): string | null {
  return isSealed(payload) ? text(payload.metadata?.[KEY_ID_METADATA]) : null;
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
