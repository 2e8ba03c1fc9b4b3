/**
 * Refused messages, kept where people look: a short, byte-bounded tail in the run memory (carried, shown in the
 * current details and `getState`), a timeline entry, and for signals, which cannot answer their sender, a
 * durable trace in the history: one small memo upsert per refusal.
 */
import { patched, upsertMemo } from '@temporalio/workflow';
import { clip, INPUT_LIMITS } from '../policies/operator-input';
import type { RejectedAttempt } from '../shared/records';
import type { Timeline } from './timeline';

/** Refusals kept; older ones stay in the history (the memo trace) and in the timeline while it holds them. */
export const REFUSALS_KEPT = 20;
/** The longest `why` kept; a refusal's reason is ours, but it may quote a clipped field. */
const WHY_KEPT = 300;

/** The memo key of the latest refused signal; the UI shows it, `describe()` returns it. */
export const REFUSAL_MEMO_KEY = 'sagentLastRefusal';

export type Refused = Omit<RejectedAttempt, 'n' | 'at'>;

/** Keeps a refusal at the end of the tail, clipped, numbered after the last one; returns what was kept. */
export function recordRefusal(tail: RejectedAttempt[], refused: Refused, timeline: Timeline): RejectedAttempt {
  const attempt: RejectedAttempt = {
    callId: clip(refused.callId, INPUT_LIMITS.name),
    approver: clip(refused.approver, INPUT_LIMITS.name),
    at: new Date(Date.now()).toISOString(),
    why: clip(refused.why, WHY_KEPT),
    via: refused.via,
    n: (tail.at(-1)?.n ?? tail.length) + 1,
    ...(refused.code ? { code: refused.code } : {}),
    ...(refused.message ? { message: refused.message } : {}),
  };
  tail.push(attempt);
  if (tail.length > REFUSALS_KEPT) tail.splice(0, tail.length - REFUSALS_KEPT);
  timeline.note(
    'approval',
    `refused ${attempt.message ?? 'approval'} ${attempt.via} from ${attempt.approver || 'nobody'} (${attempt.callId || 'no call'})`,
    'error',
    attempt.why,
  );
  return attempt;
}

/**
 * A refused signal leaves a trace in the history: a memo upsert (a few hundred bytes, no registration needed,
 * unlike a search attribute) naming who, when and why. Histories from before it replay without one.
 */
export function traceRefusal(attempt: RejectedAttempt): void {
  if (!patched('sagent-refusal-trace')) return;
  upsertMemo({ [REFUSAL_MEMO_KEY]: attempt });
}
