/**
 * `breakers` and `breaker open|close|clear`: the fleet's circuit breakers (every worker's, from the namespace's
 * breaker board), and an operator's override that every worker applies within about 2 s.
 */
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors';
import { table } from '../io';
import { text } from '../parse';
import type { Session } from '../session';

export function registerBreakerCommands(program: Command, session: Session): void {
  program
    .command('breakers')
    .description("every worker's circuit breakers, and the overrides in force")
    .option('--json', 'print one JSON object: { breakers, overrides, workers, boardRunning }')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent breakers
  $ sagent breakers --json | jq '.breakers[] | select(.state != "closed")'

A breaker's state: closed, open, half_open (one probe call let through), forced_open or forced_closed (an override).`,
    )
    .action(async (options: { json?: boolean }) =>
      session.run(undefined, async (connect) => {
        const ctx = await connect();
        const fleet = await ctx.sagent.breakers();
        if (options.json) {
          ctx.out.json(fleet);
          return EXIT.ok;
        }
        if (!fleet.boardRunning) {
          ctx.out.line('no breaker board on this task queue yet: no worker whose tools declare a breaker has started');
          return EXIT.ok;
        }
        const rows = fleet.breakers.map((breaker) => [
          breaker.name,
          breaker.state,
          breaker.retryAfterMs === null ? '' : `${Math.ceil(breaker.retryAfterMs / 1000)} s`,
          String(breaker.opened),
          breaker.tools.join(', '),
          breaker.workerId,
        ]);
        if (rows.length === 0) ctx.out.line(`${fleet.workers} worker(s) report; no tool call has gone through a breaker yet`);
        else for (const line of table(['breaker', 'state', 'probe in', 'opened', 'tools', 'worker'], rows)) ctx.out.line(line);
        for (const [name, override] of Object.entries(fleet.overrides)) {
          ctx.out.line(`override: ${name} held ${override.position} by ${override.by} since ${override.at}: ${override.reason}`);
        }
        return EXIT.ok;
      }),
    );

  program
    .command('breaker')
    .description('hold a breaker open or closed on every worker, or lift the override')
    .argument('<action>', 'open, close or clear')
    .argument('<name>', 'the breaker: the service a tool names, or the tool')
    .requiredOption('--as <user>', 'who overrides', text)
    .requiredOption('--reason <text>', 'why, for the other operators', text)
    .addHelpText(
      'after',
      `
Examples:
  $ sagent breaker open payments --as ana --reason "provider incident INC-42"
  $ sagent breaker clear payments --as ana --reason "provider recovered"

Every worker reads the overrides every 2 s. An open override fails calls at once (Claude is told
service_unavailable); a closed one sends every call to the service whatever the breaker counted.
Compensations never go through a breaker.`,
    )
    .action(async (action: string, name: string, options: { as: string; reason: string }) =>
      session.run(undefined, async (connect) => {
        const positions = { open: 'open', close: 'closed', clear: 'clear' } as const;
        const position = positions[action as keyof typeof positions];
        if (!position) throw new CliError(`unknown action "${action}": use open, close or clear`);
        const ctx = await connect();
        await ctx.sagent.overrideBreaker(name, position, { by: options.as, reason: options.reason });
        ctx.out.line(
          position === 'clear' ? `override of ${name} lifted: its breakers count again` : `${name} held ${position} on every worker (within about 2 s)`,
        );
        return EXIT.ok;
      }),
    );
}
