/**
 * The compensation part of a run's current details (Markdown, as the Temporal UI renders it): for each undo that
 * keeps failing, what failed and the `retryCompensation` / `skipCompensation` payloads to paste; then the operator
 * actions taken so far. Every value a sender or a service wrote is shown as data (escaped text or code).
 */
import { codeBlock, codeSpan, plainText } from '../shared/markdown';
import type { EffectRecord, TimelineEntry } from '../shared/records';

/** Operator actions the details list, newest first; all are in getState's timeline. */
const ACTIONS_SHOWN = 5;
/** The longest compensation error shown; the whole one is in getState. */
const ERROR_SHOWN = 300;

/** The paste-ready payload of an operator action on `effect`; the placeholders are refused until replaced. */
export function operatorTemplate(effect: Pick<EffectRecord, 'seq'>, kind: 'retry' | 'skip'): Record<string, string> {
  return { effectId: String(effect.seq), by: '<your name>', reason: kind === 'retry' ? '<what you fixed>' : '<how you undid it by hand>' };
}

/** The Markdown sections for the undos that keep failing (while the run is blocked) and the recent operator actions. */
export function renderOperatorDetails(effects: readonly EffectRecord[], timeline: readonly TimelineEntry[], blocked: boolean): string[] {
  const sections = blocked ? effects.filter((effect) => effect.compensation === 'failed').map(renderBlocked) : [];
  const actions = timeline
    .filter((entry) => entry.kind === 'compensation' && / requested by /.test(entry.title))
    .slice(-ACTIONS_SHOWN)
    .reverse();
  if (actions.length > 0) {
    const lines = actions.map(
      (entry) => `- ${entry.at} · ${plainText(entry.title)}${entry.effectId ? ` (${codeSpan(entry.effectId)})` : ''}: ${plainText(entry.detail ?? '')}`,
    );
    sections.push([`**Operator actions** (latest ${actions.length}; refused ones are under Refused attempts)`, ...lines].join('\n'));
  }
  return sections;
}

function renderBlocked(effect: EffectRecord): string {
  const error = effect.compensationError ?? 'no error recorded';
  return [
    `### Undo blocked: ${plainText(effect.undo ?? effect.tool)} of ${plainText(effect.tool)} (effect ${effect.seq})`,
    `- **attempts:** ${effect.compensationAttempts}`,
    `- **last error:** ${plainText(error.length > ERROR_SHOWN ? `${error.slice(0, ERROR_SHOWN)}…` : error)}`,
    'Once the cause is fixed, send the **`retryCompensation`** signal with this payload (your own name and reason in place of the placeholders):',
    codeBlock(JSON.stringify(operatorTemplate(effect, 'retry'), null, 2), 'json'),
    'Or, after undoing it by hand, send the **`skipCompensation`** signal with:',
    codeBlock(JSON.stringify(operatorTemplate(effect, 'skip'), null, 2), 'json'),
  ].join('\n');
}
