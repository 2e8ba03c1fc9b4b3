/** A run's ledger as lines: one row per effect, with the services' record beside it when they were asked. */
import type { RunLedger } from '../operations/ledger';
import { compactedEffectsLine } from './compacted';
import { table } from './io';

/** A run's ledger as `sagent ledger` prints it: a header line, then one table row per effect, with the services' record where asked. */
export function ledgerLines(ledger: RunLedger): string[] {
  const lines = [`${ledger.workflowId}  ${ledger.status}  ${ledger.effects.length} effect(s)`];
  const compacted = compactedEffectsLine(ledger.compacted);
  if (compacted) lines.push(compacted);
  if (ledger.effects.length === 0) return lines;
  const { services } = ledger;
  const rows = ledger.effects.map((effect) => [
    effect.effectId,
    // A sub-agent's effects sit under the step that delegated to them.
    `${'  '.repeat(effect.depth)}${effect.depth > 0 ? '↳ ' : ''}${effect.tool}`,
    effect.state,
    effect.compensation,
    String(effect.attempts),
    ...(services
      ? [effect.service?.operation ?? '-', effect.service?.resourceId ?? '-', effect.service?.state ?? '-', effect.service?.undo?.result ?? '-']
      : []),
  ]);
  const headers = ['effectId (Idempotency-Key)', 'tool', 'state', 'compensation', 'attempts'];
  if (services) headers.push('service op', 'resource', 'service state', 'undo');
  lines.push(...table(headers, rows));
  if (services) lines.push(`services: ${services.url}`);
  return lines;
}
