/**
 * Tokens: the input tokens a `reference` run sends, as the scripted model counts them, for sagent
 * (context policy + prompt caching, on Temporal) against two naive loops that send the whole conversation
 * every turn: one with `cache_control` as the prompt-caching docs recommend, one without.
 *
 * The naive loops run directly with the SDK (`bench/naive.ts`), outside Temporal, against the same model
 * server and the same services code: a request's tokens do not depend on what runs the loop, and on
 * Temporal the naive loop cannot reach 300 steps (its history passes 50 MB at ~243). One cross-check run
 * of the Temporal `naiveLoop` shows that both send the same tokens.
 *
 *   npx tsx bench/tokens.ts [--quick]     # this section alone, on its own stack
 */
import { createAnthropicClient } from '../src/models/anthropic';
import { createServiceClient, type ServiceClient } from '../src/demo/agents/http';
import { startServices } from '../src/demo/services/server';
import type { ModelServer, RecordedRequest } from '../src/dev/model-server';
import type Anthropic from '@anthropic-ai/sdk';
import { runNaiveLoop, type NaiveCaching } from './naive';
import { runMain, withStack } from './entry';
import { resultWithin, round } from './stats';
import type { BenchStack } from './stack';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

const RUN_TIMEOUT_MS = 10 * 60_000;

export interface TokenPlan {
  /** Run lengths, in tool steps: one run of each side per length. */
  lengths: number[];
  /** Length of the run that checks the direct naive loop against the Temporal one. */
  crossCheckSteps: number;
}

export interface TokenCount {
  requests: number;
  /** input_tokens + cache_read_input_tokens + cache_creation_input_tokens over the run's requests. */
  totalInput: number;
  uncached: number;
  cacheRead: number;
  cacheWrite: number;
  /** Input priced as the API bills it relative to plain input: reads at 0.1×, writes at 1.25×. */
  billedEquivalent: number;
  /** The run's largest request: its context size in input tokens, cached ones included. */
  largestRequest: number;
}

export interface TokenPoint {
  steps: number;
  sagent: TokenCount;
  naiveCached: TokenCount;
  naive: TokenCount;
  /** sagent / cached naive on billed-equivalent tokens; the target is ≤ 1 at every length. */
  billedVsCached: number;
  /** sagent / uncached naive on total input tokens. */
  totalVsUncached: number;
}

export interface TokenResult {
  points: TokenPoint[];
  /** The same uncached naive run on Temporal and directly: the total input tokens of each. */
  crossCheck: { steps: number; temporal: number; direct: number };
  /**
   * From the longest runs' per-request records: the billed-equivalent tokens of a run of L steps are
   * those of its first L+1 requests, so one long run gives every shorter length.
   */
  everyLength: { upTo: number; behind: number[]; worstDeficit: number; worstDeficitShare: number; worstAt: number | null };
  /** sagent's largest request at the longest length over the one at 100 steps; flat is ≤ 1. */
  largestGrowth: number | null;
}

export async function measureTokens(stack: BenchStack, plan: TokenPlan, log: (line: string) => void): Promise<TokenResult> {
  const services = await startServices({ port: 0, dataDir: 'memory://' });
  try {
    const deps = {
      anthropic: createAnthropicClient({ apiKey: 'bench', baseURL: stack.model.url }),
      services: createServiceClient({ servicesUrl: services.url }),
    };
    const runs = new RunLabels();
    // The system prompt and tools are cached before the first measured request, as when an agent's runs follow one another.
    await naiveRun(deps, runs, 1, 'last-message');

    const points: TokenPoint[] = [];
    const longest: { sagent: RecordedRequest[]; naiveCached: RecordedRequest[] } = { sagent: [], naiveCached: [] };
    for (const steps of plan.lengths) {
      const sagentId = await sagentRun(stack, runs, steps);
      const cachedId = await naiveRun(deps, runs, steps, 'last-message');
      const naiveId = await naiveRun(deps, runs, steps, 'none');
      const point = pointOf(steps, countFor(stack.model, sagentId), countFor(stack.model, cachedId), countFor(stack.model, naiveId));
      points.push(point);
      longest.sagent = answered(stack.model, sagentId);
      longest.naiveCached = answered(stack.model, cachedId);
      log(
        `tokens: ${steps} steps: billed-equivalent sagent ${point.sagent.billedEquivalent}, naive cached ${point.naiveCached.billedEquivalent}, naive ${point.naive.billedEquivalent}`,
      );
    }

    const temporalId = runs.next('reference', plan.crossCheckSteps, 'tokens-naive-temporal');
    await resultWithin(
      await stack.startBaseline('naiveLoop', temporalId, { task: runs.task(temporalId), maxTurns: plan.crossCheckSteps + 10 }),
      RUN_TIMEOUT_MS,
    );
    const direct =
      points.find((point) => point.steps === plan.crossCheckSteps)?.naive.totalInput ?? (await naiveTotal(deps, runs, stack.model, plan.crossCheckSteps));
    const crossCheck = { steps: plan.crossCheckSteps, temporal: countFor(stack.model, temporalId).totalInput, direct };
    log(`tokens: cross-check at ${crossCheck.steps} steps: naive on Temporal ${crossCheck.temporal}, direct ${crossCheck.direct}`);

    const at100 = points.find((point) => point.steps === 100);
    const last = points.at(-1);
    return {
      points,
      crossCheck,
      everyLength: everyLength(longest.sagent, longest.naiveCached),
      largestGrowth: at100 && last && last.steps > 100 ? round(last.sagent.largestRequest / at100.sagent.largestRequest, 3) : null,
    };
  } finally {
    await services.close();
  }
}

