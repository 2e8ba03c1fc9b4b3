/**
 * One call to Claude as an activity. The context stays out of history: the workflow offers it to its worker by
 * sink, and the activity reads it by query when that worker does not hold it.
 */
import { isCancellation, proxySinks, workflowInfo } from '@temporalio/workflow';
import { contextText, type CallModelInput, type SagentSinks } from '../shared/activity-io';
import type { McpToolRecord } from '../shared/mcp';
import type { MessageParam, ModelTurn } from '../shared/wire';
import { activities, modelCallOptions, modelOptions } from './activity-options';
import { Pending } from './after-settled';
import { describe } from './saga';
import type { Timeline } from './timeline';

const { callModel } = activities;

const { sagentContext } = proxySinks<SagentSinks>();

/**
 * Hands this turn's context to the worker before the model activity is scheduled. Not on replay: the turn's activity
 * was scheduled before, whichever worker runs it can query, and a replaying worker need not register the sink.
 */
export function offerContext(turn: number, messages: MessageParam[], mcpTools: McpToolRecord[] | undefined): void {
  if (!workflowInfo().unsafe.isReplaying) sagentContext.offer(turn, contextText(messages, mcpTools));
}

/** Claude's answer, or why the call failed: the reason, and the failure's dotted type when the worker classified it. */
export type ModelAnswer = { ok: true; answer: ModelTurn } | { ok: false; reason: string; failureType?: string; message?: string };

/** How one call is scheduled: its attempts, its queue, and a note for its summary ("fallback"). */
export interface ModelCallShape {
  attempts: number;
  taskQueue?: string;
  note?: string;
}

/**
 * Asks Claude; a failure Temporal gave up retrying comes back as the reason the saga ends. The caller continues the
 * call (`settled()`), after the stages it adds. `onAnswer` takes the answer
 * before the step settles (the live feed completes the turn's text there, so readers see the text before the step).
 */
export function askClaude(
  request: CallModelInput,
  routedBecause: string | null,
  timeline: Timeline,
  shape?: ModelCallShape,
  onAnswer?: (answer: ModelTurn) => void,
): Pending<ModelAnswer> {
  const summary = `${request.model} · turn ${request.turn}${shape?.note ? ` · ${shape.note}` : ''}`;
  const startedAt = Date.now();
  const entry = timeline.note('model', summary, 'started', routedBecause ?? undefined);
  return Pending.of(
    // Bound, not wrapped: a bound function adds no frame to the stack the SDK captures for each promise.
    callModel.executeWithOptions.bind(callModel, shape ? modelCallOptions(summary, shape.attempts, shape.taskQueue) : modelOptions(summary), [request]),
    (answer): ModelAnswer => {
      onAnswer?.(answer);
      timeline.finish(entry, 'ok', startedAt, `${answer.stop_reason ?? 'unknown stop'} · ${answer.usage.output_tokens} tokens out`);
      return { ok: true, answer };
    },
    (err): ModelAnswer => {
      if (isCancellation(err)) throw err;
      timeline.finish(entry, 'error', startedAt, describe(err));
      const failureType = (err as { cause?: { type?: unknown } }).cause?.type;
      return {
        ok: false,
        reason: `the model call for turn ${request.turn} failed: ${describe(err)}`,
        message: describe(err),
        ...(typeof failureType === 'string' ? { failureType } : {}),
      };
    },
  );
}
