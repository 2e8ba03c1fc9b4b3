/** `start`, `watch`, `status`, `result`: starting a run and following it to its outcome. */
import type { Command } from 'commander';
import { compactedLines } from '../compacted';
import { buildRunInput, type RunRequest } from '../../operations/start';
import type { RunView } from '../../operations/run-view';
import { versionLabel } from '../../operations/versions';
import type { AgentRunInput } from '../../shared/contracts';
import type { CliContext } from '../context';
import { CliError, EXIT, exitCodeFor, type ExitCode } from '../errors';
import { brief, clock, shortHash, table, until, usd } from '../io';
import { collect, jsonObject, positiveInt, positiveNumber } from '../parse';
import type { Session } from '../session';
import { outcomeJson, statusJson } from '../json';
import { outcomeLines, quoteArg } from '../timeline';
import { watchRun } from '../watch';

/** Refused attempts `status` prints; `--json` has every one the run keeps. */
const REFUSALS_PRINTED = 5;

type StartOptions = RunRequest & { id?: string };

/** Starts a run from the CLI: the client's start, with the refusals worded for `sagent start`. */
async function startRun(ctx: CliContext, input: AgentRunInput, workflowId?: string): Promise<{ workflowId: string; runId: string }> {
  try {
    const started = await ctx.sagent.start(input, { workflowId });
    if (!started.accepted) {
      ctx.out.note(`note: no worker has picked up ${started.workflowId} yet on task queue ${ctx.taskQueue}: start one (npm run worker)`);
    }
    return started;
  } catch (err) {
    if ((err as Error).name === 'RunAlreadyExistsError') {
      throw new CliError(
        `a run with id "${(err as { workflowId: string }).workflowId}" already exists in namespace ${ctx.namespace}; ids are never reused (effect ids derive from them): choose another --id`,
      );
    }
    throw err;
  }
}

