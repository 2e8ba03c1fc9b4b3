/**
 * What continue-as-new carries of a run's books, bounded: the newest timeline entries, approval records and
 * identical-call counts, and the ledger cut down to what a rollback still needs. Every effect that still has an
 * undo to run stays exact and in order; what is left out is counted in `CompactedBooks`, so readers can say so.
 * Pure: the books go in, new ones come out.
 */
import type { CompactedBooks, CompensationOutcome, EffectRecord, TimelineEntry, TurnInFlight } from '../shared/records';
import type { CarriedState, CarryLimits } from '../shared/run';

export const CARRY_LIMITS: CarryLimits = { timelineEntries: 24, settledEffects: 20, approvals: 50, callKeys: 64 };

export function resolveCarryLimits(partial: Partial<CarryLimits> | undefined): CarryLimits {
  return { ...CARRY_LIMITS, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, value]) => value !== undefined)) };
}

export const NOTHING_COMPACTED: CompactedBooks = {
  timelineEntries: 0,
  effects: 0,
  effectOutcomes: {},
  effectsThroughSeq: 0,
  approvals: 0,
  callKeys: 0,
};

const FINAL: readonly CompensationOutcome[] = ['compensated', 'not_needed', 'not_compensable', 'skipped'];

/**
 * The compensation outcome an effect has or will get at rollback without any undo running, or null when a rollback
 * may still have to run its undo (or to learn its outcome): such an effect must be carried exactly.
 */
export function settledOutcome(effect: EffectRecord): CompensationOutcome | null {
  if (FINAL.includes(effect.compensation)) return effect.compensation;
  // A sub-agent's step carries its children's effects, which the ledger view lists under it.
  if (effect.delegation) return null;
  if (effect.state === 'failed') return 'not_needed';
  if (effect.state === 'committed' && effect.undo === null) return 'not_compensable';
  return null;
}

/** The newest `keep` entries, and how many older ones were left out. */
export function keepNewestEntries<T>(entries: readonly T[], keep: number): { kept: T[]; dropped: number } {
  const dropped = Math.max(0, entries.length - Math.max(0, keep));
  return { kept: entries.slice(dropped), dropped };
}

/**
 * The ledger a rollback needs: every effect that may still need its undo (or whose outcome is unknown), exact and
 * in order, with the newest `keepSettled` settled ones beside them; older settled ones are counted by outcome.
 * Effects of the turn in flight are always kept: its calls may still refer to them.
 */
export function compactLedger(
  effects: readonly EffectRecord[],
  keepSettled: number,
  inFlight: TurnInFlight | null,
  before: CompactedBooks = NOTHING_COMPACTED,
): { effects: EffectRecord[]; compacted: Pick<CompactedBooks, 'effects' | 'effectOutcomes' | 'effectsThroughSeq'> } {
  const inTurn = new Set((inFlight?.calls ?? []).flatMap((call) => (call.changesWorld ? [call.effectId] : [])));
  const settled = effects.filter((effect) => !inTurn.has(effect.effectId) && settledOutcome(effect) !== null);
  const leftOut = new Set(settled.slice(0, Math.max(0, settled.length - Math.max(0, keepSettled))));
  const outcomes = { ...before.effectOutcomes };
  let throughSeq = before.effectsThroughSeq;
  for (const effect of leftOut) {
    const outcome = settledOutcome(effect)!;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    throughSeq = Math.max(throughSeq, effect.seq);
  }
  return {
    effects: effects.filter((effect) => !leftOut.has(effect)),
    compacted: { effects: before.effects + leftOut.size, effectOutcomes: outcomes, effectsThroughSeq: throughSeq },
  };
}

/**
 * The identical-call counts carried: calls already made more than once come first (they are the ones nearest the
 * limit), then the most recent; at most `keep` keys, in their original order.
 */
export function compactCallCounts(counts: Readonly<Record<string, number>>, keep: number): { counts: Record<string, number>; dropped: number } {
  const keys = Object.keys(counts);
  if (keys.length <= keep) return { counts: { ...counts }, dropped: 0 };
  const repeated = keys.filter((key) => counts[key] > 1);
  const kept = new Set(repeated.slice(Math.max(0, repeated.length - keep)));
  const once = keys.filter((key) => counts[key] <= 1);
  for (const key of once.slice(Math.max(0, once.length - (keep - kept.size)))) kept.add(key);
  return { counts: Object.fromEntries(keys.filter((key) => kept.has(key)).map((key) => [key, counts[key]])), dropped: keys.length - kept.size };
}

/** The books continue-as-new carries, bounded by `limits`; the counters and every effect still to undo stay exact. */
export function compactBooks(carried: CarriedState, limits: CarryLimits = CARRY_LIMITS): CarriedState {
  const before = carried.compacted ?? NOTHING_COMPACTED;
  const timeline = keepNewestEntries<TimelineEntry>(carried.timeline, limits.timelineEntries);
  const approvals = keepNewestEntries(carried.approvals, limits.approvals);
  const ledger = compactLedger(carried.effects, limits.settledEffects, carried.inFlight, before);
  const calls = compactCallCounts(carried.callCounts, limits.callKeys);
  return {
    ...carried,
    timeline: timeline.kept,
    approvals: approvals.kept,
    effects: ledger.effects,
    callCounts: calls.counts,
    compacted: {
      ...ledger.compacted,
      timelineEntries: before.timelineEntries + timeline.dropped,
      approvals: before.approvals + approvals.dropped,
      callKeys: before.callKeys + calls.dropped,
    },
  };
}

/** Whether anything was left out: readers show `compacted` only then. */
export function anyCompacted(books: CompactedBooks | undefined): books is CompactedBooks {
  return books !== undefined && (books.timelineEntries > 0 || books.effects > 0 || books.approvals > 0 || books.callKeys > 0);
}
