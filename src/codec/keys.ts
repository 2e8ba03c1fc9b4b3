/**
 * The codec's keys: from SAGENT_CODEC_KEYS (`id1:base64key,id2:base64key`, newest last) or from the JSON file named
 * by SAGENT_CODEC_KEY_FILE (`{ "keys": [{ "id": "k1", "key": "<base64>" }] }`, newest last). New payloads use the
 * newest key; older ones stay listed so what they encrypted still decodes.
 */
import { readFileSync } from 'node:fs';

/** AES-256 needs exactly this many key bytes. */
export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** One encryption key and the id stored next to what it encrypted. */
export interface CodecKey {
  id: string;
  key: Buffer;
}

/** The keys, oldest first; the last one encrypts. */
export type CodecKeyring = readonly CodecKey[];

/** A key setting that cannot be used; the message says which entry and how to fix it, never the key itself. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError' as const;
}

/** Parses `id1:base64key,id2:base64key`; `source` names the setting in errors. */
export function parseKeyList(text: string, source = 'SAGENT_CODEC_KEYS'): CodecKeyring {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new CodecKeyError(`${source} is empty: set it to id:base64key[,id:base64key...], newest last`);
  return checkKeyring(
    entries.map((entry, index) => {
      const colon = entry.indexOf(':');
      if (colon <= 0) throw new CodecKeyError(`${source} entry ${index + 1} is not id:base64key (no id before a colon)`);
      return toKey(entry.slice(0, colon), entry.slice(colon + 1), `${source} entry ${index + 1}`);
    }),
    source,
  );
}

/** Reads a key file: `{ "keys": [{ "id", "key" }] }`, newest last. */
export function readKeyFile(file: string): CodecKeyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new CodecKeyError(`cannot read the codec key file ${file} (${reason}): it holds {"keys":[{"id":"k1","key":"<base64 of 32 bytes>"}]}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new CodecKeyError(`the codec key file ${file} has no "keys" list: it holds {"keys":[{"id":"k1","key":"<base64 of 32 bytes>"}]}`);
  }
  return checkKeyring(
    keys.map((entry: unknown, index) => {
      const { id, key } = (entry ?? {}) as { id?: unknown; key?: unknown };
      return toKey(typeof id === 'string' ? id : '', typeof key === 'string' ? key : '', `key ${index + 1} of ${file}`);
    }),
    file,
  );
}

/** The configured keys, or null when neither SAGENT_CODEC_KEYS nor SAGENT_CODEC_KEY_FILE is set. */
export function loadKeyring(env: NodeJS.ProcessEnv = process.env): CodecKeyring | null {
  if (env.SAGENT_CODEC_KEYS?.trim()) return parseKeyList(env.SAGENT_CODEC_KEYS);
  if (env.SAGENT_CODEC_KEY_FILE?.trim()) return readKeyFile(env.SAGENT_CODEC_KEY_FILE);
  return null;
}

/** `id:base64key`, as SAGENT_CODEC_KEYS lists them. */
export function formatKeyList(keyring: CodecKeyring): string {
  return keyring.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');
}

function toKey(id: string, base64: string, where: string): CodecKey {
  if (!KEY_ID.test(id)) throw new CodecKeyError(`${where}: the key id must be 1-64 letters, digits, dots, dashes or underscores`);
  const trimmed = base64.trim();
  const key = BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : null;
  if (key === null || key.length !== KEY_BYTES) {
    throw new CodecKeyError(
      `${where} (id "${id}"): the key must be base64 of ${KEY_BYTES} bytes${key ? `, not ${key.length}` : ''}: make one with \`openssl rand -base64 32\``,
    );
  }
  return { id, key };
}

function checkKeyring(keys: CodecKey[], source: string): CodecKeyring {
  const seen = new Set<string>();
  for (const { id } of keys) {
    if (seen.has(id)) throw new CodecKeyError(`${source} lists the key id "${id}" twice: each key needs its own id`);
    seen.add(id);
  }
  return keys;
}
