/**
 * `ledger`, `history`: what a run did to the world, from its own ledger and from the services' side, and its
 * event history for replay fixtures.
 */
import type { Command } from 'commander';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { EXIT } from '../errors';
import { ledgerLines } from '../ledger-view';
import { auditLine } from '../../operations/audit';
import type { Session } from '../session';

export function registerInspectCommands(program: Command, session: Session): void {
  program
    .command('ledger')
    .description("every effect of a run: its key, its compensation, and the services' own record of it")
    .argument('<id>', 'workflow id')
    .option('--json', 'print one JSON object')
    .option('--services-url <url>', "cross-check with the services' own rows for the run's keys (default $SAGENT_SERVICES_URL)")
    .addHelpText(
      'after',
      `
Examples:
  $ sagent ledger orders-3f2a1b9c
  $ sagent ledger orders-3f2a1b9c --services-url http://127.0.0.1:9000
  $ sagent ledger orders-3f2a1b9c --json | jq '.effects[] | [.effectId, .compensation]'

effectId is the Idempotency-Key the tool sent. With --services-url (or SAGENT_SERVICES_URL), the services'
rows for the run's keys (GET <url>/ledger?prefix=<id>/, as the demo services serve them) are shown side by
side, and undoOrder gives the order the undos landed; without either, the run's own ledger only.
Exit codes: 0 printed, 1 error.`,
    )
    .action(async (id: string, options: { json?: boolean; servicesUrl?: string }) =>
      session.run(id, async (connect) => {
        const servicesUrl = options.servicesUrl ?? (session.io.env.SAGENT_SERVICES_URL || undefined);
        const ctx = await connect();
        const ledger = await ctx.sagent.ledger(id, { servicesUrl });
        if (options.json) ctx.out.json(ledger);
        else for (const line of ledgerLines(ledger)) ctx.out.line(line);
        if (servicesUrl && !ledger.services) ctx.out.note(`note: the services did not answer at ${servicesUrl}; showing the run's own ledger only`);
        return EXIT.ok;
      }),
    );

  program
    .command('audit')
    .description('every decision of a run, in order: identity, policy rule, approval and signature, refusal, taint, budget')
    .argument('<id>', 'workflow id')
    .option('--json', 'print JSON lines, one decision per line (for a compliance store)')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent audit travel-3f2a1b9c
  $ sagent audit travel-3f2a1b9c --json >> audit.jsonl

A worker must answer for the run (running or closed). Exit codes: 0 printed, 1 error.`,
    )
    .action(async (id: string, options: { json?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const audit = await ctx.sagent.audit(id);
        if (options.json) {
          for (const entry of audit.entries) ctx.io.stdout.write(`${JSON.stringify({ workflowId: audit.workflowId, ...entry })}\n`);
          return EXIT.ok;
        }
        const who = audit.identity
          ? `started by ${audit.identity.principal}${audit.identity.tenant ? ` for tenant ${audit.identity.tenant}` : ''}`
          : 'no principal named';
        ctx.out.line(`${audit.workflowId} (agent ${audit.agent}, ${audit.status}, ${who}): ${audit.entries.length} decisions`);
        for (const entry of audit.entries) ctx.out.line(`  ${auditLine(entry)}`);
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
  $ sagent history orders-3f2a1b9c > test/fixtures/histories/my-run.json

Exit codes: 0 printed, 1 error.`,
    )
    .action(async (id: string, options: { runId?: string }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const history = await ctx.sagent.history(id, options.runId);
        ctx.io.stdout.write(`${historyToJSON(history)}\n`);
        return EXIT.ok;
      }),
    );
}
