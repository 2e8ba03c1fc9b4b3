/**
 * The run's message handlers: each a one-line change to the run (its desk, ledger, memory or flags), checked
 * first where a bad message must be refused before it reaches history. The loop waits on what they change.
 */
import { setHandler } from '@temporalio/workflow';
import { applyTopUp, validateTopUp } from '../policies/budget';
import {
  abortUpdate,
  approvalSignal,
  decideUpdate,
  extendBudgetUpdate,
  getStateQuery,
  modelContextQuery,
  retryCompensationSignal,
  skipCompensationSignal,
  type OperatorAction,
} from '../shared/messages';
import { describePending, setStatus } from './publish';
import { isClosing, runState, type Run } from './run-memory';

/** Installs every query, signal and update handler of the run; call it before the loop's first wait. */
export function installHandlers(run: Run): void {
  const { desk, flags, memory, timeline } = run;
  setHandler(getStateQuery, () => runState(run));
  setHandler(modelContextQuery, (turn: number) => {
    if (!flags.contextInFlight || flags.contextInFlight.turn !== turn) throw new Error(`no model call for turn ${turn} is in flight`);
    return flags.contextInFlight.messages;
  });
  setHandler(approvalSignal, (decision) => {
    desk.receive(decision);
    showPending(run);
  });
  setHandler(
    decideUpdate,
    (decision) => {
      const result = desk.decide(decision);
      showPending(run);
      return result;
    },
    { validator: (decision) => desk.validate(decision) },
  );
  setHandler(
    extendBudgetUpdate,
    (topUp) => {
      memory.limits = applyTopUp(memory.limits, topUp);
      timeline.note('budget', `budget extended by ${topUp.by}`, 'info', JSON.stringify(topUp));
      return memory.limits;
    },
    {
      validator: (topUp) => {
        const check = validateTopUp(topUp);
        if (!check.ok) throw new Error(check.why);
      },
    },
  );
  setHandler(
    abortUpdate,
    (request) => {
      flags.abortRequested = request;
    },
    {
      validator: (request) => {
        if (!request?.by || !request?.reason) throw new Error('an abort needs `by` and `reason`');
        if (isClosing(flags.status)) throw new Error(`the run is already ${flags.status}`);
      },
    },
  );
  setHandler(retryCompensationSignal, (action) => operatorAction(run, action, 'retry'));
  setHandler(skipCompensationSignal, (action) => operatorAction(run, action, 'skip'));
}

/** A decision changes what is pending: show it while the run waits for one. */
function showPending(run: Run): void {
  if (run.flags.status === 'awaiting_approval') setStatus(run, 'awaiting_approval', describePending(run.desk.pending));
}

function operatorAction({ ledger, timeline }: Run, action: OperatorAction, kind: 'retry' | 'skip'): void {
  const result = ledger.operator(action, kind);
  timeline.note('compensation', `${kind} requested by ${action?.by ?? 'unknown'}`, result.ok ? 'info' : 'error', result.why ?? action?.reason);
}
