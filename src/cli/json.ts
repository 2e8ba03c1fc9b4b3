/** The `--json` shapes of `status` and of the outcome (`result`, `watch`, `start --wait`): scripts read them. */
import type { RunView } from '../operations/run-view';
import type { RunOutcome } from '../shared/contracts';

/** The documented `status --json` object, with `statusDetail`, `source` and `uiUrl` added. */
export function statusJson(view: RunView, uiUrl: string) {
  return {
    workflowId: view.workflowId,
    agent: view.agent,
    status: view.status,
    statusDetail: view.statusDetail,
    steps: view.steps,
    usage: { inputTokens: view.usage.inputTokens, outputTokens: view.usage.outputTokens, costUsd: view.usage.costUsd },
    pendingApprovals: view.pendingApprovals.map(({ callId, tool, input, argsHash, requestedAt, expiresAt }) => ({
      callId,
      tool,
      input,
      argsHash,
      requestedAt,
      expiresAt,
    })),
    effects: view.effects.map(({ effectId, tool, state, compensation }) => ({ effectId, tool, state, compensation })),
    rejectedAttempts: (view.state?.rejectedAttempts ?? []).map(({ at, via, approver, callId, why, code, message }) => ({
      at,
      via,
      approver,
      callId,
      why,
      code: code ?? null,
      message: message ?? null,
    })),
    ...(view.compacted ? { compacted: view.compacted } : {}),
    version: view.version,
    workflowTaskFailure: view.workflowTaskFailure,
    waitingForTurn: view.waitingForTurn,
    // Usage and cost by the model that answered, and the switches between models (each a cold prompt cache).
    ...((view.state?.models ?? view.outcome?.models) ? { models: view.state?.models ?? view.outcome?.models } : {}),
    source: view.source,
    uiUrl,
  };
}

/** What `result --json`, `watch --json` and `start --wait --json` print. */
export function outcomeJson(view: RunView, uiUrl: string) {
  const outcome: Partial<RunOutcome> = view.outcome ?? {};
  return {
    workflowId: view.workflowId,
    status: view.status,
    reason: outcome.reason ?? view.failure ?? view.statusDetail ?? null,
    finalText: outcome.finalText ?? view.state?.finalText ?? null,
    steps: view.steps,
    usage: view.usage,
    effects: view.effects,
    approvals: outcome.approvals ?? view.state?.approvals ?? [],
    ...(view.compacted ? { compacted: view.compacted } : {}),
    // The typed final answer of an agent with an output schema.
    ...(outcome.output !== undefined ? { output: outcome.output } : {}),
    uiUrl,
  };
}
