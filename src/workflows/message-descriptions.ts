/**
 * What the Temporal UI shows next to each query, signal and update of a run: what it does and a payload to
 * start from. The current details of a waiting run hold the same payloads filled in for each pending call.
 */
export const MESSAGE_DESCRIPTIONS = {
  getState: 'The run as it stands: status, usage, pending approvals (with the full argsHash), decisions, refused attempts, effects, timeline. No arguments.',
  approvalInput:
    'The input of a pending call as it will run, secrets included (read it through the codec), for an edit that keeps the fields an approver was not shown. Argument: the call id, e.g. "call-1".',
  modelContext: 'The context of the model call in flight, for the worker. Argument: the turn number, e.g. 3.',
  approval:
    'Decide a pending call (no answer: a refusal shows in the current details). Copy the payload from the current details, or: ' +
    '{"callId":"call-1","argsHash":"<64 hex from the current details>","decision":"approve","approver":"<you>","reason":"<why>"}. ' +
    'Runs that list approver keys need "signature" and "expiresAt": use `sagent approve` or the inbox.',
  decide:
    'Decide a pending call; refused at once if it does not match. Copy the payload from the current details, or: ' +
    '{"callId":"call-1","argsHash":"<64 hex from the current details>","decision":"approve","approver":"<you>","reason":"<why>"}. ' +
    'Reject with "decision":"reject" and a reason; approve with a change by adding "editedInput":{...the whole input}. ' +
    'A run that lists approver keys (a signed run) cannot be decided from here: it needs "signature" and "expiresAt", made by ' +
    '`sagent approve|reject`, SagentClient.decide or the inbox.',
  extendBudget: 'Top up an exhausted budget: {"by":"<you>","usd":1,"steps":10} (any of usd, steps, inputTokens, outputTokens, wallClockMs, callsPerTool).',
  resumeModel: 'Try the model of a run paused in model_unavailable now (after fixing the key, or once the provider is back): {"by":"<you>","reason":"<why>"}.',
  abort: 'Abort the run; its effects are undone newest first: {"by":"<you>","reason":"<why>"}.',
  sendMessage:
    'Tell the agent something; Claude reads it before its next call (at most 8 KB, from a steerer or approver of the run): {"text":"<message>","by":"<you>"}.',
  interrupt: 'Stop the run after the step in progress; it waits for a message (sendMessage) or an abort: {"by":"<you>","reason":"<why>"}.',
  retryCompensation: 'Retry a blocked undo now: {"effectId":"2","by":"<you>","reason":"<why>"} (effect "2", "effect-2" or the full id).',
  delegateProgress:
    "For the run's own sub-agents only: a child run reports its status and pending approvals to its parent; reports from other runs are ignored.",
  skipCompensation:
    'Give up on a blocked undo (you undo it by hand): {"effectId":"2","by":"<you>","reason":"<what you did instead>"} (effect "2", "effect-2" or the full id).',
} as const;
