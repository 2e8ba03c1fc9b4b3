/**
 * The repeat guard: a state-changing call identical to one already committed in this run is answered from the
 * earlier result instead of running again, and a model that keeps repeating a refused call is slowed down, then
 * stopped. Pure: the memory goes in, a new one comes out; bounded, so continue-as-new can carry it.
 */
import type { CommittedCall, RepeatedRefusal, RepeatMemory } from '../shared/repeats';
import { capText } from './context';

/** How much the guard remembers, and when repeating a refused call becomes a loop. */
export interface RepeatLimits {
  /** Committed calls remembered; the oldest are forgotten first. */
  committedKept: number;
  /** Bytes of an earlier result kept to answer a repeat. */
  resultBytes: number;
  /** Refused calls counted; the oldest are forgotten first. */
  refusedKept: number;
  /** Refusals of one identical call after which the next model call waits. */
  backoffAfter: number;
  /** Refusals of one identical call that end the saga. */
  stopAfter: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const REPEAT_LIMITS: RepeatLimits = {
  committedKept: 50,
  resultBytes: 2048,
  refusedKept: 200,
  backoffAfter: 2,
  stopAfter: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
};

export type { CommittedCall, RepeatedRefusal, RepeatMemory } from '../shared/repeats';

export const EMPTY_REPEATS: RepeatMemory = { committed: {}, refused: {}, stuck: null };

/** Remembers a committed call so an identical one is answered from it. */
export function rememberCommitted(memory: RepeatMemory, callKey: string, call: CommittedCall, limits: RepeatLimits = REPEAT_LIMITS): RepeatMemory {
  const committed = { ...memory.committed };
  delete committed[callKey];
  committed[callKey] = { ...call, result: capText(call.result, limits.resultBytes) };
  return { ...memory, committed: keepNewest(committed, limits.committedKept) };
}

/** What Claude is shown for a repeat: the earlier result, with a note that nothing ran again. */
export function repeatAnswer(earlier: CommittedCall): string {
  return (
    `[not run again: this exact ${earlier.tool} call already ran in this run (${earlier.effectId}); ` +
    'its result is below. Change the arguments if you need another one.]\n' +
    earlier.result
  );
}

/** Counts one more refusal of the call with `refusalKey`; returns the new count. */
export function countRefusal(refused: Record<string, number>, refusalKey: string, limits: RepeatLimits = REPEAT_LIMITS): number {
  const count = (refused[refusalKey] ?? 0) + 1;
  delete refused[refusalKey];
  refused[refusalKey] = count;
  for (const key of Object.keys(refused).slice(0, Math.max(0, Object.keys(refused).length - limits.refusedKept))) delete refused[key];
  return count;
}

export type RepeatVerdict =
  | { kind: 'go' }
  /** Wait before asking Claude again: a model repeating itself in a tight loop is slowed down. */
  | { kind: 'backoff'; delayMs: number }
  /** The saga ends: the model is stuck on one call. */
  | { kind: 'stop'; reason: string };

/** What to do before the next model call, given the refusal repeated most often in the last turn. */
export function repeatVerdict(stuck: RepeatedRefusal | null, limits: RepeatLimits = REPEAT_LIMITS): RepeatVerdict {
  if (!stuck || stuck.count < limits.backoffAfter) return { kind: 'go' };
  if (stuck.count >= limits.stopAfter) {
    return { kind: 'stop', reason: `stuck in a loop: Claude made the same refused ${stuck.tool} call ${stuck.count} times (${stuck.error})` };
  }
  const delayMs = Math.min(limits.initialBackoffMs * 2 ** (stuck.count - limits.backoffAfter), limits.maxBackoffMs);
  return { kind: 'backoff', delayMs };
}

function keepNewest<T>(record: Record<string, T>, keep: number): Record<string, T> {
  const entries = Object.entries(record);
  return Object.fromEntries(entries.slice(Math.max(0, entries.length - keep)));
}
