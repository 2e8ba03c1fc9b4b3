/** Option parsers: a bad value is refused by commander with one line naming the option. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer, e.g. 10');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number, e.g. 2.5');
  return n;
}

/** For repeatable options: `--approver a --approver b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Non-empty text, trimmed. */
export function text(value: string): string {
  const trimmed = value.trim();
  if (!trimmed) throw new InvalidArgumentError('must not be empty');
  return trimmed;
}

/** A JSON object (`--policy`); the run input's schema checks its fields. */
export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`expected JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, e.g. {"rules":[...]}');
  return parsed as Record<string, unknown>;
}
