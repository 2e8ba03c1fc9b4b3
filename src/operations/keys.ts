/**
 * Approver keys on this machine: one Ed25519 key pair per approver name, the private key in the user's config dir
 * (`$SAGENT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/sagent`, else `~/.config/sagent`), readable by the user only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newKeyPair, publicKeyOf } from '../policies/signature';

/** An approver's Ed25519 key pair, kept in their config directory; runs list the public half. */
export interface ApproverKey {
  name: string;
  /** Hex, 32 bytes; never leaves this machine. */
  privateKey: string;
  /** Hex, 32 bytes; what a run's input lists for this approver. */
  publicKey: string;
}

/** The directory sagent keeps its per-user files in. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAGENT_CONFIG_DIR) return env.SAGENT_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'sagent');
}

/** Where the key of `name` lives. Names are kept to a safe file-name alphabet. */
export function keyPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name) || name.startsWith('.')) {
    throw new RangeError(`an approver name for a key is 1-64 letters, digits or . _ @ -, not ${JSON.stringify(name.slice(0, 40))}`);
  }
  return path.join(configDir(env), 'keys', `${name}.json`);
}

/** Creates the key pair of `name` (mode 0600); refuses to overwrite one unless `force`. */
export function createKey(name: string, options: { force?: boolean; env?: NodeJS.ProcessEnv } = {}): ApproverKey {
  const file = keyPath(name, options.env);
  if (!options.force && fs.existsSync(file)) throw new Error(`a key for ${name} already exists at ${file}; pass --force to replace it`);
  const pair = newKeyPair();
  const key: ApproverKey = { name, ...pair };
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return key;
}

/** The key of `name` on this machine, or undefined when there is none. */
export function loadKey(name: string, env: NodeJS.ProcessEnv = process.env): ApproverKey | undefined {
  let file: string;
  try {
    file = keyPath(name, env);
  } catch {
    return undefined;
  }
  if (!fs.existsSync(file)) return undefined;
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ApproverKey>;
  if (typeof stored.privateKey !== 'string') throw new Error(`the key file ${file} has no privateKey`);
  return { name, privateKey: stored.privateKey, publicKey: publicKeyOf(stored.privateKey) };
}

/** The key of `name`, created on first use (the demo's approver). */
export function ensureKey(name: string, env: NodeJS.ProcessEnv = process.env): ApproverKey {
  return loadKey(name, env) ?? createKey(name, { env });
}
