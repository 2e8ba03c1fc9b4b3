/** Planned calls as values: a call is closed by producing its done variant, and a turn by replacing one call. */
import { ApplicationFailure } from '@temporalio/workflow';
import type { AwaitingApprovalCall, DoneCall, PlannedCall, ReadyCall, TurnInFlight } from '../shared/records';
import type { ToolErrorBody } from '../shared/tool-errors';
import type { ToolResultBlockParam } from '../shared/wire';

/** The `is_error` result Claude is shown when a call did not run or failed; its body comes from `toolError`. */
export function errorResult(toolUseId: string, error: ToolErrorBody): ToolResultBlockParam {
  return { type: 'tool_result', tool_use_id: toolUseId, content: JSON.stringify(error), is_error: true };
}

/** The call with its result: what ran, or why it did not. */
export function closeCall(call: ReadyCall | AwaitingApprovalCall, result: ToolResultBlockParam): DoneCall {
  return { ...call, status: 'done', result };
}

/** The turn with the call at `index` replaced. */
export function withCall(turn: TurnInFlight, index: number, call: PlannedCall): TurnInFlight {
  return { ...turn, calls: turn.calls.map((current, at) => (at === index ? call : current)) };
}

/** The tool results of a finished turn, in Claude's order. */
export function resultsOf(turn: TurnInFlight): ToolResultBlockParam[] {
  return turn.calls.map((call) => {
    if (call.status === 'done' || call.status === 'refused') return call.result;
    throw ApplicationFailure.create({
      type: 'SagentBug.OpenCall',
      message: `call ${call.toolUseId} (${call.tool}) is still ${call.status} when its turn ends`,
      nonRetryable: true,
    });
  });
}
