/**
 * `cancel`, `abort`, `extend-budget`, `retry-compensation`, `skip-compensation`: an operator steering a run.
 * Updates answer at once (a refusal is one line); operator signals are checked against the run's effects first.
 */
import type { Command } from 'commander';
import type { BudgetTopUp } from '../../shared/contracts';
import { CliError, EXIT, type ExitCode } from '../errors';
import { positiveInt, positiveNumber, text } from '../parse';
import type { CliContext } from '../context';
import type { Session } from '../session';
import { follow } from './run';

export function registerOperateCommands(program: Command, session: Session): void {
  program
    .command('cancel')
    .description('cancel a run: it undoes its effects newest-first, then ends as cancelled')
    .argument('<id>', 'workflow id')
    .option('--wait', 'follow the run until it has rolled back')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent cancel orders-3f2a1b9c
  $ sagent cancel orders-3f2a1b9c --wait

Exit codes: 0 cancellation requested (with --wait: 2 once cancelled), 1 error.`,
    )
    .action(async (id: string, options: { wait?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        await ctx.sagent.cancel(id);
        ctx.out.line(`cancellation requested for ${id}: it undoes its effects newest-first, then ends as cancelled`);
        return options.wait ? follow(ctx, id, {}) : EXIT.ok;
      }),
    );

  program
    .command('send')
    .description('send a running agent a message: Claude reads it before its next call')
    .argument('<id>', 'workflow id')
    .argument('<message>', 'what the agent should read (at most 8 KB)')
    .requiredOption('--as <user>', 'who sends it: a steerer or approver of the run', text)
    .addHelpText(
      'after',
      `
Examples:
  $ sagent send trip-3f2a1b9c "Prefer a hotel near the river" --as alice

Exit codes: 0 queued, 1 refused or error.`,
    )
    .action(async (id: string, message: string, options: { as: string }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const receipt = await ctx.sagent.send(id, { text: message, by: options.as });
        ctx.out.line(`message queued for ${id} (${receipt.queued} waiting): Claude reads it before its next call`);
        return EXIT.ok;
      }),
    );

  operatorCommand(program, session, {
    name: 'interrupt',
    description: 'stop a run after the step in progress; it waits for a message (sagent send) or an abort',
    as: 'who interrupts: a steerer or approver of the run',
    reason: { description: 'why, for the record', required: false },
    act: async (ctx, id, _args, request) => {
      await ctx.sagent.interrupt(id, request);
      return `interrupt accepted for ${id}: it stops after the step in progress; resume it with sagent send ${id} "<message>" --as <you>`;
    },
  });

  operatorCommand(program, session, {
    name: 'abort',
    description: 'abort a run: roll it back (compensations newest-first); it completes as compensated',
    as: 'who aborts',
    reason: { description: 'why, for the record and the UI', required: true },
    wait: 'follow the run until it has rolled back',
    help: `
Examples:
  $ sagent abort orders-3f2a1b9c --as alice --reason "the customer withdrew the request" --wait

Exit codes: 0 abort accepted (with --wait: 2 once compensated), 1 refused or error.`,
    act: async (ctx, id, _args, request) => {
      await ctx.sagent.abort(id, { by: request.by, reason: request.reason ?? '' });
      return `abort accepted for ${id}: it rolls back newest-first and completes as compensated`;
    },
  });

  operatorCommand(program, session, {
    name: 'resume',
    description: 'a run paused in model_unavailable tries its model now (after fixing the API key, or once the provider is back)',
    as: 'who resumes',
    reason: { description: 'why, for the record', required: false },
    wait: 'follow the run until it ends',
    help: `
A paused run also tries again by itself on a growing schedule, and rolls back once its horizon (modelOutage.horizonMs)
has passed; \`sagent abort\` rolls it back now.

Examples:
  $ sagent resume orders-3f2a1b9c --as alice --reason "rotated the API key"

Exit codes: 0 resume accepted, 1 refused (the run is not paused for its model) or error.`,
    act: async (ctx, id, _args, request) => {
      await ctx.sagent.resume(id, request);
      return `resume accepted for ${id}: it tries its model now`;
    },
  });

  program
    .command('extend-budget')
    .description('raise the limits of a run (one paused in budget_exhausted resumes)')
    .argument('<id>', 'workflow id')
    .requiredOption('--as <user>', 'who tops up', text)
    .option('--usd <x>', 'add this much cost, in USD', positiveNumber)
    .option('--steps <n>', 'add model turns', positiveInt)
    .option('--input-tokens <n>', 'add input tokens', positiveInt)
    .option('--output-tokens <n>', 'add output tokens', positiveInt)
    .addHelpText(
      'after',
      `
Examples:
  $ sagent extend-budget orders-3f2a1b9c --usd 2 --steps 10 --as alice

Exit codes: 0 extended (prints the new limits), 1 refused or error.`,
    )
    .action(async (id: string, options: { as: string; usd?: number; steps?: number; inputTokens?: number; outputTokens?: number }) =>
      session.run(id, async (connect): Promise<ExitCode> => {
        const topUp: BudgetTopUp = {
          by: options.as,
          ...(options.usd !== undefined ? { usd: options.usd } : {}),
          ...(options.steps !== undefined ? { steps: options.steps } : {}),
          ...(options.inputTokens !== undefined ? { inputTokens: options.inputTokens } : {}),
          ...(options.outputTokens !== undefined ? { outputTokens: options.outputTokens } : {}),
        };
        if (Object.keys(topUp).length === 1) throw new CliError('name what to add: --usd, --steps, --input-tokens or --output-tokens');
        const ctx = await connect();
        const limits = await ctx.sagent.extendBudget(id, topUp);
        ctx.out.line(
          `budget of ${id} extended by ${options.as}: now ${limits.maxSteps} steps, $${limits.maxCostUsd}, ` +
            `${limits.maxInputTokens} input / ${limits.maxOutputTokens} output tokens`,
        );
        return EXIT.ok;
      }),
    );

  for (const kind of ['retry', 'skip'] as const) {
    operatorCommand(program, session, {
      name: `${kind}-compensation`,
      description:
        kind === 'retry'
          ? 'retry a failing compensation now (a blocked run tries again at once)'
          : 'give up undoing one effect so a blocked rollback can finish; recorded with who and why',
      args: [['<effectId>', 'the effect: its full id, effect-N, or N (see sagent ledger)']],
      as: 'the operator',
      reason: { description: 'why, for the record', required: true },
      help: `
Examples:
  $ sagent ${kind}-compensation orders-3f2a1b9c effect-2 --as ops --reason "${kind === 'retry' ? 'the payments API is back' : 'refunded by hand, ticket 4411'}"

Exit codes: 0 sent, 1 error.`,
      act: async (ctx, id, [effect], request) => {
        const action = { by: request.by, reason: request.reason ?? '' };
        const target = kind === 'retry' ? await ctx.sagent.retryCompensation(id, effect, action) : await ctx.sagent.skipCompensation(id, effect, action);
        if (target.unchecked) ctx.out.note(`note: ${target.unchecked}; sent without checking the effect id`);
        return `${kind} of the compensation of ${target.effectId} sent to ${id} by ${request.by}`;
      },
    });
  }
}

