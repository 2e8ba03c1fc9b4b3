/**
 * The run's message handlers: each a one-line change to the run (its desk, ledger, memory or flags), checked
 * first where a bad message must be refused before it reaches history. The loop waits on what they change.
 */
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { applyTopUp, validateTopUp } from '../policies/budget';
import { maskedFieldsOf } from '../policies/secrets';
import { checkTextFields, INPUT_LIMITS, REFUSAL, resolveEffectRef } from '../policies/operator-input';
import {
  abortUpdate,
  approvalInputQuery,
  approvalSignal,
  decideUpdate,
  extendBudgetUpdate,
  getStateQuery,
  modelContextQuery,
  retryCompensationSignal,
  skipCompensationSignal,
  type OperatorAction,
} from '../shared/messages';
import { delegateProgressSignal } from '../shared/delegation';
import { MESSAGE_DESCRIPTIONS } from './message-descriptions';
import { describePending, refreshDetails, setStatus } from './publish';
import { recordRefusal, traceRefusal } from './refusals';
import { isClosing, runningDelegations, runState, type Run } from './run-memory';

const OPERATOR_FIELDS = { effectId: { max: INPUT_LIMITS.id }, by: { max: INPUT_LIMITS.name }, reason: { max: INPUT_LIMITS.reason } } as const;
const ABORT_FIELDS = { by: { max: INPUT_LIMITS.name }, reason: { max: INPUT_LIMITS.reason } } as const;
const TOP_UP_FIELDS = { by: { max: INPUT_LIMITS.name } } as const;
const TOP_UP_AMOUNTS = ['usd', 'steps', 'inputTokens', 'outputTokens', 'wallClockMs', 'callsPerTool'] as const;

/** Installs every query, signal and update handler of the run; call it before the loop's first wait. */
export function installHandlers(run: Run): void {
  const { desk, flags, memory, timeline } = run;
  setHandler(getStateQuery, () => runState(run), { description: MESSAGE_DESCRIPTIONS.getState });
  setHandler(
    approvalInputQuery,
    (callId: string) => {
      const request = desk.find(callId);
      return request ? { callId: request.callId, input: request.input, maskedFields: maskedFieldsOf(run.settings.agent, request) } : null;
    },
    { description: MESSAGE_DESCRIPTIONS.approvalInput },
  );
  setHandler(
    modelContextQuery,
    (turn: number) => {
      if (!flags.contextInFlight || flags.contextInFlight.turn !== turn) throw new Error(`no model call for turn ${String(turn).slice(0, 20)} is in flight`);
      return flags.contextInFlight.messages;
    },
    { description: MESSAGE_DESCRIPTIONS.modelContext },
  );
  setHandler(
    approvalSignal,
    (decision) => {
      const refused = desk.receive(decision, timeline);
      if (refused) {
        traceRefusal(refused);
        refreshDetails(run);
      }
      showPending(run);
    },
    { description: MESSAGE_DESCRIPTIONS.approval },
  );
  setHandler(
    decideUpdate,
    (decision) => {
      const result = desk.decide(decision);
      showPending(run);
      return result;
    },
    {
      validator: (decision) => {
        try {
          desk.validate(decision, timeline);
        } catch (refusal) {
          // A refusal changes the tail the current details show; a validator may issue no command, so no upsert.
          // An accepted decision changes nothing yet: its handler shows what it changed.
          refreshDetails(run);
          throw refusal;
        }
      },
      description: MESSAGE_DESCRIPTIONS.decide,
    },
  );
  setHandler(
    extendBudgetUpdate,
    (topUp) => {
      memory.limits = applyTopUp(memory.limits, topUp);
      const amounts = TOP_UP_AMOUNTS.filter((key) => topUp[key] !== undefined).map((key) => `${key} ${topUp[key]}`);
      timeline.note('budget', `budget extended by ${topUp.by}`, 'info', amounts.join(', '));
      return memory.limits;
    },
    {
      validator: (topUp) => {
        const fields = checkTextFields(topUp, TOP_UP_FIELDS);
        const check = fields.ok ? validateTopUp(topUp) : fields;
        if (!check.ok) refuseUpdate(run, 'extendBudget', topUp?.by, check.why);
      },
      description: MESSAGE_DESCRIPTIONS.extendBudget,
    },
  );
  setHandler(
    abortUpdate,
    (request) => {
      flags.abortRequested = { by: request.by, reason: request.reason };
    },
    {
      validator: (request) => {
        const fields = checkTextFields(request, ABORT_FIELDS);
        if (!fields.ok) refuseUpdate(run, 'abort', request?.by, `an abort needs \`by\` and \`reason\`: ${fields.why}`);
        if (isClosing(flags.status)) refuseUpdate(run, 'abort', request.by, `the run is already ${flags.status}`);
      },
      description: MESSAGE_DESCRIPTIONS.abort,
    },
  );
  setHandler(retryCompensationSignal, (action) => operatorAction(run, action, 'retry'), { description: MESSAGE_DESCRIPTIONS.retryCompensation });
  setHandler(skipCompensationSignal, (action) => operatorAction(run, action, 'skip'), { description: MESSAGE_DESCRIPTIONS.skipCompensation });
}

