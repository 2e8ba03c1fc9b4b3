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
  /** Longer runs measured the same way, to show how the ratio moves with length. */
  trendSteps: number[];
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
  trend: { steps: number; sagentTotal: number; naiveTotal: number; totalRatio: number; billedRatio: number }[];
}

export async function measureTokens(stack: BenchStack, plan: TokenPlan, log: (line: string) => void): Promise<TokenResult> {
  const { sagent, naive } = await pair(stack, plan.steps);
  log(`tokens: ${plan.steps} steps: sagent ${sagent.totalInput} input tokens (${sagent.cacheRead} read from cache), naive ${naive.totalInput}`);
  const trend: TokenResult['trend'] = [];
  for (const steps of plan.trendSteps) {
    const longer = await pair(stack, steps);
    trend.push({
      steps,
      sagentTotal: longer.sagent.totalInput,
      naiveTotal: longer.naive.totalInput,
      totalRatio: round(longer.sagent.totalInput / longer.naive.totalInput, 3),
      billedRatio: round(longer.sagent.billedEquivalent / longer.naive.billedEquivalent, 3),
    });
    log(`tokens: ${steps} steps: sagent ${longer.sagent.totalInput}, naive ${longer.naive.totalInput}`);
  }
  return {
    steps: plan.steps,
    sagent,
    naive,
    totalRatio: round(sagent.totalInput / naive.totalInput, 3),
    billedRatio: round(sagent.billedEquivalent / naive.billedEquivalent, 3),
    prefixCacheReadShare: round(sagent.cacheRead / Math.max(1, sagent.cacheRead + sagent.cacheWrite), 3),
    inputCacheReadShare: round(sagent.cacheRead / Math.max(1, sagent.totalInput), 3),
    trend,
  };
}

/** One sagent run and one naive run of `steps` steps, counted from the model server's records. */
async function pair(stack: BenchStack, steps: number): Promise<{ sagent: TokenCount; naive: TokenCount }> {
  const sagentId = benchWorkflowId('reference', steps, `tokens-sagent-${tag()}`);
  const outcome = await resultWithin<{ status: string }>(await stack.startSagent(sagentId, sagentInput('reference', steps)), RUN_TIMEOUT_MS);
  if (outcome.status !== 'completed') throw new Error(`tokens: the sagent run ended ${outcome.status}`);
  const naiveId = benchWorkflowId('reference', steps, `tokens-naive-${tag()}`);
  await resultWithin(await stack.startBaseline('naiveLoop', naiveId, { task: TASKS.reference, maxTurns: steps + 10 }), RUN_TIMEOUT_MS);
  return { sagent: countFor(stack.model, sagentId), naive: countFor(stack.model, naiveId) };
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