/** An operator's act on one run: `<id> [args...] --as <user> [--reason <text>] [--wait]`. */
interface OperatorCommand {
  name: string;
  description: string;
  /** The arguments after the workflow id, as [syntax, description]. */
  args?: ReadonlyArray<readonly [string, string]>;
  /** What `--as` names. */
  as: string;
  reason: { description: string; required: boolean };
  /** What `--wait` does, for an act after which the run can be followed to its end. */
  wait?: string;
  /** Examples and exit codes, shown after the options. */
  help?: string;
  /** Sends the act; returns the line that confirms it. */
  act(ctx: CliContext, id: string, args: string[], request: { by: string; reason?: string }): Promise<string>;
}

function operatorCommand(program: Command, session: Session, spec: OperatorCommand): void {
  const command = program.command(spec.name).description(spec.description).argument('<id>', 'workflow id');
  for (const [syntax, description] of spec.args ?? []) command.argument(syntax, description);
  command.requiredOption('--as <user>', spec.as, text);
  if (spec.reason.required) command.requiredOption('--reason <text>', spec.reason.description, text);
  else command.option('--reason <text>', spec.reason.description, text);
  if (spec.wait) command.option('--wait', spec.wait);
  if (spec.help) command.addHelpText('after', spec.help);
  command.action(async (id: string, ...rest: unknown[]) => {
    const args = rest.slice(0, spec.args?.length ?? 0) as string[];
    const options = rest[args.length] as { as: string; reason?: string; wait?: boolean };
    await session.run(id, async (connect) => {
      const ctx = await connect();
      ctx.out.line(await spec.act(ctx, id, args, { by: options.as, ...(options.reason ? { reason: options.reason } : {}) }));
      return options.wait ? follow(ctx, id, {}) : EXIT.ok;
    });
  });
}
