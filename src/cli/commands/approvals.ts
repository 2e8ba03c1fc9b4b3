/**
 * `pending`, `approve`, `reject`: a person deciding a paused call. A decision is bound to the argsHash the person
 * saw; by default it goes as an update (the run's validator answers at once), with `--signal` as a signal whose
 * effect is read back from the run's state.
 */
import type { Command } from 'commander';
import { MIN_HASH_PREFIX, PENDING_QUERY, type DecisionRequest } from '../../operations/approvals';
import { loadKey } from '../../operations/keys';
import { CliError, EXIT, oneLine } from '../errors';
import { brief, shortHash, table, until } from '../io';
import { text } from '../parse';
import type { Session } from '../session';

/** `--expect-hash` is checked before connecting: a prefix too short to pin a call is a typo, not a decision. */
function expectHash(value: string | undefined): string | undefined {
  if (value !== undefined && value.trim().length < MIN_HASH_PREFIX) {
    throw new CliError(`--expect-hash needs at least ${MIN_HASH_PREFIX} characters of the argsHash that sagent pending shows`);
  }
  return value;
}

function parseEdit(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new CliError(`--edit is not valid JSON (${oneLine(err)}): pass the whole input as JSON, e.g. --edit '{"amountCents":40000,"currency":"EUR"}'`);
  }
}

/** A decision as `approve` and `reject` send it: signed with the key of `--as` when there is one. */
function decisionOf(
  session: Session,
  workflowId: string,
  callId: string,
  decision: 'approve' | 'reject',
  options: { as: string; reason?: string; expectHash?: string; signal?: boolean },
): DecisionRequest {
  return {
    workflowId,
    callId,
    decision,
    approver: options.as,
    reason: options.reason,
    expectHash: expectHash(options.expectHash),
    via: options.signal ? 'signal' : 'update',
    privateKey: loadKey(options.as, session.io.env)?.privateKey ?? false,
  };
}

export function registerApprovalCommands(program: Command, session: Session): void {
  program
    .command('pending')
    .description('every run awaiting approval, with its pending calls')
    .option('--json', 'print a JSON array of pending calls')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent pending
  $ sagent pending --json | jq '.[] | select(.tool == "charge_card")'

Lists runs matching ${PENDING_QUERY}
(the workflow list is eventually consistent: a call requested a moment ago may take a second to show).
--json prints [{ workflowId, agent, callId, tool, input, argsHash, requestedAt, expiresAt, approvers }].`,
    )
    .action(async (options: { json?: boolean }) =>
      session.run(undefined, async (connect) => {
        const ctx = await connect();
        const { calls, unanswered, unansweredWhy } = await ctx.sagent.pending();
        for (const id of unanswered) {
          ctx.out.note(`note: run ${id} waits for approval but ${unansweredWhy[id] ?? 'no worker answered its query'}; its calls are not listed`);
        }
        if (options.json) {
          ctx.out.json(calls);
          return EXIT.ok;
        }
        if (calls.length === 0) {
          ctx.out.line('no run is awaiting approval');
          return EXIT.ok;
        }
        const rows = calls.map((call) => [call.workflowId, call.callId, call.tool, brief(call.input, 48), shortHash(call.argsHash), until(call.expiresAt)]);
        for (const line of table(['run', 'call', 'tool', 'input', 'argsHash', 'expires'], rows)) ctx.out.line(line);
        ctx.out.line('');
        ctx.out.line('decide with: sagent approve <run> <call> --as <you> --expect-hash <argsHash>');
        ctx.out.line('         or: sagent reject <run> <call> --as <you> --reason "<why>"');
        return EXIT.ok;
      }),
    );

  program
    .command('approve')
    .description('approve a paused call')
    .argument('<id>', 'workflow id')
    .argument('<callId>', 'the pending call, e.g. call-4 (see sagent pending)')
    .requiredOption('--as <user>', 'who approves (must be an allowed approver of the run)', text)
    .option('--reason <text>', 'why, for the record')
    .option('--edit <json>', 'approve with a changed input (the whole input, as JSON); the run validates it')
    .option('--expect-hash <hash>', 'refuse unless the call still has this argsHash (or prefix, 6+ characters) as seen in sagent pending')
    .option('--signal', 'send a signal instead of an update, then read back whether it took effect')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent approve orders-3f2a1b9c call-4 --as alice --expect-hash 3f2a1b9c0d4e
  $ sagent approve orders-3f2a1b9c call-4 --as alice --edit '{"orderId":"1042","amountCents":4000}'

The decision is signed with your key when one exists for --as (sagent keys create); runs that list approver
keys refuse unsigned decisions. The update is checked by the run before it is accepted (pending, same argsHash,
not expired, allowed approver, valid signature);
a refusal is printed as one line and exits 1.
Exit codes: 0 approved, 1 refused or error.`,
    )
    .action(async (id: string, callId: string, options: { as: string; reason?: string; edit?: string; expectHash?: string; signal?: boolean }) =>
      session.run(id, async (connect) => {
        const editedInput = options.edit !== undefined ? parseEdit(options.edit) : undefined;
        const request = decisionOf(session, id, callId, 'approve', options);
        const ctx = await connect();
        const report = await ctx.sagent.decide({ ...request, editedInput });
        ctx.out.line(`approved ${report.callId} (${report.tool}) in ${id} as ${report.approver} via ${report.via}; argsHash ${shortHash(report.argsHash)}`);
        return EXIT.ok;
      }),
    );

  program
    .command('reject')
    .description('reject a paused call; Claude is told why and goes another way')
    .argument('<id>', 'workflow id')
    .argument('<callId>', 'the pending call, e.g. call-5 (see sagent pending)')
    .requiredOption('--as <user>', 'who rejects (must be an allowed approver of the run)', text)
    .requiredOption('--reason <text>', 'why: Claude reads it', text)
    .option('--expect-hash <hash>', 'refuse unless the call still has this argsHash (or prefix)')
    .option('--signal', 'send a signal instead of an update, then read back whether it took effect')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent reject orders-3f2a1b9c call-5 --as alice --reason "do not email the customer yet"
  $ sagent reject orders-3f2a1b9c call-5 --as alice --reason "wrong address" --signal

Exit codes: 0 rejected, 1 refused or error.`,
    )
    .action(async (id: string, callId: string, options: { as: string; reason: string; expectHash?: string; signal?: boolean }) =>
      session.run(id, async (connect) => {
        const request = decisionOf(session, id, callId, 'reject', options);
        const ctx = await connect();
        const report = await ctx.sagent.decide(request);
        ctx.out.line(`rejected ${report.callId} (${report.tool}) in ${id} as ${report.approver} via ${report.via}`);
        return EXIT.ok;
      }),
    );
}
