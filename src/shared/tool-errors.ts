/**
 * The codes Claude is shown when a call did not run or failed: one closed table, and one builder for the
 * `is_error` body. A code names what happened to the call; a tool's own code (its service's, e.g.
 * `card_declined`) travels beside it as `code`, with the tool's hint and retry-after.
 */

/** Every code a tool result's `error` field may hold, with the hint Claude gets when the site has none better. */
export const TOOL_ERRORS = {
  output_cut: 'make the call again with shorter arguments',
  unknown_tool: 'use one of the offered tools',
  tool_not_allowed: 'use one of the tools this run allows',
  policy_denied: 'the policy refuses this call: do not retry it; go another way or explain to the user',
  input_too_large: 'send less data, or split the work',
  invalid_arguments: 'fix the arguments to match the input schema',
  tool_budget_exhausted: 'do not call this tool again in this run',
  repeated_call: 'read the result of the first call; change the arguments if you need another one',
  already_committed: 'read the earlier result; change the arguments if you need another one',
  tool_failed: 'read the message; fix the arguments or go another way',
  tool_outcome_unknown: 'the outcome is unknown; it will be undone if the run rolls back; do not repeat the call blindly',
  service_unavailable: 'the service is failing for every run; try again after the time given, or go another way',
  outcome_unsettled: "an earlier step's outcome is unknown, so this one did not run; wait, or explain to the user",
  approval_unavailable: 'do not retry it; tell the user the run must be started with approvers',
  approval_rejected: 'do not retry the same call; go another way or explain to the user',
  approval_expired: 'go another way, or tell the user what needs approval',
  delegate_outcome_unknown: 'its outcome is unknown; it will be reviewed if the run rolls back; do not delegate the same task again blindly',
  delegate_rolled_back: 'nothing it did remains; go another way or explain to the user',
} as const;

export type ToolErrorCode = keyof typeof TOOL_ERRORS;

/** What Claude reads in an `is_error` result: structured, so it can adapt. */
export type ToolErrorBody = {
  error: ToolErrorCode;
  message: string;
  hint: string;
  /** The tool's own code, when the tool said why. */
  code?: string;
  /** When a retry may succeed, from the tool or a breaker. */
  retry_after_ms?: number;
} & Record<string, unknown>;

/** The `is_error` body for `code`; the table's hint unless the site knows a better one. */
export function toolError(code: ToolErrorCode, message: string, extra: Partial<Omit<ToolErrorBody, 'error' | 'message'>> = {}): ToolErrorBody {
  const { hint, ...rest } = extra;
  return { error: code, message, hint: (hint as string | undefined) ?? TOOL_ERRORS[code], ...rest };
}

/** Whether a string is a code of the table (a check for what comes from outside, e.g. a policy's refusal). */
export function isToolErrorCode(value: string): value is ToolErrorCode {
  return Object.prototype.hasOwnProperty.call(TOOL_ERRORS, value);
}
