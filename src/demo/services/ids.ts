/** Resource ids, and deterministic demo data derived from a text (same question, same answer). */
import { createHash, randomBytes } from 'node:crypto';

/** A new resource id such as `FB-7Q2K9D`; uniqueness matters, readability helps the demo. */
export function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(10);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return `${prefix}-${id}`;
}

/** A number in [min, max] that depends only on `seed`. */
export function stableInt(seed: string, min: number, max: number): number {
  const value = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return min + (value % (max - min + 1));
}

/** One element of `items`, picked by `seed`. */
export function stablePick<T>(seed: string, items: readonly T[]): T {
  return items[stableInt(seed, 0, items.length - 1)];
}

/** Whole days from `from` to `to` (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
