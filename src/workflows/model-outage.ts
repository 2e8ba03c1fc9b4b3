/**
 * A model call that rides out outages (DESIGN.md, guarantee 11): overloaded or rate-limited answers fall back to the
 * next model the run names; when no model answers, or only a person can fix what failed, the run pauses in
 * `model_unavailable` on durable timers, growing to a cap, until the model answers, an operator resumes or aborts
 * it, or the horizon the run set has passed. Waiting holds no worker slot: the run sleeps on a timer.
 */
import { ApplicationFailure, condition, proxySinks, setHandler, workflowInfo } from '@temporalio/workflow';
import { attemptsFor, classifyModelFailure, describeMs, modelsToTry, outageVerdict, startIndex, type ModelFailureKind } from '../policies/model-outage';
import { checkTextFields, INPUT_LIMITS, REFUSAL } from '../policies/operator-input';
import type { CallModelInput, SagentMetricsSinks } from '../shared/activity-io';
import { resumeModelUpdate } from '../shared/messages';
import type { ModelTurn } from '../shared/wire';
import { MESSAGE_DESCRIPTIONS } from './message-descriptions';
import { Pending, rethrow } from './after-settled';
import { askClaude } from './model-call';
import { setStatus } from './publish';
import { recordRefusal } from './refusals';
import type { Run } from './run-memory';

const sinks = proxySinks<SagentMetricsSinks>();

/** Reports to the worker's metrics; not on replay, so a replaying worker need not register the sink. */
const metrics = {
  runPaused: (kind: string) => workflowInfo().unsafe.isReplaying || sinks.sagentMetrics.runPaused(kind),
  fallback: (from: string, to: string) => workflowInfo().unsafe.isReplaying || sinks.sagentMetrics.fallback(from, to),
};

const RESUME_FIELDS = { by: { max: INPUT_LIMITS.name }, reason: { max: INPUT_LIMITS.reason, optional: true } } as const;

/** The answer and the model that gave it, or why the saga ends. */
export type DurableAnswer = { ok: true; answer: ModelTurn; model: string; fellBack: boolean } | { ok: false; reason: string };

/** One round over the run's models: an answer, or the failure that decides what the run does next. */
type Round =
  | { ok: true; answer: ModelTurn; model: string; fellBack: boolean }
  | { ok: false; model: string; message: string; failure: Exclude<ModelFailureKind, { kind: 'overloaded' }> };

/** Installs `resumeModel`: an operator's "try the model now" for a run paused in `model_unavailable`. */
export function installModelOutageHandler(run: Run): void {
  setHandler(
    resumeModelUpdate,
    (request) => {
      run.flags.resumeRequested = { by: request.by, ...(request.reason ? { reason: request.reason } : {}) };
    },
    {
      validator: (request) => {
        const fields = checkTextFields(request, RESUME_FIELDS);
        const why = !fields.ok
          ? `a resume needs \`by\`: ${fields.why}`
          : run.flags.status !== 'model_unavailable'
            ? `the run is ${run.flags.status}, not paused for its model: nothing to resume`
            : null;
        if (why === null) return;
        recordRefusal(
          run.memory.rejectedAttempts,
          {
            callId: '',
            approver: typeof request?.by === 'string' ? request.by : '',
            why,
            via: 'update',
            code: REFUSAL.OperatorRefused,
            message: 'resumeModel',
          },
          run.timeline,
        );
        throw ApplicationFailure.create({ type: REFUSAL.OperatorRefused, message: why, nonRetryable: true });
      },
      description: MESSAGE_DESCRIPTIONS.resumeModel,
    },
  );
}

/** Asks the run's models for this turn, pausing the run for as long as none answers (up to its horizon). */
export function askModelDurably(run: Run, request: CallModelInput, routedBecause: string | null): Pending<DurableAnswer> {
  // The first round answers on nearly every turn: only a failed one enters the pausing loop.
  return tryModels(run, request, routedBecause).map((round) => (round.ok ? round : rideOutOutage(run, request, routedBecause, round)), rethrow);
}

