/** Loop guards: a tool called too often, or the same call made again and again. */
import type { BudgetLimits } from '../shared/run';
import type { ToolErrorCode } from '../shared/tool-errors';
import { canonicalJson, sha256Hex } from './canonical';

export type GuardCheck = { kind: 'ok'; callKey: string } | { kind: 'refuse'; error: ToolErrorCode; message: string; hint: string; callKey: string };

/** Identifies a call by tool and normalised input, so the same call in any key order counts as one. */
export function callKeyOf(tool: string, input: unknown): string {
  return sha256Hex(canonicalJson({ tool, input })).slice(0, 32);
}

export function checkCallGuards(
  tool: string,
  input: unknown,
  counts: { perTool: Record<string, number>; perCall: Record<string, number> },
  limits: Pick<BudgetLimits, 'maxCallsPerTool' | 'maxIdenticalCalls'>,
): GuardCheck {
  const callKey = callKeyOf(tool, input);
  if ((counts.perTool[tool] ?? 0) >= limits.maxCallsPerTool) {
    return {
      kind: 'refuse',
      callKey,
      error: 'tool_budget_exhausted',
      message: `${tool} has been called ${counts.perTool[tool]} times, the most this run allows`,
      hint: 'finish with what you have, or use another tool; an operator can raise the limit',
    };
  }
  if ((counts.perCall[callKey] ?? 0) >= limits.maxIdenticalCalls) {
    return {
      kind: 'refuse',
      callKey,
      error: 'repeated_call',
      message: `this exact ${tool} call was already made ${counts.perCall[callKey]} times`,
      hint: 'the answer will not change; use the earlier result or change the arguments',
    };
  }
  return { kind: 'ok', callKey };
}