export function registerRunCommands(program: Command, session: Session): void {
  program
    .command('start')
    .description('start a run of an agent on a task')
    .requiredOption('--agent <name>', 'the agent, as the worker registers it (an unknown name is refused by the run)')
    .requiredOption('--task <text>', 'what the agent should do')
    .option('--id <workflowId>', 'the workflow id; default <agent>-<random>. Ids are never reused: effect ids (idempotency keys) derive from them')
    .option(
      '--approver <user>',
      'who may approve risky calls (repeatable): a name, or name:<publicKey> to require their signature (sagent keys create)',
      collect,
    )
    .option('--any-approver', 'let anyone who can signal the run decide, under any name (without approvers risky calls are refused)')
    .option('--require-approval <tool>', 'also ask before this tool runs (repeatable)', collect)
    .option('--allow-tool <tool>', 'offer only these tools (repeatable)', collect)
    .option('--max-steps <n>', 'model turns the run may take', positiveInt)
    .option('--budget-usd <x>', 'cost the run may reach, in USD', positiveNumber)
    .option('--model <model>', 'the Claude model (default $SAGENT_MODEL, else claude-sonnet-4-6)')
    .option(
      '--as <principal>',
      'who starts the run: recorded in the AgentPrincipal search attribute and the audit trail; the worker maps it to the tools it may use',
    )
    .option('--tenant <tenant>', 'the tenant the run acts for (AgentTenant)')
    .option(
      '--policy <json>',
      'the run\'s own rules as JSON, e.g. \'{"rules":[{"id":"big","tools":"charge_card","when":[{"path":"amountCents","op":"gt","value":10000}],"verdict":"ask"}]}\' (ask or deny only)',
      jsonObject,
    )
    .option('--wait', 'follow the run until it ends, like `sagent watch`')
    .option('--json', 'print JSON (with --wait: the outcome)')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent start --agent orders --task "Refund order 1042 to Ada Lovelace" --approver alice --wait
  $ sagent start --agent orders --task "..." --id refund-1042 --budget-usd 1 --max-steps 20 --json

The run goes to the task queue SAGENT_TASK_QUEUE (default "sagent"); a worker must poll it (npm run worker).
A workflow id is never reused, even after its run ended: effect ids derive from it, so the services would
replay the old responses.
Exit codes: 0 started (with --wait: completed), 2 compensated or cancelled, 3 blocked, 1 error.`,
    )
    .action(async (options: StartOptions & { wait?: boolean; json?: boolean }) =>
      session.run(options.id, async (connect) => {
        const input = buildRunInput(options, session.io.env);
        const ctx = await connect();
        const { workflowId, runId } = await startRun(ctx, input, options.id);
        if (!options.wait) {
          if (options.json) {
            ctx.out.json({ workflowId, runId, namespace: ctx.namespace, taskQueue: ctx.taskQueue, uiUrl: ctx.uiLink(workflowId) });
          } else {
            ctx.out.line(`started ${workflowId} (agent ${input.agent}, task queue ${ctx.taskQueue})`);
            ctx.out.line(`  UI: ${ctx.uiLink(workflowId)}`);
            ctx.out.line(`  follow it: sagent watch ${quoteArg(workflowId)}`);
          }
          return EXIT.ok;
        }
        if (!options.json) ctx.out.line(`started ${workflowId} (agent ${input.agent}, task queue ${ctx.taskQueue})`);
        return follow(ctx, workflowId, { json: options.json });
      }),
    );

  program
    .command('watch')
    .description('follow a run live until it ends: its timeline, then its outcome')
    .argument('<id>', 'workflow id')
    .option('--json', 'print nothing while following, then the outcome as JSON')
    .option('--exit-on-blocked', 'stop with exit code 3 when a compensation keeps failing, instead of waiting for an operator')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent watch orders-3f2a1b9c
  $ sagent watch orders-3f2a1b9c --json | jq .status

On a terminal: a spinner and a status line, each timeline entry printed once. Piped: plain lines only.
Exit codes: 0 completed, 2 compensated or cancelled, 3 blocked (with --exit-on-blocked), 1 failed or error.`,
    )
    .action(async (id: string, options: { json?: boolean; exitOnBlocked?: boolean }) =>
      session.run(id, async (connect) => follow(await connect(), id, options)),
    );

  program
    .command('status')
    .description("a run's status, steps, cost, pending approvals and effects")
    .argument('<id>', 'workflow id')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent status orders-3f2a1b9c
  $ sagent status orders-3f2a1b9c --json | jq '.pendingApprovals[].callId'

--json prints { workflowId, agent, status, statusDetail, steps, usage: { inputTokens, outputTokens, costUsd },
(inputTokens counts cache reads and writes too, as the budget does)
pendingApprovals: [{ callId, tool, input, argsHash, requestedAt, expiresAt }],
effects: [{ effectId, tool, state, compensation }],
rejectedAttempts: [{ at, via, approver, callId, why, code, message }] (the run's recent refused decisions and
operator messages, oldest first), version: { deployment, buildId, behavior, override } (null on unversioned
workers), workflowTaskFailure: { attempt, message, nonDeterminism, fix } (null unless a worker answers but cannot
advance the run), source, uiUrl }.
status is one of running, awaiting_approval, budget_exhausted, model_unavailable, compensating, completed, compensated, blocked,
cancelled, failed. When no worker answers, the figures come from the run's search attributes (source
"search_attributes") and a note says so on stderr.
Exit codes: 0 live or completed, 2 compensated or cancelled, 3 blocked, 1 failed or error.`,
    )
    .action(async (id: string, options: { json?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const view = await ctx.sagent.read(id);
        if (view.fallbackReason) {
          ctx.out.note(`note: ${view.fallbackReason}; showing the status, steps and cost the run last published as search attributes`);
        }
        if (options.json) ctx.out.json(statusJson(view, ctx.uiLink(id)));
        else printStatus(ctx, view);
        if (view.status === 'failed') ctx.out.note(`error: ${view.failure ?? 'the run failed'}: see ${ctx.uiLink(id)}`);
        return exitCodeFor(view.status);
      }),
    );

  program
    .command('result')
    .description("wait for a run's outcome and print it")
    .argument('<id>', 'workflow id')
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent result orders-3f2a1b9c
  $ sagent result orders-3f2a1b9c --json | jq '.effects[] | {effectId, compensation}'

Exit codes: 0 completed, 2 compensated or cancelled, 1 failed or error.`,
    )
    .action(async (id: string, options: { json?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        return report(ctx, await ctx.sagent.outcome(id), options.json === true);
      }),
    );
}

