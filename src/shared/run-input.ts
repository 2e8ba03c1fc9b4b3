/** The run's input, checked the same way by the CLI (clear errors) and by the workflow (defence in depth). */
import { z } from 'zod';
import { MATCHER_OPS } from './policy';
import type { AgentRunInput } from './run';
import { shareable } from './settle';

const positive = z.number().finite().positive();
const positiveInt = z.number().int().positive();

const compiles = (pattern: string) => {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
};

const matcherSchema = z
  .object({ path: z.string().min(1).max(200), op: z.enum(MATCHER_OPS), value: z.unknown().optional() })
  .strict()
  .refine((m) => m.op === 'exists' || m.value !== undefined, { message: 'a matcher needs a value (except op "exists")' })
  .refine((m) => !['in', 'notIn'].includes(m.op) || Array.isArray(m.value), { message: 'ops "in" and "notIn" take an array value' })
  .refine((m) => m.op !== 'matches' || (typeof m.value === 'string' && m.value.length <= 200 && compiles(m.value)), {
    message: 'op "matches" takes a regular expression of at most 200 characters that compiles',
  });

/** A run's rule: it may only tighten, so `allow` is refused with a clear error. */
const runPolicyRuleSchema = z
  .object({
    id: z.string().min(1).max(64),
    tools: z.union([z.string().min(1).max(128), z.array(z.string().min(1).max(128)).min(1).max(100)]),
    when: z.array(matcherSchema).max(20).optional(),
    verdict: z.enum(['ask', 'deny'], {
      message: 'a run\'s rules may only tighten the agent\'s policy: verdict must be "ask" or "deny" ("allow" is not accepted)',
    }),
    approvers: z.array(z.string().min(1).max(64)).max(100).optional(),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict();

export const runInputSchema = shareable(
  z
    .object({
      agent: z.string().min(1, 'name an agent'),
      task: z.string().trim().min(1, 'the task is empty').max(20_000, 'the task is longer than 20,000 characters'),
      approval: z
        .object({
          approvers: z
            .array(
              z.union([
                z.string().min(1).max(64, 'an approver name has at most 64 characters'),
                z
                  .object({
                    name: z.string().min(1).max(64, 'an approver name has at most 64 characters'),
                    publicKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'a public key is 64 hex characters (sagent keys create prints it)'),
                  })
                  .strict(),
              ]),
            )
            .max(100, 'at most 100 approvers')
            .refine(
              (approvers) => approvers.every((a) => typeof a === 'string') || approvers.every((a) => typeof a !== 'string'),
              'either every approver has a public key or none has: a plain name next to keys would need no signature',
            )
            .optional(),
          anyNamespaceUser: z.boolean().optional(),
          requireFor: z.array(z.string().min(1)).optional(),
          timeoutMs: positiveInt.optional(),
          onExpiry: z.enum(['reject', 'escalate', 'abort']).optional(),
          rejectionIsFatal: z.boolean().optional(),
          escalationTimeoutMs: positiveInt.optional(),
        })
        .strict()
        .optional(),
      budget: z
        .object({
          maxSteps: positiveInt.optional(),
          maxInputTokens: positiveInt.optional(),
          maxOutputTokens: positiveInt.optional(),
          maxCostUsd: positive.optional(),
          maxWallClockMs: positiveInt.optional(),
          maxCallsPerTool: positiveInt.optional(),
          maxIdenticalCalls: positiveInt.optional(),
          topUpTimeoutMs: positiveInt.optional(),
        })
        .strict()
        .optional(),
      allowedTools: z.array(z.string().min(1)).optional(),
      model: z.string().min(1).optional(),
      escalationModel: z.string().min(1).optional(),
      fallbackModels: z.array(z.string().min(1).max(128)).max(8, 'at most 8 fallback models').optional(),
      modelOutage: z
        .object({
          fallbackAfter: positiveInt.max(20).optional(),
          attemptsPerModel: positiveInt.max(20).optional(),
          retryInitialMs: positiveInt.optional(),
          retryMaxMs: positiveInt.optional(),
          horizonMs: positiveInt.optional(),
          fallbackCooldownMs: positiveInt.optional(),
        })
        .strict()
        .optional(),
      windDownAt: z
        .union([z.number().gt(0, 'windDownAt: a share of the budget above 0').max(1, 'windDownAt: a share of the budget, at most 1'), z.literal(false)])
        .optional(),
      modelTaskQueue: z.string().min(1).max(200).optional(),
      maxTokens: positiveInt.max(128_000).optional(),
      context: z
        .object({
          keepTurns: positiveInt.optional(),
          // Accepted from inputs of earlier versions and ignored: each tool's `maxResultBytes` cuts its results.
          maxToolResultBytes: positiveInt.optional(),
          stubBytes: positiveInt.optional(),
          compactAfterBytes: positiveInt.optional(),
          forceCompactAfterBytes: positiveInt.optional(),
          maxSummaryBytes: positiveInt.optional(),
        })
        .strict()
        .optional(),
      continueAsNewAfterTurns: positiveInt.optional(),
      steerers: z.array(z.string().min(1).max(64, 'a steerer name has at most 64 characters')).max(100, 'at most 100 steerers').optional(),
      carry: z
        .object({
          timelineEntries: positiveInt.optional(),
          settledEffects: positiveInt.optional(),
          approvals: positiveInt.optional(),
          callKeys: positiveInt.optional(),
        })
        .strict()
        .optional(),
      reconcile: z
        .object({ rounds: positiveInt.max(20).optional(), initialDelayMs: positiveInt.optional(), maxDelayMs: positiveInt.optional() })
        .strict()
        .optional(),
      blockAfterCompensationFailures: positiveInt.optional(),
      identity: z
        .object({
          principal: z.string().trim().min(1, 'identity.principal: name who starts the run').max(128, 'identity.principal has at most 128 characters'),
          tenant: z.string().trim().min(1).max(128, 'identity.tenant has at most 128 characters').optional(),
        })
        .strict()
        .optional(),
      policy: z
        .object({ rules: z.array(runPolicyRuleSchema).max(100, 'at most 100 rules').optional() })
        .strict()
        .optional(),
      carried: z.any().optional(),
    })
    .strict(),
);

export type RunInputCheck = { success: true; data: AgentRunInput } | { success: false; error: string };

/** Checks a run's input; the error is one line naming each field to fix. */
export function checkRunInput(input: unknown): RunInputCheck {
  const parsed = runInputSchema.safeParse(input);
  if (parsed.success) return { success: true, data: parsed.data as AgentRunInput };
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
  return { success: false, error: problems.join('; ') };
}
