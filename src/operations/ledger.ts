/**
 * What a run did to the world: its own ledger, and optionally the services' own rows for its keys (`GET
 * /ledger?prefix=<workflowId>/`, as the demo services serve them) to cross-check each effect against.
 */
import { SERVICES_TIMEOUT_MS } from '../shared/constants';
import type { CompactedBooks, EffectRecord, RunStatus } from '../shared/contracts';
import type { ClientContext } from './context';
import { QueryUnansweredError } from './errors';
import { readRun } from './run-view';

/** The services' own rows for a run's keys. */
export interface ServicesLedger {
  url: string;
  effects: Array<{ key: string; service: string; operation: string; resourceId: string | null; state: string; undoneAt: string | null; createdAt: string }>;
  undos: Array<{ key: string; targetKey: string; result: string; createdAt: string }>;
}

/** One effect of the run, with the services' record of it when they were asked and answered. */
export interface LedgerEntry {
  effectId: string;
  seq: number;
  tool: string;
  state: EffectRecord['state'];
  undo: EffectRecord['undo'];
  compensation: EffectRecord['compensation'];
  attempts: number;
  compensationError?: string;
  skippedBy?: EffectRecord['skippedBy'];
  /** 0 for the run's own effects; 1 for a sub-agent's, listed after the step that delegated to it; and so on. */
  depth: number;
  /** Null when the services were not asked, or did not answer. */
  service: { operation: string | null; resourceId: string | null; state: string | null; undo: { key: string; result: string; at: string } | null } | null;
}

/** Every effect of a run with its key and compensation outcome, and the services' record of them where asked. */
export interface RunLedger {
  workflowId: string;
  status: RunStatus;
  /** In effect order. */
  effects: LedgerEntry[];
  /** Settled effects of earlier runs that a long run's ledger no longer lists, counted; null when none. */
  compacted: Pick<CompactedBooks, 'effects' | 'effectOutcomes' | 'effectsThroughSeq'> | null;
  /** The order the services saw the undos in (newest effect first when the saga rolled back); null without them. */
  undoOrder: string[] | null;
  /** The services that answered; null when none was asked or it did not answer. */
  services: { url: string } | null;
}

/** How `SagentClient.ledger` reads a run's ledger: alone, or cross-checked with the services that hold the effects. */
export interface LedgerOptions {
  /** Cross-check with the services at this URL. @default none: only the run's own ledger */
  servicesUrl?: string;
}

/** The services' rows for keys under `<workflowId>/`, or null when nothing answers at the URL. */
export async function fetchServicesLedger(url: string, workflowId: string): Promise<ServicesLedger | null> {
  const base = url.replace(/\/+$/, '');
  try {
    const response = await fetch(`${base}/ledger?prefix=${encodeURIComponent(`${workflowId}/`)}`, { signal: AbortSignal.timeout(SERVICES_TIMEOUT_MS) });
    if (!response.ok) return null;
    const body = (await response.json()) as Omit<ServicesLedger, 'url'>;
    return { url: base, effects: body.effects ?? [], undos: body.undos ?? [] };
  } catch {
    return null;
  }
}

/** The run's ledger; needs a worker to answer for the run. */
export async function ledgerOf(ctx: ClientContext, workflowId: string, options: LedgerOptions = {}): Promise<RunLedger> {
  const view = await readRun(ctx, workflowId, { closedState: true });
  if (view.source === 'search_attributes') {
    throw new QueryUnansweredError(`cannot read the ledger of ${workflowId}: ${view.fallbackReason ?? 'no worker answered'}`);
  }
  const services = options.servicesUrl ? await fetchServicesLedger(options.servicesUrl, workflowId) : null;
  const effects = (await treeOf(ctx, view.effects, 0)).map(({ effect, depth }): LedgerEntry => {
    const row = services?.effects.find((candidate) => candidate.key === effect.effectId);
    const undo = services?.undos.find((candidate) => candidate.targetKey === effect.effectId);
    return {
      effectId: effect.effectId,
      seq: effect.seq,
      tool: effect.tool,
      state: effect.state,
      undo: effect.undo,
      compensation: effect.compensation,
      attempts: effect.compensationAttempts,
      depth,
      ...(effect.compensationError ? { compensationError: effect.compensationError } : {}),
      ...(effect.skippedBy ? { skippedBy: effect.skippedBy } : {}),
      service: services
        ? {
            operation: row ? `${row.service}.${row.operation}` : null,
            resourceId: row?.resourceId ?? null,
            state: row?.state ?? null,
            undo: undo ? { key: undo.key, result: undo.result, at: undo.createdAt } : null,
          }
        : null,
    };
  });
  const undoOrder = services ? [...services.undos].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)).map((undo) => undo.targetKey) : null;
  const compacted =
    view.compacted && view.compacted.effects > 0
      ? { effects: view.compacted.effects, effectOutcomes: view.compacted.effectOutcomes, effectsThroughSeq: view.compacted.effectsThroughSeq }
      : null;
  return { workflowId, status: view.status, effects, compacted, undoOrder, services: services ? { url: services.url } : null };
}

/**
 * The run's effects and, after each delegated step, its sub-agent's: as the parent recorded them (with its own
 * compensation outcomes), or, for a child that had not completed, as the child's own state reports them.
 */
async function treeOf(ctx: ClientContext, effects: readonly EffectRecord[], depth: number): Promise<Array<{ effect: EffectRecord; depth: number }>> {
  const rows: Array<{ effect: EffectRecord; depth: number }> = [];
  for (const effect of [...effects].sort((a, b) => a.seq - b.seq)) {
    rows.push({ effect, depth });
    const { delegation } = effect;
    if (!delegation) continue;
    const children = delegation.effects.length > 0 || delegation.outcome === 'completed' ? delegation.effects : await childEffects(ctx, delegation.workflowId);
    rows.push(...(await treeOf(ctx, children, depth + 1)));
  }
  return rows;
}

async function childEffects(ctx: ClientContext, workflowId: string): Promise<EffectRecord[]> {
  try {
    const view = await readRun(ctx, workflowId, { closedState: true });
    return view.source === 'search_attributes' ? [] : view.effects;
  } catch {
    return [];
  }
}
