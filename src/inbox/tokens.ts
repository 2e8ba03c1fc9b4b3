/**
 * Who is signed in to the inbox: one secret token per approver, from `SAGENT_INBOX_TOKENS` (`alice:<token>,bob:<token>`)
 * or the file `SAGENT_INBOX_TOKENS_FILE` (default `<config dir>/inbox-tokens.json`, `{ "alice": "<token>" }`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { configDir } from '../operations/keys';

/** Tokens shorter than this are refused: they could be guessed. */
const MIN_TOKEN_LENGTH = 16;

export type InboxTokens = ReadonlyMap<string, string>;

/** The approvers' tokens, by approver name; throws naming what to fix. */
export function loadInboxTokens(env: NodeJS.ProcessEnv = process.env): InboxTokens {
  const tokens = new Map<string, string>();
  if (env.SAGENT_INBOX_TOKENS) {
    for (const entry of env.SAGENT_INBOX_TOKENS.split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const at = entry.indexOf(':');
      if (at <= 0) throw new Error('SAGENT_INBOX_TOKENS is name:token, comma-separated');
      tokens.set(entry.slice(0, at), entry.slice(at + 1));
    }
  } else {
    const file = env.SAGENT_INBOX_TOKENS_FILE ?? path.join(configDir(env), 'inbox-tokens.json');
    if (fs.existsSync(file)) {
      for (const [name, token] of Object.entries(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>)) {
        if (typeof token === 'string') tokens.set(name, token);
      }
    }
  }
  for (const [name, token] of tokens) {
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`the inbox token of ${name} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  }
  return tokens;
}

/** The approver a bearer token belongs to, compared in constant time; undefined for no or an unknown token. */
export function approverOf(tokens: InboxTokens, token: string | undefined): string | undefined {
  if (!token) return undefined;
  const presented = digest(token);
  let found: string | undefined;
  for (const [name, candidate] of tokens) if (timingSafeEqual(presented, digest(candidate))) found = name;
  return found;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
