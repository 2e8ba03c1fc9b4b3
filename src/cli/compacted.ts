/** What a long run's books no longer list, said plainly wherever the books are printed. */
import type { CompactedBooks } from '../shared/contracts';

/** "N earlier steps in earlier runs": the timeline entries continue-as-new did not carry. */
export function earlierStepsLine(books: CompactedBooks | null | undefined): string | null {
  const n = books?.timelineEntries ?? 0;
  if (n === 0) return null;
  return `… ${n} earlier step${n === 1 ? '' : 's'} in earlier runs (timeline entries not kept; the earlier runs' histories hold them)`;
}

/** The settled effects the ledger no longer lists, by the outcome each has; none of them has anything to undo. */
export function compactedEffectsLine(books: Pick<CompactedBooks, 'effects' | 'effectOutcomes' | 'effectsThroughSeq'> | null | undefined): string | null {
  if (!books || books.effects === 0) return null;
  const outcomes = Object.entries(books.effectOutcomes)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([outcome, count]) => `${count} ${outcome}`)
    .join(', ');
  const n = books.effects;
  return `${n} earlier effect${n === 1 ? '' : 's'} (through effect-${books.effectsThroughSeq}) compacted: ${outcomes}; nothing left to undo`;
}

/** Every line about what was compacted: steps, effects, decisions, forgotten call counts. */
export function compactedLines(books: CompactedBooks | null | undefined): string[] {
  if (!books) return [];
  const lines = [earlierStepsLine(books), compactedEffectsLine(books)].filter((line): line is string => line !== null);
  if (books.approvals > 0)
    lines.push(`${books.approvals} earlier approval decision${books.approvals === 1 ? '' : 's'} not listed (in the earlier runs' histories)`);
  if (books.callKeys > 0) lines.push(`${books.callKeys} earlier distinct call${books.callKeys === 1 ? '' : 's'} no longer counted by the identical-call guard`);
  return lines;
}
