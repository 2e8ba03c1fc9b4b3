/**
 * Tokens: the input tokens one reference run sends, as the scripted model counts them, for sagent (context
 * policy + prompt caching) and for the naive loop (whole conversation, no `cache_control`).
 */
import type { ModelServer } from '../src/dev/model-server';
import { resultWithin, round, tag } from './stats';
import type { BenchStack } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

const RUN_TIMEOUT_MS = 5 * 60_000;

export interface TokenPlan {
  steps: number;
}

export interface TokenCount {
  requests: number;
  /** Input tokens of the run's first request: system prompt, tools and task, sent with every call. */
  firstRequest: number;
  /** input_tokens + cache_read_input_tokens + cache_creation_input_tokens over the run's requests. */
  totalInput: number;
  uncached: number;
  cacheRead: number;
  cacheWrite: number;
  /** Input priced as the API bills it relative to plain input: reads at 0.1×, writes at 1.25×. */
  billedEquivalent: number;
}

export interface TokenResult {
  steps: number;
  sagent: TokenCount;
  naive: TokenCount;
  /** sagent / naive on total input tokens (cache reads counted in full); the target is ≤ 0.40. */
  totalRatio: number;
  /** sagent / naive on billed-equivalent input tokens. */
  billedRatio: number;
  /** sagent's cache reads over its cacheable prefix (reads + writes). */
  prefixCacheReadShare: number;
  /** sagent's cache reads over all its input tokens. */
  inputCacheReadShare: number;
}

export async function measureTokens(stack: BenchStack, plan: TokenPlan, log: (line: string) => void): Promise<TokenResult> {
  const sagentId = benchWorkflowId('reference', plan.steps, `tokens-sagent-${tag()}`);
  const outcome = await resultWithin<{ status: string }>(await stack.startSagent(sagentId, sagentInput('reference', plan.steps)), RUN_TIMEOUT_MS);
  if (outcome.status !== 'completed') throw new Error(`tokens: the sagent run ended ${outcome.status}`);
  const naiveId = benchWorkflowId('reference', plan.steps, `tokens-naive-${tag()}`);
  await resultWithin(await stack.startBaseline('naiveLoop', naiveId, { task: TASKS.reference, maxTurns: plan.steps + 10 }), RUN_TIMEOUT_MS);

  const sagent = countFor(stack.model, sagentId);
  const naive = countFor(stack.model, naiveId);
  log(`tokens: sagent ${sagent.totalInput} input tokens (${sagent.cacheRead} read from cache), naive ${naive.totalInput}`);
  return {
    steps: plan.steps,
    sagent,
    naive,
    totalRatio: round(sagent.totalInput / naive.totalInput, 3),
    billedRatio: round(sagent.billedEquivalent / naive.billedEquivalent, 3),
    prefixCacheReadShare: round(sagent.cacheRead / Math.max(1, sagent.cacheRead + sagent.cacheWrite), 3),
    inputCacheReadShare: round(sagent.cacheRead / Math.max(1, sagent.totalInput), 3),
  };
}

function countFor(model: ModelServer, workflowId: string): TokenCount {
  const answered = model.requests.filter((request) => request.runId === workflowId && request.status === 200 && request.usage !== null);
  const sum = (pick: (usage: NonNullable<(typeof answered)[number]['usage']>) => number) =>
    answered.reduce((total, request) => total + pick(request.usage!), 0);
  const uncached = sum((usage) => usage.input_tokens);
  const cacheRead = sum((usage) => usage.cache_read_input_tokens);
  const cacheWrite = sum((usage) => usage.cache_creation_input_tokens);
  return {
    requests: answered.length,
    firstRequest: answered.length > 0 ? inputOf(answered[0].usage!) : 0,
    totalInput: uncached + cacheRead + cacheWrite,
    uncached,
    cacheRead,
    cacheWrite,
    billedEquivalent: Math.round(uncached + cacheRead * 0.1 + cacheWrite * 1.25),
  };
}

function inputOf(usage: { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }): number {
  return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
}
