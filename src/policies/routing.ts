/** Model routing: the default model, and the escalation model when the run keeps stumbling. */

export interface RoutingPolicy {
  defaultModel: string;
  escalationModel: string;
  /** Consecutive tool errors after which the next turn goes to the escalation model. @default 2 */
  escalateAfterToolErrors: number;
}

export type ModelChoice = { model: string; escalated: boolean; reason: string | null };

export function chooseModel(policy: RoutingPolicy, consecutiveToolErrors: number): ModelChoice {
  if (policy.escalationModel !== policy.defaultModel && consecutiveToolErrors >= policy.escalateAfterToolErrors) {
    return { model: policy.escalationModel, escalated: true, reason: `${consecutiveToolErrors} tool errors in a row` };
  }
  return { model: policy.defaultModel, escalated: false, reason: null };
}