/** A validator's refusal: kept in the tail, then thrown as a non-retryable failure that echoes nothing large. */
function refuseUpdate(run: Run, message: string, by: unknown, why: string): never {
  recordRefusal(
    run.memory.rejectedAttempts,
    { callId: '', approver: typeof by === 'string' ? by : '', why, via: 'update', code: REFUSAL.OperatorRefused, message },
    run.timeline,
  );
  throw ApplicationFailure.create({ type: REFUSAL.OperatorRefused, message: why, nonRetryable: true });
}

/** A decision changes what is pending: show it while the run waits for one. */
function showPending(run: Run): void {
  if (run.flags.status === 'awaiting_approval') setStatus(run, 'awaiting_approval', describePending(run.desk.pending));
}

/** A retry or skip of a blocked undo: sized first, its effect reference resolved, and shown at once, refused or not. */
function operatorAction(run: Run, action: OperatorAction, kind: 'retry' | 'skip'): void {
  recordOperatorAction(run, action, kind);
  refreshDetails(run);
}

function recordOperatorAction({ ledger, timeline, memory, settings }: Run, action: OperatorAction, kind: 'retry' | 'skip'): void {
  const message = kind === 'retry' ? 'retryCompensation' : 'skipCompensation';
  const fields = checkTextFields(action, OPERATOR_FIELDS);
  const effectId = fields.ok && patched('sagent-effect-refs') ? resolveEffectRef(settings.workflowId, action.effectId) : action?.effectId;
  const result = fields.ok ? ledger.operator({ effectId, by: action.by, reason: action.reason }, kind) : { ok: false, why: fields.why };
  if (result.ok) {
    timeline.note('compensation', `${kind} requested by ${action.by}`, 'info', action.reason, effectId);
    return;
  }
  const sender = action && typeof action === 'object' ? action : ({} as Partial<OperatorAction>);
  const refused = recordRefusal(
    memory.rejectedAttempts,
    {
      callId: typeof sender.effectId === 'string' ? sender.effectId : '',
      approver: typeof sender.by === 'string' ? sender.by : '',
      why: result.why ?? 'refused',
      via: 'signal',
      code: REFUSAL.OperatorRefused,
      message,
    },
    timeline,
  );
  traceRefusal(refused);
}

/** Receives the children's progress, and shows the parent waiting on a child that waits on a person. */
export function installDelegationHandler(run: Run): void {
  setHandler(
    delegateProgressSignal,
    (progress) => {
      if (!runningDelegations(run).some((view) => view.workflowId === progress?.workflowId)) return;
      // Signals from one child can overtake each other: an older report never replaces a newer one.
      const known = run.flags.delegates[progress.workflowId]?.seq;
      if (known !== undefined && progress.seq !== undefined && progress.seq < known) return;
      run.flags.delegates[progress.workflowId] = progress;
      showDelegates(run);
    },
    { description: MESSAGE_DESCRIPTIONS.delegateProgress },
  );
}

function showDelegates(run: Run): void {
  const { flags, desk } = run;
  if ((flags.status !== 'running' && flags.status !== 'awaiting_approval') || desk.pending.length > 0) return;
  const waiting = runningDelegations(run).find((view) => view.pendingApprovals.length > 0);
  if (waiting) {
    setStatus(
      run,
      'awaiting_approval',
      `waiting on ${waiting.agent} (${waiting.workflowId}), which awaits approval: ${describePending(waiting.pendingApprovals)}`,
    );
    return;
  }
  const running = runningDelegations(run)[0];
  setStatus(run, 'running', running ? `waiting on ${running.agent} (${running.workflowId}): ${running.status}` : null);
}
