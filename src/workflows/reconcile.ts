/**
 * Reconciliation: before a run completes, and before a pivot (an irreversible or privileged call) runs, every effect
 * whose outcome is unknown (its response lost, or slower than the retries) is resolved. The tool's declaration says how: the call again with the same idempotency key
 * (the service answers from its store), or the tool's status check. What cannot be learned is not guessed:
 * the loop rolls the saga back instead of completing.
 */
import { isCancellation, sleep } from '@temporalio/workflow';
import type { EffectCheck } from '../tools/runtime';
import type { ReconcileSettings } from '../shared/run';
import type { EffectRecord } from '../shared/records';
import { reconcileOf, type ToolDefinition } from '../tools/define';
import { activities, reconcileOptions } from './activity-options';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';
import { describe, failureType, isDefinitiveRejection } from './saga';
import { statusStep, type StatusStep, type ToolScope } from './execution';
import { isPatched, PATCHES } from './patches';

const { runTool, checkEffect } = activities;

export type ReconcileOutcome = { kind: 'resolved' } | { kind: 'unresolved'; reason: string };

/** The effects whose outcome is still unknown. */
export function unknownEffects(effects: readonly EffectRecord[]): EffectRecord[] {
  return effects.filter((effect) => effect.state === 'unknown');
}

/** Resolves every unknown effect, oldest first; the first that stays unknown is reported, and the rest left to the rollback. */
export async function reconcileUnknown(scope: ToolScope, settings: ReconcileSettings): Promise<ReconcileOutcome> {
  for (const effect of unknownEffects(scope.ledger.effects)) {
    const learned = await reconcileOne(effect, scope, settings);
    if (learned === 'unknown') {
      const how = reconcileOf(scope.agent.toolsByName[effect.tool]) === 'none' ? 'the tool cannot say' : `${settings.rounds} rounds did not tell`;
      return {
        kind: 'unresolved',
        reason: `the outcome of ${effect.tool} (${effect.effectId}) stayed unknown (${how}), so the run does not complete on a guess`,
      };
    }
    // The service has it (or refused it): the effect is as if its response had arrived.
    scope.ledger.reconciled(effect.effectId, learned);
  }
  return { kind: 'resolved' };
}

/**
 * Before a pivot runs (an irreversible or privileged call: nothing after it may rest on a guess), every earlier effect
 * whose outcome is unknown is settled; one that stays unknown ends the saga before the pivot, never after it.
 */
export async function* settleBeforePivot(
  scope: ToolScope,
  tool: ToolDefinition,
  settings: ReconcileSettings,
): AsyncGenerator<StatusStep, { kind: 'ok' } | { kind: 'abort'; reason: string }, void> {
  if (tool.risk !== 'irreversible' && tool.risk !== 'privileged') return { kind: 'ok' };
  const unknown = unknownEffects(scope.ledger.effects);
  if (unknown.length === 0 || !isPatched(PATCHES.settleBeforePivot)) return { kind: 'ok' };
  yield statusStep('running', `reconciling ${unknown.length} effect(s) whose outcome is unknown before ${tool.name} runs`);
  const settled = await reconcileUnknown(scope, settings);
  if (settled.kind === 'unresolved') return { kind: 'abort', reason: `${settled.reason}; ${tool.name} (${tool.risk}) did not run` };
  yield statusStep('running', null);
  return { kind: 'ok' };
}

async function reconcileOne(effect: EffectRecord, scope: ToolScope, settings: ReconcileSettings): Promise<EffectCheck> {
  const tool = scope.agent.toolsByName[effect.tool];
  const mode = reconcileOf(tool);
  if (mode === 'none') return 'unknown';
  let delayMs = settings.initialDelayMs;
  for (let round = 1; round <= settings.rounds; round += 1) {
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, settings.maxDelayMs);
    const summary = `reconcile ${effect.tool} (${mode}) · effect ${effect.seq}`;
    const startedAt = Date.now();
    const entry = scope.timeline.note('tool', summary, 'started', `round ${round} of ${settings.rounds}`, effect.effectId);
    const request = [{ agent: scope.agent.name, tool: effect.tool, input: effect.input, effectId: effect.effectId }] as const;
    try {
      const learned: EffectCheck =
        mode === 'check'
          ? await checkEffect.executeWithOptions(reconcileOptions(tool, summary), [...request])
          : (await runTool.executeWithOptions(reconcileOptions(tool, summary), [...request]), 'committed');
      scope.timeline.finish(entry, learned === 'unknown' ? 'error' : 'ok', startedAt, learned);
      if (learned !== 'unknown') return learned;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A retry the service refuses (a stored 4xx): the first request was refused too, and nothing happened.
      // (An open breaker refuses the retry, not the first request: that says nothing of the effect.)
      const refused = mode === 'retry' && isDefinitiveRejection(err) && failureType(err) === TOOL_FAILURE_TYPES.Rejected;
      scope.timeline.finish(entry, refused ? 'ok' : 'error', startedAt, refused ? `not_committed: ${describe(err)}` : describe(err));
      if (refused) return 'not_committed';
    }
  }
  return 'unknown';
}
