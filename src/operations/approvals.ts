/**
 * A person deciding a paused call. A decision is bound to the argsHash the person saw; by default it goes as an
 * update (the run's validator answers at once), or as a signal whose effect is read back from the run's state.
 */
import { decisionMessage, signDecision, signedFieldsOf, type SignedDecisionFields } from '../policies/signature';
import { SHORT_QUERY_TIMEOUT_MS, SIGNAL_READBACK_MS } from '../shared/constants';
import { approvalInputQuery, approvalSignal, decideUpdate, type ApprovalDecision, type PendingApproval, type RunState } from '../shared/contracts';
import { AgentPendingApprovals } from '../shared/search-attributes';
import { describeRun, grpcCode, handleOf, queryState, requireRunning, type ClientContext } from './context';
import { DecisionRefusedError, DecisionUnconfirmedError, oneLine, QueryUnansweredError } from './errors';
import { loadKey } from './keys';

/** How long a signature made by the client stays valid, at most (never past the request's own expiry). */
export const SIGNATURE_LIFETIME_MS = 10 * 60 * 1000;

/** A decision on one pending call of one run, as `SagentClient.decide` sends it (signed when the approver has a key). */
export interface DecisionRequest {
  workflowId: string;
  callId: string;
  decision: 'approve' | 'reject';
  approver: string;
  reason?: string;
  /** With an approval: the input that should run instead (validated by the run). */
  editedInput?: unknown;
  /**
   * With an edit that started from the masked input (`sagent pending`, the inbox): each field the run shows masked that
   * the edit left as shown (or left out) is sent with its real value, so a mask is never sent back; a field the
   * approver replaced is sent as they wrote it. @default false
   */
  keepMasked?: boolean;
  /** The argsHash (or a prefix of at least {@link MIN_HASH_PREFIX} characters) the person saw; refused if the call's differs. */
  expectHash?: string;
  /** @default 'update' */
  via?: 'update' | 'signal';
  /**
   * The approver's Ed25519 private key (hex) to sign with; by default the key of `approver` in the config dir
   * (`sagent keys create`), if there is one. `false` sends the decision unsigned.
   */
  privateKey?: string | false;
  /**
   * A signature made elsewhere (the approver's own browser) over exactly the fields {@link prepareDecision} returned
   * for this request: sent as is, and checked by the run. Takes the place of `privateKey`.
   */
  signature?: { signature: string; expiresAt: string };
}

/** What an approver signs for a decision, made by {@link prepareDecision}. */
export interface PreparedDecision {
  /** The run the decision goes to (a sub-agent's, where the call waits there). */
  workflowId: string;
  fields: SignedDecisionFields;
  /** The exact text to sign (its UTF-8 bytes): canonical JSON of the fields under sagent's domain tag. */
  message: string;
}

/** What a decision did: the call decided, by whom, and through which message (update or signal). */
export interface DecisionReport {
  workflowId: string;
  callId: string;
  tool: string;
  decision: 'approve' | 'reject';
  approver: string;
  via: 'update' | 'signal';
  /** The hash of the call that will run (the edited input's with an edit). */
  argsHash: string;
}

/** The shortest argsHash prefix a decision may pin. */
export const MIN_HASH_PREFIX = 6;

/**
 * Sends one decision. Throws {@link DecisionRefusedError} when the call is not pending, its hash differs, or the
 * run refuses the decision; {@link DecisionUnconfirmedError} when a signal's effect does not show up in time.
 */
