/**
 * `pending`, `approve`, `reject`: a person deciding a paused call. A decision is bound to the argsHash the person
 * saw; by default it goes as an update (the run's validator answers at once), with `--signal` as a signal whose
 * effect is read back from the run's state.
 */
import type { Command } from 'commander';
import { approvalSignal, decideUpdate, type ApprovalDecision, type PendingApproval, type RunState } from '../../shared/contracts';
import { queryState, type CliContext } from '../context';
import { CliError, EXIT, oneLine } from '../errors';
import { brief, shortHash, table, until } from '../io';
import { text } from '../parse';
import { AgentPendingApprovals } from '../run-view';
import type { Session } from '../session';

export interface DecisionRequest {
  workflowId: string;
  callId: string;
  decision: 'approve' | 'reject';
  approver: string;
  reason?: string;
  /** With an approval: the input that should run instead (validated by the run). */
  editedInput?: unknown;
  /** The argsHash (or a prefix of at least 6 characters) the person saw; refused if the call's differs. */
  expectHash?: string;
  /** @default 'update' */
  via?: 'update' | 'signal';
}

export interface DecisionReport {
  workflowId: string;
  callId: string;
  tool: string;
  decision: 'approve' | 'reject';
  approver: string;
  via: 'update' | 'signal';
  /** The hash of the call that will run (the edited input's with --edit). */
  argsHash: string;
}

const MIN_HASH_PREFIX = 6;
/** How long `--signal` waits to see its decision recorded. */
const SIGNAL_READBACK_MS = 5_000;

/**
 * Sends one decision the way `sagent approve` and `sagent reject` do (the demo uses it too). Throws a
 * {@link CliError} with one line when the call is not pending, the hash differs, or the run refuses the decision.
 */