/** The pausing loop, from a first round that failed: waits and tries again until a model answers or the run gives up. */
async function rideOutOutage(run: Run, request: CallModelInput, routedBecause: string | null, failed: Round): Promise<DurableAnswer> {
  const { settings, flags, timeline, memory } = run;
  const outage = settings.modelOutage;
  let since: number | null = null;
  for (let pauses = 0; ; pauses += 1) {
    const round = pauses === 0 ? failed : await tryModels(run, request, routedBecause).settled();
    if (round.ok) {
      if (since !== null) {
        timeline.note('model', `${round.model} answered again`, 'info', `after ${describeMs(Date.now() - since)} unavailable`);
        setStatus(run, 'running', null);
      }
      return round;
    }
    if (round.failure.kind === 'fatal') return { ok: false, reason: `the model call for turn ${request.turn} failed: ${round.message}` };
    if (since === null) metrics.runPaused(round.failure.kind);
    since ??= Date.now();
    const verdict = outageVerdict(outage, since, pauses, Date.now());
    if (verdict.kind === 'give_up') return { ok: false, reason: `deadline set by the run: ${verdict.reason}; last error (${round.model}): ${round.message}` };
    const deadline = new Date(since + outage.horizonMs).toISOString();
    const what =
      round.failure.kind === 'fixable' ? `paused until someone fixes it: ${round.failure.fix}` : `model unavailable since ${new Date(since).toISOString()}`;
    const detail =
      `${what}; last error (${round.model}): ${round.message}; next try at ${verdict.nextTryAt} (try ${pauses + 2}); ` +
      `rolls back at ${deadline} if no model answers; \`sagent resume ${settings.workflowId}\` tries now, \`sagent abort\` rolls back`;
    setStatus(run, 'model_unavailable', detail);
    timeline.note(
      'model',
      round.failure.kind === 'fixable' ? `paused: ${round.failure.fix}` : `model unavailable: next try at ${verdict.nextTryAt}`,
      'waiting',
      round.message,
    );
    const waitStarted = Date.now();
    await condition(() => flags.resumeRequested !== null || flags.abortRequested !== null, verdict.delayMs, {
      summary: `model unavailable: next try at ${verdict.nextTryAt}`,
    });
    // A run that cannot reach its model is not working: the wait leaves the wall-clock budget alone, as a person's does.
    memory.humanWaitMs += Date.now() - waitStarted;
    if (flags.abortRequested) {
      return { ok: false, reason: `aborted by ${flags.abortRequested.by} while the model was unavailable: ${flags.abortRequested.reason}` };
    }
    if (flags.resumeRequested) {
      timeline.note('model', `resumed by ${flags.resumeRequested.by}`, 'info', flags.resumeRequested.reason);
      flags.resumeRequested = null;
    }
    setStatus(run, 'running', `trying the model again (try ${pauses + 2})`);
  }
}

/** One round: the run's model, then each fallback after it answered overloaded or rate-limited too often in a row. */
function tryModels(run: Run, request: CallModelInput, routedBecause: string | null): Pending<Round> {
  const { settings, flags } = run;
  const models = modelsToTry(request.model, settings.modelOutage);
  const first = startIndex(models, flags.fallback, Date.now());
  if (first >= models.length)
    return Pending.from(() =>
      Promise.resolve<Round>({ ok: false, model: models[models.length - 1], message: 'no model was tried', failure: { kind: 'unavailable' } }),
    );
  const because =
    first > 0 ? `still on the fallback ${models[first]} (its cool-down lasts until ${new Date(flags.fallback!.untilMs).toISOString()})` : routedBecause;
  return tryModel(run, request, models, first, because);
}

/** Asks `models[index]`; an overloaded answer with a fallback left goes on to the next model. */
function tryModel(run: Run, request: CallModelInput, models: readonly string[], index: number, because: string | null): Pending<Round> {
  const { settings, flags, timeline } = run;
  const outage = settings.modelOutage;
  const model = models[index];
  const hasNext = index < models.length - 1;
  flags.currentModel = model;
  const asking = askClaude(
    { ...request, model },
    because,
    timeline,
    {
      attempts: attemptsFor(outage, hasNext),
      ...(settings.modelTaskQueue ? { taskQueue: settings.modelTaskQueue } : {}),
      ...(index > 0 ? { note: 'fallback' } : {}),
    },
    (answer) => run.feed.answered(request.turn, answer),
  );
  return asking.map((asked): Round | Promise<Round> => {
    if (asked.ok) {
      flags.fallback = index > 0 ? { model, untilMs: Date.now() + outage.fallbackCooldownMs } : null;
      return { ok: true, answer: asked.answer, model, fellBack: index > 0 };
    }
    const message = asked.message ?? asked.reason;
    const failure = classifyModelFailure(asked.failureType, model);
    if (failure.kind !== 'overloaded') return { ok: false, model, message, failure };
    if (!hasNext) {
      // Every model failed: the next round starts from the run's first model, which may be back first.
      flags.fallback = null;
      return { ok: false, model, message, failure: { kind: 'unavailable' } };
    }
    timeline.note('model', `fallback: ${model} → ${models[index + 1]}`, 'info', message);
    metrics.fallback(model, models[index + 1]);
    const next = `${model} answered overloaded or rate-limited ${outage.fallbackAfter} times in a row: falling back to ${models[index + 1]}`;
    return tryModel(run, request, models, index + 1, next).settled();
  }, rethrow);
}
