/**
 * `ledger`, `history`: what a run did to the world, from its own ledger and from the services' side, and its
 * event history for replay fixtures.
 */
import type { Command } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { decodeHistory } from '../../codec/history';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { table } from '../io';
import { readRun } from '../run-view';
import type { Session } from '../session';

/** The services' own rows for a run's keys (`GET /ledger?prefix=`), as the demo services serve them. */
export interface ServicesLedger {
  url: string;
  effects: Array<{ key: string; service: string; operation: string; resourceId: string | null; state: string; undoneAt: string | null; createdAt: string }>;
  undos: Array<{ key: string; targetKey: string; result: string; createdAt: string }>;
}

const SERVICES_TIMEOUT_MS = 1_500;
/** Where `npm run services` listens by default (the worker's default too). */
const DEFAULT_SERVICES_URL = 'http://127.0.0.1:4500';

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

export async function ledgerOf(ctx: CliContext, workflowId: string) {
  const view = await readRun(ctx, workflowId, { closedState: true });
  if (view.source === 'search_attributes') {
    throw new CliError(`cannot read the ledger of ${workflowId}: ${view.fallbackReason ?? 'no worker answered'}`);
  }
  const servicesUrl = ctx.io.env.SAGENT_SERVICES_URL ?? DEFAULT_SERVICES_URL;
  const services = await fetchServicesLedger(servicesUrl, workflowId);
  const effects = [...view.effects]
    .sort((a, b) => a.seq - b.seq)
    .map((effect) => {
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
  // The order the services saw the undos in: newest effect first when the saga rolled back.
  const undoOrder = services ? [...services.undos].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt)).map((undo) => undo.targetKey) : null;
  return { workflowId, status: view.status, effects, undoOrder, services: services ? { url: services.url } : null };
}

export function registerInspectCommands(program: Command, session: Session): void {
  program
    .command('ledger')
    .description('every effect of a run: its key, its compensation, and the services\' own record of it')
    .argument('<id>', 'workflow id')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent ledger travel-3f2a1b9c
  $ sagent ledger travel-3f2a1b9c --json | jq '.effects[] | [.effectId, .compensation]'

effectId is the Idempotency-Key the tool sent. When the services answer at SAGENT_SERVICES_URL (default
http://127.0.0.1:4500), their rows for the run's keys are shown side by side (undoOrder: the order undos landed).
Exit codes: 0 printed, 1 error.`,
    )
    .action(async (id: string, options: { json?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const ledger = await ledgerOf(ctx, id);
        if (options.json) {
          ctx.out.json(ledger);
          return EXIT.ok;
        }
        ctx.out.line(`${id}  ${ledger.status}  ${ledger.effects.length} effect(s)`);
        if (ledger.effects.length === 0) return EXIT.ok;
        const rows = ledger.effects.map((effect) => [
          effect.effectId,
          effect.tool,
          effect.state,
          effect.compensation,
          String(effect.attempts),
          ...(ledger.services ? [effect.service?.operation ?? '-', effect.service?.resourceId ?? '-', effect.service?.state ?? '-', effect.service?.undo?.result ?? '-'] : []),
        ]);
        const headers = ['effectId (Idempotency-Key)', 'tool', 'state', 'compensation', 'attempts'];
        if (ledger.services) headers.push('service op', 'resource', 'service state', 'undo');
        for (const line of table(headers, rows)) ctx.out.line(line);
        if (ledger.services) ctx.out.line(`services: ${ledger.services.url}`);
        else ctx.out.note('note: the services did not answer at SAGENT_SERVICES_URL; showing the run\'s own ledger only');
        return EXIT.ok;
      }),
    );

  program
    .command('history')
    .description("the run's event history as JSON (e.g. a replay fixture)")
    .argument('<id>', 'workflow id')
    .option('--run-id <runId>', 'a specific run of the chain; default the latest')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent history travel-3f2a1b9c > test/fixtures/histories/travel-happy.json

Exit codes: 0 printed, 1 error.`,
    )
    .action(async (id: string, options: { runId?: string }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const history = await ctx.client.workflow.getHandle(id, options.runId).fetchHistory();
        ctx.io.stdout.write(`${historyToJSON(await decodeHistory(history, ctx.client.options.loadedDataConverter))}\n`);
        return EXIT.ok;
      }),
    );
}