/**
 * Every run gets a task of its own (same length for all), so no run reads another run's conversation
 * from the model server's cache; only the system prompt and tools are shared, as between real runs.
 */
class RunLabels {
  #count = 0;
  readonly #tasks = new Map<string, string>();

  next(workload: 'reference', steps: number, side: string): string {
    this.#count += 1;
    const label = String(this.#count).padStart(4, '0');
    const id = benchWorkflowId(workload, steps, `${side}-${label}`);
    this.#tasks.set(id, `${TASKS[workload]} (run ${label})`);
    return id;
  }

  task(id: string): string {
    return this.#tasks.get(id)!;
  }
}

type NaiveDeps = { anthropic: Anthropic; services: ServiceClient };

async function sagentRun(stack: BenchStack, runs: RunLabels, steps: number): Promise<string> {
  const id = runs.next('reference', steps, 'tokens-sagent');
  const outcome = await resultWithin<{ status: string }>(
    await stack.startSagent(id, { ...sagentInput('reference', steps), task: runs.task(id) }),
    RUN_TIMEOUT_MS,
  );
  if (outcome.status !== 'completed') throw new Error(`tokens: the sagent run ended ${outcome.status}`);
  return id;
}

async function naiveRun(deps: NaiveDeps, runs: RunLabels, steps: number, caching: NaiveCaching): Promise<string> {
  const id = runs.next('reference', steps, caching === 'none' ? 'tokens-naive' : 'tokens-naive-cached');
  await runNaiveLoop(deps, { runId: id, task: runs.task(id), maxTurns: steps + 10, caching });
  return id;
}

async function naiveTotal(deps: NaiveDeps, runs: RunLabels, model: ModelServer, steps: number): Promise<number> {
  return countFor(model, await naiveRun(deps, runs, steps, 'none')).totalInput;
}

function pointOf(steps: number, sagent: TokenCount, naiveCached: TokenCount, naive: TokenCount): TokenPoint {
  return {
    steps,
    sagent,
    naiveCached,
    naive,
    billedVsCached: round(sagent.billedEquivalent / naiveCached.billedEquivalent, 3),
    totalVsUncached: round(sagent.totalInput / naive.totalInput, 3),
  };
}

function answered(model: ModelServer, runId: string): RecordedRequest[] {
  return model.requests.filter((request) => request.runId === runId && request.status === 200 && request.usage !== null);
}

function countFor(model: ModelServer, runId: string): TokenCount {
  const requests = answered(model, runId);
  const sum = (pick: (usage: NonNullable<RecordedRequest['usage']>) => number) => requests.reduce((total, request) => total + pick(request.usage!), 0);
  const uncached = sum((usage) => usage.input_tokens);
  const cacheRead = sum((usage) => usage.cache_read_input_tokens);
  const cacheWrite = sum((usage) => usage.cache_creation_input_tokens);
  return {
    requests: requests.length,
    totalInput: uncached + cacheRead + cacheWrite,
    uncached,
    cacheRead,
    cacheWrite,
    billedEquivalent: Math.round(billed(uncached, cacheRead, cacheWrite)),
    largestRequest: Math.max(0, ...requests.map((request) => inputOf(request.usage!))),
  };
}

function everyLength(sagent: RecordedRequest[], naiveCached: RecordedRequest[]): TokenResult['everyLength'] {
  const prefixSums = (requests: RecordedRequest[]) => {
    const sums: number[] = [];
    let total = 0;
    for (const request of requests)
      sums.push((total += billed(request.usage!.input_tokens, request.usage!.cache_read_input_tokens, request.usage!.cache_creation_input_tokens)));
    return sums;
  };
  const [ours, theirs] = [prefixSums(sagent), prefixSums(naiveCached)];
  const upTo = Math.min(ours.length, theirs.length) - 1;
  const behind: number[] = [];
  let worstDeficit = 0;
  let worstDeficitShare = 0;
  let worstAt: number | null = null;
  // A run of L steps makes L+1 requests, the first L+1 of any longer run.
  for (let steps = 1; steps <= upTo; steps++) {
    const deficit = ours[steps] - theirs[steps];
    if (deficit <= 0.5) continue;
    behind.push(steps);
    if (deficit > worstDeficit) [worstDeficit, worstDeficitShare, worstAt] = [Math.round(deficit), round(deficit / theirs[steps], 3), steps];
  }
  return { upTo, behind, worstDeficit, worstDeficitShare, worstAt };
}

function billed(uncached: number, cacheRead: number, cacheWrite: number): number {
  return uncached + cacheRead * 0.1 + cacheWrite * 1.25;
}

function inputOf(usage: { input_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }): number {
  return usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
}

/** The token plan of `npm run bench`: every length of the target. */
export const FULL_TOKEN_PLAN: TokenPlan = { lengths: [5, 10, 20, 50, 100, 300], crossCheckSteps: 20 };
export const QUICK_TOKEN_PLAN: TokenPlan = { lengths: [5, 10, 20, 50], crossCheckSteps: 10 };

async function main(): Promise<void> {
  const { renderTokenTable } = await import('./table');
  const result = await withStack('tokens', (stack, log) => measureTokens(stack, process.argv.includes('--quick') ? QUICK_TOKEN_PLAN : FULL_TOKEN_PLAN, log));
  console.log(renderTokenTable(result));
}

if (require.main === module) runMain(main);
