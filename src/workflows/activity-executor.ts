/**
 * The executor for native and MCP tools: one `runTool` activity per call (its effect id is the Idempotency-Key),
 * and one `compensate` activity per undo. It only executes; the pipeline settles and answers Claude.
 */
import { CancellationScope, CancelledFailure, isCancellation } from '@temporalio/workflow';
import type { EffectRecord, ReadyCall } from '../shared/records';
import type { ToolDefinition } from '../tools/define';
import { activities, compensateOptions, toolOptions } from './activity-options';
import { Pending } from './after-settled';
import type { Execution, Executor, ToolScope } from './execution';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';
import { describe, failureType, toolFailureDetails } from './saga';

const { runTool, compensate } = activities;

/** Runs calls as activities on the worker. */
export function activityExecutor(scope: ToolScope): Executor {
  return {
    summary(call, _effectId, tool) {
      const label = tool.label ?? tool.name;
      return call.changesWorld && !call.readOnly ? `${label} · effect ${call.seq}` : `${label} · read`;
    },
    execute(call: ReadyCall, effectId: string, tool: ToolDefinition): Pending<Execution> {
      const input = { agent: scope.agent.name, tool: tool.name, input: call.input, effectId, ...(tool.mcp ? { mcp: tool.mcp } : {}), ...identityOf(scope) };
      return Pending.of(
        // Bound, not wrapped: a bound function adds no frame to the stack the SDK captures for each promise.
        runTool.executeWithOptions.bind(runTool, toolOptions(tool, this.summary(call, effectId, tool)), [input]),
        (output): Execution => ({
          kind: 'ok',
          content: output.content,
          detail: output.truncated ? `${output.bytes} bytes, cut` : `${output.bytes} bytes`,
          ...(output.undoInput !== undefined ? { undoInput: output.undoInput } : {}),
          ...(output.note ? { note: output.note } : {}),
        }),
        (err): Execution => {
          if (isCancellation(err)) throw err;
          // A tool that failed because the run was cancelled under it: that is the cancellation, not a tool error.
          if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the run was cancelled during a tool call');
          // An open breaker: the call never reached the service, and Claude may try again later or go another way.
          const unavailable = failureType(err) === TOOL_FAILURE_TYPES.ServiceUnavailable;
          return {
            kind: 'failed',
            cause: err,
            message: describe(err),
            detail: describe(err),
            extra: toolFailureDetails(err),
            ...(unavailable ? { code: 'service_unavailable' as const } : {}),
          };
        },
      );
    },
  };
}

/** The run's identity for an activity's input, when it names one. */
function identityOf(scope: ToolScope) {
  return scope.identity ? { identity: scope.identity } : {};
}

/** Runs one compensation activity; it throws when the undo failed, and the ledger retries it. */
export async function undoByActivity(effect: EffectRecord, tool: ToolDefinition, scope: ToolScope): Promise<'compensated' | 'not_needed'> {
  const summary = `undo ${tool.label ?? effect.tool} (${effect.undo}) · effect ${effect.seq}`;
  const startedAt = Date.now();
  const entry = scope.timeline.note('compensation', summary, 'started', undefined, effect.effectId);
  try {
    const result = await compensate.executeWithOptions(compensateOptions(tool, summary), [
      {
        agent: scope.agent.name,
        tool: effect.tool,
        input: effect.input,
        effectId: effect.effectId,
        ...(tool.mcp ? { mcp: tool.mcp } : {}),
        ...(effect.undoInput !== undefined ? { undoInput: effect.undoInput } : {}),
        ...identityOf(scope),
      },
    ]);
    scope.timeline.finish(entry, 'ok', startedAt, result);
    return result;
  } catch (err) {
    scope.timeline.finish(entry, 'error', startedAt, describe(err));
    throw err;
  }
}