/** Watches a run to its end and reports the outcome; `json` prints only the outcome. */
export async function follow(ctx: CliContext, workflowId: string, options: { json?: boolean; exitOnBlocked?: boolean }): Promise<ExitCode> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const { view } = await watchRun(ctx.sagent, ctx.out, workflowId, { quiet: options.json, exitOnBlocked: options.exitOnBlocked, signal: controller.signal });
    if (controller.signal.aborted && !view.closed) {
      ctx.out.note(`stopped following ${workflowId}; the run goes on: sagent watch ${quoteArg(workflowId)}`);
      return EXIT.ok;
    }
    if (options.json) ctx.out.json(outcomeJson(view, ctx.uiLink(workflowId)));
    if (view.status === 'failed') ctx.out.note(`error: ${view.failure ?? 'the run failed'}: see ${ctx.uiLink(workflowId)}`);
    return exitCodeFor(view.status);
  } finally {
    process.off('SIGINT', interrupt);
  }
}

function report(ctx: CliContext, view: RunView, json: boolean): ExitCode {
  if (json) ctx.out.json(outcomeJson(view, ctx.uiLink(view.workflowId)));
  else {
    for (const line of outcomeLines(ctx.out, view)) ctx.out.line(line);
    ctx.out.line(`  UI: ${ctx.uiLink(view.workflowId)}`);
  }
  if (view.status === 'failed') ctx.out.note(`error: ${view.failure ?? 'the run failed'}: see ${ctx.uiLink(view.workflowId)}`);
  return exitCodeFor(view.status);
}

function printStatus(ctx: CliContext, view: RunView): void {
  const { out } = ctx;
  out.line(`${view.workflowId}  ${out.style('bold', view.status)}${view.statusDetail ? ` · ${view.statusDetail}` : ''}`);
  const cached = view.usage.cachedInputTokens ? ` (${view.usage.cachedInputTokens} from cache)` : '';
  const tokens = view.usage.inputTokens === null ? '' : ` · ${view.usage.inputTokens} input${cached} / ${view.usage.outputTokens} output tokens`;
  out.line(`  agent ${view.agent ?? '?'} · step ${view.steps ?? '?'} · ${usd(view.usage.costUsd)}${tokens}`);
  out.line(
    `  version ${versionLabel(view.version)}${view.version?.behavior ? ` (${view.version.behavior})` : ''}${view.version?.override ? ` · override: ${view.version.override}` : ''}`,
  );
  if (view.pendingApprovals.length > 0) {
    out.line('  awaiting approval:');
    for (const request of view.pendingApprovals) {
      out.line(
        `    ${request.callId}  ${request.tool}  ${brief(request.input, 70)}  (argsHash ${shortHash(request.argsHash)}, expires ${until(request.expiresAt)})`,
      );
    }
  }
  const refused = view.state?.rejectedAttempts ?? [];
  if (refused.length > 0) {
    const cut = refused.length > REFUSALS_PRINTED ? `, the latest ${REFUSALS_PRINTED} shown` : '';
    out.line(`  refused attempts (${refused.length}${cut}, oldest first):`);
    for (const attempt of refused.slice(-REFUSALS_PRINTED)) {
      const what = `${attempt.message ?? 'approval'} ${attempt.via} from ${attempt.approver || 'nobody'} for ${attempt.callId || '(no call)'}`;
      out.line(`    ${clock(attempt.at)}  ${what}: ${attempt.why}`);
    }
  }
  if (view.effects.length > 0) {
    out.line('  effects:');
    const rows = view.effects.map((effect) => [effect.effectId, effect.tool, effect.state, effect.compensation]);
    for (const line of table(['effect', 'tool', 'state', 'compensation'], rows)) out.line(`    ${line}`);
  }
  for (const line of compactedLines(view.compacted)) out.line(`  ${line}`);
  out.line(`  UI: ${ctx.uiLink(view.workflowId)}`);
}
