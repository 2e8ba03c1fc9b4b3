/**
 * `cancel`, `abort`, `extend-budget`, `retry-compensation`, `skip-compensation`: an operator steering a run.
 * Updates answer at once (a refusal is one line); operator signals are checked against the run's effects first.
 */
import type { Command } from 'commander';
import {
  abortUpdate,
  extendBudgetUpdate,
  retryCompensationSignal,
  skipCompensationSignal,
  type BudgetTopUp,
  type EffectRecord,
} from '../../shared/contracts';
import { queryState, type CliContext } from '../context';
import { CliError, EXIT, oneLine, type ExitCode } from '../errors';
import { positiveInt, positiveNumber, text } from '../parse';
import type { Session } from '../session';
import { quoteArg } from '../timeline';
import { follow } from './run';

/** Runs an update and turns the run's refusal (its validator's message) into one line. */
async function refusedAsOneLine<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as Error).name === 'WorkflowUpdateFailedError') {
      throw new CliError(`the run refused the ${what}: ${oneLine((err as { cause?: unknown }).cause ?? err)}`);
    }
    throw err;
  }
}

async function requireRunning(ctx: CliContext, workflowId: string): Promise<void> {
  const description = await ctx.client.workflow.getHandle(workflowId).describe();
  if (description.status.name !== 'RUNNING') {
    throw new CliError(`run ${workflowId} has already ended: see sagent status ${quoteArg(workflowId)}`);
  }
}

/** `7`, `effect-7` or the full `<workflowId>/effect-7`, checked against the run's ledger when a worker answers. */
async function resolveEffect(ctx: CliContext, workflowId: string, given: string): Promise<EffectRecord | { effectId: string }> {
  const effectId = /^\d+$/.test(given) ? `${workflowId}/effect-${given}` : /^effect-\d+$/.test(given) ? `${workflowId}/${given}` : given;
  let effects: EffectRecord[];
  try {
    effects = (await queryState(ctx, ctx.client.workflow.getHandle(workflowId))).effects;
  } catch (err) {
    if ((err as Error).name !== 'QueryUnansweredError') throw err;
    ctx.out.note(`note: ${(err as Error).message}; sending without checking the effect id`);
    return { effectId };
  }
  const effect = effects.find((candidate) => candidate.effectId === effectId);
  if (!effect) {
    const known = effects.map((candidate) => `${candidate.effectId} (${candidate.tool}, ${candidate.compensation})`);
    throw new CliError(`no effect ${effectId} in run ${workflowId}: ${known.length > 0 ? `its effects: ${known.join(', ')}` : 'it has no effects yet'}`);
  }
  return effect;
}

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
  $ sagent cancel travel-3f2a1b9c
  $ sagent cancel travel-3f2a1b9c --wait

Exit codes: 0 cancellation requested (with --wait: 2 once cancelled), 1 error.`,
    )
    .action(async (id: string, options: { wait?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        await requireRunning(ctx, id);
        await ctx.client.workflow.getHandle(id).cancel();
        ctx.out.line(`cancellation requested for ${id}: it undoes its effects newest-first, then ends as cancelled`);
        return options.wait ? follow(ctx, id, {}) : EXIT.ok;
      }),
    );

  program
    .command('abort')
    .description('abort a run: roll it back (compensations newest-first); it completes as compensated')
    .argument('<id>', 'workflow id')
    .requiredOption('--as <user>', 'who aborts', text)
    .requiredOption('--reason <text>', 'why, for the record and the UI', text)
    .option('--wait', 'follow the run until it has rolled back')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent abort travel-3f2a1b9c --as alice --reason "the client cancelled the trip" --wait

Exit codes: 0 abort accepted (with --wait: 2 once compensated), 1 refused or error.`,
    )
    .action(async (id: string, options: { as: string; reason: string; wait?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        await requireRunning(ctx, id);
        await refusedAsOneLine('abort', () =>
          ctx.client.workflow.getHandle(id).executeUpdate(abortUpdate, { args: [{ by: options.as, reason: options.reason }] }),
        );
        ctx.out.line(`abort accepted for ${id}: it rolls back newest-first and completes as compensated`);
        return options.wait ? follow(ctx, id, {}) : EXIT.ok;
      }),
    );

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
  $ sagent extend-budget travel-3f2a1b9c --usd 2 --steps 10 --as alice

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
        await requireRunning(ctx, id);
        const limits = await refusedAsOneLine('top-up', () => ctx.client.workflow.getHandle(id).executeUpdate(extendBudgetUpdate, { args: [topUp] }));
        ctx.out.line(
          `budget of ${id} extended by ${options.as}: now ${limits.maxSteps} steps, $${limits.maxCostUsd}, ` +
            `${limits.maxInputTokens} input / ${limits.maxOutputTokens} output tokens`,
        );
        return EXIT.ok;
      }),
    );

  for (const kind of ['retry', 'skip'] as const) {
    const signal = kind === 'retry' ? retryCompensationSignal : skipCompensationSignal;
    program
      .command(`${kind}-compensation`)
      .description(
        kind === 'retry'
          ? 'retry a failing compensation now (a blocked run tries again at once)'
          : 'give up undoing one effect so a blocked rollback can finish; recorded with who and why',
      )
      .argument('<id>', 'workflow id')
      .argument('<effectId>', 'the effect: its full id, effect-N, or N (see sagent ledger)')
      .requiredOption('--as <user>', 'the operator', text)
      .requiredOption('--reason <text>', 'why, for the record', text)
      .addHelpText(
        'after',
        `
Examples:
  $ sagent ${kind}-compensation travel-3f2a1b9c effect-2 --as ops --reason "${kind === 'retry' ? 'the hotel API is back' : 'refunded by hand, ticket 4411'}"

Exit codes: 0 sent, 1 error.`,
      )
      .action(async (id: string, effect: string, options: { as: string; reason: string }) =>
        session.run(id, async (connect) => {
          const ctx = await connect();
          await requireRunning(ctx, id);
          const target = await resolveEffect(ctx, id, effect);
          await ctx.client.workflow.getHandle(id).signal(signal, { effectId: target.effectId, by: options.as, reason: options.reason });
          ctx.out.line(`${kind} of the compensation of ${target.effectId} sent to ${id} by ${options.as}`);
          return EXIT.ok;
        }),
      );
  }
}
