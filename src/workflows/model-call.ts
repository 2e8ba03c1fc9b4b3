/** One call to Claude as an activity; the context stays out of history (the activity reads it by query). */
import { isCancellation } from '@temporalio/workflow';
import type { CallModelInput } from '../shared/activity-io';
import type { ModelTurn } from '../shared/wire';
import { activities, modelOptions } from './activity-options';
import { describe } from './saga';
import type { Timeline } from './timeline';

const { callModel } = activities;

export type ModelAnswer = { ok: true; answer: ModelTurn } | { ok: false; reason: string };

/** Asks Claude; a failure Temporal gave up retrying comes back as the reason the saga ends. */
export async function askClaude(request: CallModelInput, routedBecause: string | null, timeline: Timeline): Promise<ModelAnswer> {
  const summary = `${request.model} · turn ${request.turn}`;
  const startedAt = Date.now();
  const entry = timeline.note('model', summary, 'started', routedBecause ?? undefined);
  let answer: ModelTurn;
  try {
    answer = await callModel.executeWithOptions(modelOptions(summary), [request]);
  } catch (err) {
    if (isCancellation(err)) throw err;
    timeline.finish(entry, 'error', startedAt, describe(err));
    return { ok: false, reason: `the model call for turn ${request.turn} failed: ${describe(err)}` };
  }
  timeline.finish(entry, 'ok', startedAt, `${answer.stop_reason ?? 'unknown stop'} · ${answer.usage.output_tokens} tokens out`);
  return { ok: true, answer };
}