export async function decide(ctx: ClientContext, request: DecisionRequest): Promise<DecisionReport> {
  const { workflowId, state, pending, unsigned } = await resolveDecision(ctx, request);
  const handle = handleOf(ctx, workflowId);
  const decision = request.signature ? { ...unsigned, ...request.signature } : signed(workflowId, state.signatureRunId, pending, request, unsigned);
  const via = request.via ?? 'update';
  const base = { workflowId, callId: pending.callId, tool: pending.tool, decision: request.decision, approver: request.approver, via };

  if (via === 'update') {
    try {
      const result = await handle.executeUpdate(decideUpdate, { args: [decision] });
      return { ...base, argsHash: result.argsHash };
    } catch (err) {
      if (grpcCode(err) === GRPC_RESOURCE_EXHAUSTED) throw floodedError(workflowId, pending.callId, err);
      if ((err as Error).name !== 'WorkflowUpdateFailedError') throw err;
      const why = oneLine((err as { cause?: unknown }).cause ?? err);
      throw new DecisionRefusedError('refused_by_run', workflowId, pending.callId, `the run refused the decision: ${why}`);
    }
  }

  // A signal cannot answer: send it, then read the run's state until the decision or a refusal shows up.
  // The run keeps a short tail of refusals, numbered: new ones are those numbered after the last one seen now.
  const refusalsBefore = lastRefusal(state);
  await handle.signal(approvalSignal, decision);
  const deadline = Date.now() + SIGNAL_READBACK_MS;
  for (;;) {
    const after = await stateForDecision(ctx, workflowId);
    const record = after.approvals.find((candidate) => candidate.callId === pending.callId && candidate.decision === request.decision);
    if (record && !after.pendingApprovals.some((candidate) => candidate.callId === pending.callId)) {
      return { ...base, argsHash: record.editedArgsHash ?? record.argsHash };
    }
    const refusal = after.rejectedAttempts.find((attempt, index) => (attempt.n ?? index + 1) > refusalsBefore && attempt.callId === pending.callId);
    if (refusal) {
      throw new DecisionRefusedError(
        'refused_by_run',
        workflowId,
        pending.callId,
        `the run refused the signalled decision (recorded at ${refusal.at}): ${refusal.why}`,
      );
    }
    if (Date.now() > deadline) {
      throw new DecisionUnconfirmedError(
        workflowId,
        pending.callId,
        `the signal was sent but the run has not recorded a decision for ${pending.callId} after ${SIGNAL_READBACK_MS / 1000} s: check with sagent status ${workflowId}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The fields an approver signs for `request` and the exact text of them, for a signature made elsewhere (the
 * approver's browser); then {@link decide} with the same request and `signature`. Throws as `decide` does.
 */
export async function prepareDecision(ctx: ClientContext, request: DecisionRequest): Promise<PreparedDecision> {
  const { workflowId, state, pending, unsigned } = await resolveDecision(ctx, request);
  // The signer never sees a masked field's real value, so it cannot sign it: the edit must replace every mask it shows.
  const kept =
    request.editedInput === undefined ? [] : (pending.maskedFields ?? []).filter((field) => holdsMask(request.editedInput, pending.input, field.split('.')));
  if (kept.length > 0) {
    throw new RangeError(
      `the edit of ${pending.callId} leaves ${kept.join(', ')} masked, and a signature made where the real value is never shown cannot cover it: ` +
        'write the field in full, or approve without an edit',
    );
  }
  const fields = signedFieldsOf(workflowId, unsigned, signatureExpiry(pending), state.signatureRunId);
  return { workflowId, fields, message: new TextDecoder().decode(decisionMessage(fields)) };
}

/** The run that holds the call, the call, and the decision as it goes, before any signature. */
async function resolveDecision(
  ctx: ClientContext,
  request: DecisionRequest,
): Promise<{ workflowId: string; state: RunState; pending: PendingApproval; unsigned: ApprovalDecision }> {
  const state = await stateForDecision(ctx, request.workflowId);
  const own = state.pendingApprovals.find((candidate) => candidate.callId === request.callId);
  // A call pending in a sub-agent is decided there: through the parent's id, the decision goes to the child.
  const delegate = own ? undefined : delegateWaitingOn(state, request);
  if (delegate) return resolveDecision(ctx, { ...request, workflowId: delegate });
  const { workflowId } = request;
  const pending = own;
  if (!pending) {
    const waiting = state.pendingApprovals.map((candidate) => `${candidate.callId} (${candidate.tool})`);
    throw new DecisionRefusedError(
      'not_pending',
      workflowId,
      request.callId,
      `call ${request.callId} is not pending in run ${workflowId}: ` +
        (waiting.length > 0 ? `pending calls: ${waiting.join(', ')}` : `nothing is pending (status ${state.status})`),
    );
  }
  if (request.expectHash !== undefined) checkExpectedHash(workflowId, request.expectHash, pending);
  const editedInput =
    request.keepMasked && request.editedInput !== undefined ? await keepMaskedFields(ctx, workflowId, pending, request.editedInput) : request.editedInput;

  const unsigned: ApprovalDecision = {
    callId: pending.callId,
    argsHash: pending.argsHash,
    decision: request.decision,
    approver: request.approver,
    ...(request.reason ? { reason: request.reason } : {}),
    ...(editedInput !== undefined ? { editedInput } : {}),
  };
  return { workflowId, state, pending, unsigned };
}

/** Signs the decision when a key is given or the approver has one here; the signature covers it exactly. */
function signed(
  workflowId: string,
  runId: string | undefined,
  pending: PendingApproval,
  request: DecisionRequest,
  decision: ApprovalDecision,
): ApprovalDecision {
  const privateKey = request.privateKey === false ? undefined : (request.privateKey ?? loadKey(request.approver)?.privateKey);
  if (!privateKey) return decision;
  const expiresAt = signatureExpiry(pending);
  const signature = signDecision(privateKey, signedFieldsOf(workflowId, decision, expiresAt, runId));
  return { ...decision, expiresAt, signature };
}

/** A signature made now is valid for {@link SIGNATURE_LIFETIME_MS}, and never past the request's own expiry. */
function signatureExpiry(pending: PendingApproval): string {
  return new Date(Math.min(Date.now() + SIGNATURE_LIFETIME_MS, Date.parse(pending.expiresAt))).toISOString();
}

/** The edit with each masked field it left as shown (or left out) set to its real value, read from the run. */
async function keepMaskedFields(ctx: ClientContext, workflowId: string, pending: PendingApproval, edited: unknown): Promise<unknown> {
  if (!pending.maskedFields?.length) return edited;
  const real = await handleOf(ctx, workflowId).query(approvalInputQuery, pending.callId);
  if (!real) throw new DecisionRefusedError('not_pending', workflowId, pending.callId, `call ${pending.callId} is no longer pending in run ${workflowId}`);
  return real.maskedFields.reduce((merged, field) => unmaskField(merged, real.input, pending.input, field.split('.')), edited);
}

/**
 * `edited` with the value at `path` taken from `real` wherever the edit holds the mask that `shown` holds there, or
 * nothing (arrays on the way element by element); a copy, never mutated.
 */
function unmaskField(edited: unknown, real: unknown, shown: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return edited === undefined || JSON.stringify(edited) === JSON.stringify(shown) ? real : edited;
  if (Array.isArray(real)) {
    return real.map((item, index) =>
      unmaskField(Array.isArray(edited) ? edited[index] : undefined, item, Array.isArray(shown) ? shown[index] : undefined, path),
    );
  }
  if (real === null || typeof real !== 'object' || !Object.hasOwn(real, path[0])) return edited;
  const base = edited !== null && typeof edited === 'object' && !Array.isArray(edited) ? (edited as Record<string, unknown>) : {};
  const [field, ...rest] = path;
  const shownField = shown !== null && typeof shown === 'object' ? (shown as Record<string, unknown>)[field] : undefined;
  return { ...base, [field]: unmaskField(base[field], (real as Record<string, unknown>)[field], shownField, rest) };
}

/** Whether `edited` holds, at `path`, the mask `shown` holds there (or nothing), anywhere along arrays. */
function holdsMask(edited: unknown, shown: unknown, path: readonly string[]): boolean {
  if (path.length === 0) return edited === undefined || JSON.stringify(edited) === JSON.stringify(shown);
  if (Array.isArray(shown)) return shown.some((item, index) => holdsMask(Array.isArray(edited) ? edited[index] : undefined, item, path));
  if (shown === null || typeof shown !== 'object' || !Object.hasOwn(shown, path[0])) return false;
  const [field, ...rest] = path;
  const next = edited !== null && typeof edited === 'object' ? (edited as Record<string, unknown>)[field] : undefined;
  return holdsMask(next, (shown as Record<string, unknown>)[field], rest);
}

function lastRefusal(state: RunState): number {
  const last = state.rejectedAttempts.at(-1);
  return last ? (last.n ?? state.rejectedAttempts.length) : 0;
}

/** The running sub-agent whose tree holds the call; an `expectHash` tells apart calls of the same id in two children. */
function delegateWaitingOn(state: RunState, request: DecisionRequest): string | undefined {
  const wanted = request.expectHash?.trim().toLowerCase();
  const holders = (state.delegations ?? []).filter((delegation) =>
    delegation.pendingApprovals.some((candidate) => candidate.callId === request.callId && (!wanted || candidate.argsHash.toLowerCase().startsWith(wanted))),
  );
  if (holders.length > 1) {
    throw new DecisionRefusedError(
      'not_pending',
      state.workflowId,
      request.callId,
      `call ${request.callId} is pending in several sub-agents (${holders.map((delegation) => delegation.workflowId).join(', ')}): decide it with the sub-agent's id or --expect-hash`,
    );
  }
  return holders[0]?.workflowId;
}

function checkExpectedHash(workflowId: string, expected: string, pending: PendingApproval): void {
  const wanted = expected.trim().toLowerCase();
  if (wanted.length < MIN_HASH_PREFIX) {
    throw new RangeError(`expectHash needs at least ${MIN_HASH_PREFIX} characters of the argsHash that sagent pending shows`);
  }
  if (!pending.argsHash.toLowerCase().startsWith(wanted)) {
    throw new DecisionRefusedError(
      'hash_mismatch',
      workflowId,
      pending.callId,
      `argsHash of ${pending.callId} is ${pending.argsHash.slice(0, 12)}, not ${wanted}: the call is not the one you reviewed; check it again with sagent pending`,
    );
  }
}

async function stateForDecision(ctx: ClientContext, workflowId: string): Promise<RunState> {
  await requireRunning(ctx, workflowId, `run ${workflowId} has ended, so nothing awaits a decision: see sagent status ${workflowId}`);
  try {
    return await queryState(ctx, handleOf(ctx, workflowId));
  } catch (err) {
    if ((err as Error).name === 'QueryUnansweredError') throw new QueryUnansweredError(`cannot read run ${workflowId}: ${(err as Error).message}`);
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
  /** The rule that asked for the approval. */
  rule?: string;
  /** The fields of `input` shown masked (secret); an edit with `keepMasked` takes them from the real input. */
  maskedFields?: string[];
}

/** Every call waiting for approval across the namespace's runs, and the runs whose worker did not answer. */
export interface PendingCalls {
  calls: PendingCall[];
  /** Runs that wait for approval but whose worker did not answer: their calls are not listed. */
  unanswered: string[];
  /** Why, by workflow id, where the reason is known (a worker answers but cannot advance the run). */
  unansweredWhy: Record<string, string>;
}

/** The visibility query for runs awaiting approval. */
export const PENDING_QUERY = `WorkflowType = 'agentSaga' AND ExecutionStatus = 'Running' AND ${AgentPendingApprovals.name} > 0`;

/** Every call awaiting a decision, run by run, from the visibility store and each run's state. */
export async function listPending(ctx: ClientContext): Promise<PendingCalls> {
  const calls: PendingCall[] = [];
  const unanswered: string[] = [];
  const unansweredWhy: Record<string, string> = {};
  for await (const execution of ctx.client.workflow.list({ query: PENDING_QUERY })) {
    let state: RunState;
    try {
      state = await queryState(ctx, handleOf(ctx, execution.workflowId), Math.min(ctx.queryTimeoutMs, SHORT_QUERY_TIMEOUT_MS));
    } catch (err) {
      if ((err as Error).name === 'RunNotFoundError' || (err as Error).name === 'QueryUnansweredError') {
        unanswered.push(execution.workflowId);
        if ((err as QueryUnansweredError).workflowTask) unansweredWhy[execution.workflowId] = (err as Error).message;
        continue;
      }
      throw err;
    }
    // Visibility lags: a run terminated a moment ago is still listed, and its worker answers from its replayed state.
    if (state.pendingApprovals.length > 0 && !(await isOpen(ctx, execution.workflowId))) continue;
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
        ...(request.rule ? { rule: request.rule } : {}),
        ...(request.maskedFields?.length ? { maskedFields: request.maskedFields } : {}),
      });
    }
  }
  return { calls, unanswered, unansweredWhy };
}

/** Whether the run is still running now (a query answers for a closed run too, from its replayed history). */
async function isOpen(ctx: ClientContext, workflowId: string): Promise<boolean> {
  try {
    return (await describeRun(ctx, workflowId)).status.name === 'RUNNING';
  } catch (err) {
    if ((err as Error).name === 'RunNotFoundError') return false;
    throw err;
  }
}

const GRPC_RESOURCE_EXHAUSTED = 8;

/**
 * The server refused the update even after the client's retries: the run already holds all the update bytes it allows
 * in flight (`history.maxInFlightUpdatePayloads`), which only a flood of large messages fills.
 */
function floodedError(workflowId: string, callId: string, err: unknown): DecisionRefusedError {
  return new DecisionRefusedError(
    'flooded',
    workflowId,
    callId,
    `the server held the decision back (${oneLine((err as { cause?: unknown }).cause ?? err)}): the run's updates in flight already hold all the bytes it allows, ` +
      'so someone is flooding it with large messages; nothing was decided. Send it again in a few seconds, or as a signal ' +
      '(--signal), which that limit does not hold back',
  );
}
