/**
 * The breaker board: one long-lived workflow per task queue that holds operators' breaker overrides and the
 * workers' latest breaker reports. Workers query it every couple of seconds (a query adds nothing to its
 * history) and signal a report when their breakers change; it continues as new before its history grows large.
 * Export it from your workflows file next to `agentSaga` to share overrides across the fleet.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  BREAKER_WORKER_STALE_MS,
  breakerBoardQuery,
  breakerOverrideUpdate,
  breakerReportSignal,
  type BreakerBoardState,
  type BreakerOverrideRequest,
  type WorkerBreakerReport,
} from '../shared/breakers';

/** Bounds on what strangers may put in the board (rule: bounded before stored). */
const LIMITS = { workers: 500, breakersPerWorker: 200, overrides: 500, text: 200 } as const;
/** Events after which the board continues as new, carrying its state. */
const EVENTS_PER_RUN = 2000;

/** The breaker board's workflow (type `sagentBreakerBoard`). */
export async function sagentBreakerBoard(carried?: BreakerBoardState): Promise<void> {
  const state: BreakerBoardState = carried ?? { overrides: {}, workers: {} };
  let events = 0;
  setHandler(breakerReportSignal, (report) => {
    if (!isReport(report)) return;
    events += 1;
    // Stamped with the board's clock, so a worker's skewed clock cannot keep it alive or age it out.
    state.workers[report.workerId] = { ...report, at: new Date().toISOString(), breakers: report.breakers.slice(0, LIMITS.breakersPerWorker) };
    forgetStaleWorkers(state, Date.now());
  });
  setHandler(
    breakerOverrideUpdate,
    (request) => {
      events += 1;
      if (request.position === 'clear') delete state.overrides[request.name];
      else state.overrides[request.name] = { position: request.position, by: request.by, reason: request.reason, at: new Date().toISOString() };
      return state.overrides;
    },
    { validator: validateOverride(state) },
  );
  setHandler(breakerBoardQuery, () => state);
  await condition(() => events >= EVENTS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  forgetStaleWorkers(state, Date.now());
  await continueAsNew<typeof sagentBreakerBoard>(state);
}

function validateOverride(state: BreakerBoardState) {
  return (request: BreakerOverrideRequest): void => {
    if (!request || typeof request !== 'object') throw new TypeError('send { name, position, by, reason }');
    if (typeof request.name !== 'string' || !/^[a-zA-Z0-9_.:-]{1,64}$/.test(request.name)) {
      throw new TypeError('name: the breaker is named by its service or tool: 1-64 letters, digits, _ . : -');
    }
    if (!['open', 'closed', 'clear'].includes(request.position)) throw new TypeError('position: one of open, closed, clear');
    for (const field of ['by', 'reason'] as const) {
      if (typeof request[field] !== 'string' || request[field].trim() === '' || request[field].length > LIMITS.text) {
        throw new TypeError(`${field}: say who and why, in at most ${LIMITS.text} characters`);
      }
    }
    if (request.position !== 'clear' && !state.overrides[request.name] && Object.keys(state.overrides).length >= LIMITS.overrides) {
      throw new TypeError(`the board holds ${LIMITS.overrides} overrides already; clear one first`);
    }
  };
}

function isReport(report: WorkerBreakerReport): boolean {
  return (
    typeof report?.workerId === 'string' &&
    report.workerId.length <= LIMITS.text &&
    typeof report.taskQueue === 'string' &&
    report.taskQueue.length <= LIMITS.text &&
    typeof report.at === 'string' &&
    Array.isArray(report.breakers)
  );
}

function forgetStaleWorkers(state: BreakerBoardState, nowMs: number): void {
  const entries = Object.entries(state.workers);
  for (const [id, report] of entries) {
    if (nowMs - Date.parse(report.at) > BREAKER_WORKER_STALE_MS) delete state.workers[id];
  }
  const kept = Object.keys(state.workers);
  for (const id of kept.slice(0, Math.max(0, kept.length - LIMITS.workers))) delete state.workers[id];
}
