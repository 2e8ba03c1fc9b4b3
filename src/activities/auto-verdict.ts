/**
 * The worker's optional `auto` verdict source, run as an activity so its answer lands in history and a replay sees the
 * same verdict. Whatever goes wrong (the source throws, hangs past its deadline or answers something malformed), the
 * call asks a person: an `auto` source can tighten what the rules decided, never loosen it.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { AutoVerdict, AutoVerdictRequest } from '../shared/policy';

/** What an `auto` source gets besides the call: the worker's Anthropic client, and a signal that fires at its deadline. */
export interface AutoVerdictContext {
  /** The same client the worker's model calls use. */
  anthropic: Anthropic;
  /** Aborted when the source's time is up; its answer is ignored from then on. */
  signal: AbortSignal;
}

/**
 * Judges one call the rules let through (`allow` or `ask`): answer `allow`, `ask` (optionally naming approvers) or
 * `deny` with a reason. Merged most-restrictive-wins with the rules, so `allow` never loosens a rule's `ask`.
 */
export type AutoVerdictSource = (call: AutoVerdictRequest, context: AutoVerdictContext) => AutoVerdict | Promise<AutoVerdict>;

export interface AutoVerdictDeps {
  anthropic: Anthropic;
  /** @default none: no call is put to an `auto` source, and runs schedule nothing for it */
  autoVerdict?: AutoVerdictSource;
  /** How long the source may take per call; past it the call asks. @default 20_000 */
  autoVerdictTimeoutMs?: number;
}

/** How long an `auto` source may take per call unless `autoVerdictTimeoutMs` says otherwise; past it the call asks. */
export const DEFAULT_AUTO_VERDICT_TIMEOUT_MS = 20_000;

export function createAutoVerdictActivities(deps: AutoVerdictDeps) {
  return {
    /** The `auto` source's verdict on one call; `ask` with the cause when it fails, times out or answers nonsense. */
    async autoVerdict(request: AutoVerdictRequest): Promise<AutoVerdict> {
      return judgeCall(deps, request);
    },
  };
}

/** Runs the source under its deadline, and turns every failure into `ask`. */
export async function judgeCall(deps: AutoVerdictDeps, request: AutoVerdictRequest): Promise<AutoVerdict> {
  const source = deps.autoVerdict;
  if (!source) return { verdict: 'ask', reason: 'this worker has no auto verdict source configured' };
  const timeoutMs = deps.autoVerdictTimeoutMs ?? DEFAULT_AUTO_VERDICT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => source(request, { anthropic: deps.anthropic, signal: controller.signal })), deadline]);
    return checkAutoVerdict(answer);
  } catch (err) {
    return { verdict: 'ask', reason: `the auto verdict source failed (${(err as Error)?.message ?? String(err)}), so a person decides` };
  } finally {
    clearTimeout(timer);
  }
}

const VERDICTS = new Set(['allow', 'ask', 'deny']);
const MAX_REASON = 500;

/** A well-formed verdict, bounded in size; anything else throws, so the call asks. */
export function checkAutoVerdict(answer: unknown): AutoVerdict {
  const value = answer as Partial<AutoVerdict> | null;
  if (typeof value !== 'object' || value === null || !VERDICTS.has(value.verdict as string)) {
    throw new Error(`malformed answer: verdict must be "allow", "ask" or "deny", got ${JSON.stringify(value?.verdict ?? value)?.slice(0, 80)}`);
  }
  if (typeof value.reason !== 'string' || value.reason.trim() === '') throw new Error('malformed answer: reason must be a non-empty string');
  const approvers = value.approvers;
  if (approvers !== undefined && (!Array.isArray(approvers) || !approvers.every((name) => typeof name === 'string' && name !== ''))) {
    throw new Error('malformed answer: approvers must be a list of names');
  }
  return {
    verdict: value.verdict as AutoVerdict['verdict'],
    reason: value.reason.slice(0, MAX_REASON),
    ...(value.verdict === 'ask' && approvers && approvers.length > 0 ? { approvers: approvers.slice(0, 20) } : {}),
  };
}