export async function decide(ctx: CliContext, request: DecisionRequest): Promise<DecisionReport> {
  const handle = ctx.client.workflow.getHandle(request.workflowId);
  const state = await readState(ctx, request.workflowId);
  const pending = state.pendingApprovals.find((candidate) => candidate.callId === request.callId);
  if (!pending) {
    const waiting = state.pendingApprovals.map((candidate) => `${candidate.callId} (${candidate.tool})`);
    throw new CliError(
      `call ${request.callId} is not pending in run ${request.workflowId}: ` +
        (waiting.length > 0 ? `pending calls: ${waiting.join(', ')}` : `nothing is pending (status ${state.status})`),
    );
  }
  if (request.expectHash !== undefined) checkExpectedHash(request.expectHash, pending);

  const decision: ApprovalDecision = {
    callId: pending.callId,
    argsHash: pending.argsHash,
    decision: request.decision,
    approver: request.approver,
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.editedInput !== undefined ? { editedInput: request.editedInput } : {}),
  };
  const via = request.via ?? 'update';
  const base = { workflowId: request.workflowId, callId: pending.callId, tool: pending.tool, decision: request.decision, approver: request.approver, via };

  if (via === 'update') {
    try {
      const result = await handle.executeUpdate(decideUpdate, { args: [decision] });
      return { ...base, argsHash: result.argsHash };
    } catch (err) {
      if ((err as Error).name === 'WorkflowUpdateFailedError') {
        throw new CliError(`the run refused the decision: ${oneLine((err as { cause?: unknown }).cause ?? err)}`);
      }
      throw err;
    }
  }

  // A signal cannot answer: send it, then read the run's state until the decision or a refusal shows up.
  const refusalsBefore = state.rejectedAttempts.length;
  await handle.signal(approvalSignal, decision);
  const deadline = Date.now() + SIGNAL_READBACK_MS;
  for (;;) {
    const after = await readState(ctx, request.workflowId);
    const record = after.approvals.find((candidate) => candidate.callId === pending.callId && candidate.decision === request.decision);
    if (record && !after.pendingApprovals.some((candidate) => candidate.callId === pending.callId)) {
      return { ...base, argsHash: record.editedArgsHash ?? record.argsHash };
    }
    const refusal = after.rejectedAttempts.slice(refusalsBefore).find((attempt) => attempt.callId === pending.callId);
    if (refusal) throw new CliError(`the run refused the signalled decision (recorded at ${refusal.at}): ${refusal.why}`);
    if (Date.now() > deadline) {
      throw new CliError(
        `the signal was sent but the run has not recorded a decision for ${pending.callId} after ${SIGNAL_READBACK_MS / 1000} s: check with sagent status ${request.workflowId}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function checkExpectedHash(expected: string, pending: PendingApproval): void {
  const wanted = expected.trim().toLowerCase();
  if (wanted.length < MIN_HASH_PREFIX) {
    throw new CliError(`--expect-hash needs at least ${MIN_HASH_PREFIX} characters of the argsHash that sagent pending shows`);
  }
  if (!pending.argsHash.toLowerCase().startsWith(wanted)) {
    throw new CliError(
      `argsHash of ${pending.callId} is ${shortHash(pending.argsHash)}, not ${wanted}: the call is not the one you reviewed; check it again with sagent pending`,
    );
  }
}

async function readState(ctx: CliContext, workflowId: string): Promise<RunState> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name !== 'RUNNING') {
    throw new CliError(`run ${workflowId} has ended, so nothing awaits a decision: see sagent status ${workflowId}`);
  }
  try {
    return await queryState(ctx, handle);
  } catch (err) {
    if ((err as Error).name === 'QueryUnansweredError') throw new CliError(`cannot read run ${workflowId}: ${(err as Error).message}`);
    throw err;
  }
}

/** One pending call of one run, as `pending --json` lists it. */
export interface PendingCall {
  workflowId: string;
  agent: string;
  callId: string;
  tool: string;
  input: unknown;
  argsHash: string;
  requestedAt: string;
  expiresAt: string;
  approvers: string[];
}

export const PENDING_QUERY = `WorkflowType = 'agentSaga' AND ExecutionStatus = 'Running' AND ${AgentPendingApprovals.name} > 0`;

/** Every call awaiting a decision, run by run, from the visibility store and each run's state. */
export async function listPending(ctx: CliContext): Promise<{ calls: PendingCall[]; unanswered: string[] }> {
  const calls: PendingCall[] = [];
  const unanswered: string[] = [];
  for await (const execution of ctx.client.workflow.list({ query: PENDING_QUERY })) {
    const handle = ctx.client.workflow.getHandle(execution.workflowId);
    let state: RunState;
    try {
      state = await queryState(ctx, handle, Math.min(ctx.queryTimeoutMs, 3_000));
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError' || (err as Error).name === 'QueryUnansweredError') {
        unanswered.push(execution.workflowId);
        continue;
      }
      throw err;
    }
    for (const request of state.pendingApprovals) {
      calls.push({
        workflowId: execution.workflowId,
        agent: state.agent,
        callId: request.callId,
        tool: request.tool,
        input: request.input,
        argsHash: request.argsHash,
        requestedAt: request.requestedAt,
        expiresAt: request.expiresAt,
        approvers: request.approvers,
      });
    }
  }
  return { calls, unanswered };
}

function parseEdit(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new CliError(`--edit is not valid JSON (${oneLine(err)}): pass the whole input as JSON, e.g. --edit '{"amountCents":40000,"currency":"EUR"}'`);
  }
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
        const { calls, unanswered } = await listPending(ctx);
        for (const id of unanswered) ctx.out.note(`note: run ${id} waits for approval but no worker answered its query; its calls are not listed`);
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
  $ sagent approve travel-3f2a1b9c call-4 --as alice --expect-hash 3f2a1b9c0d4e
  $ sagent approve travel-3f2a1b9c call-4 --as alice --edit '{"amountCents":40000,"currency":"EUR","card":"4242424242424242","description":"Lisbon trip"}'

The update is checked by the run before it is accepted (pending, same argsHash, not expired, allowed approver);
a refusal is printed as one line and exits 1.
Exit codes: 0 approved, 1 refused or error.`,
    )
    .action(async (id: string, callId: string, options: { as: string; reason?: string; edit?: string; expectHash?: string; signal?: boolean }) =>
      session.run(id, async (connect) => {
        const editedInput = options.edit !== undefined ? parseEdit(options.edit) : undefined;
        const ctx = await connect();
        const report = await decide(ctx, {
          workflowId: id,
          callId,
          decision: 'approve',
          approver: options.as,
          reason: options.reason,
          editedInput,
          expectHash: options.expectHash,
          via: options.signal ? 'signal' : 'update',
        });
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
  $ sagent reject travel-3f2a1b9c call-5 --as alice --reason "do not email the client yet"
  $ sagent reject travel-3f2a1b9c call-5 --as alice --reason "wrong address" --signal

Exit codes: 0 rejected, 1 refused or error.`,
    )
    .action(async (id: string, callId: string, options: { as: string; reason: string; expectHash?: string; signal?: boolean }) =>
      session.run(id, async (connect) => {
        const ctx = await connect();
        const report = await decide(ctx, {
          workflowId: id,
          callId,
          decision: 'reject',
          approver: options.as,
          reason: options.reason,
          expectHash: options.expectHash,
          via: options.signal ? 'signal' : 'update',
        });
        ctx.out.line(`rejected ${report.callId} (${report.tool}) in ${id} as ${report.approver} via ${report.via}`);
        return EXIT.ok;
      }),
    );
}
