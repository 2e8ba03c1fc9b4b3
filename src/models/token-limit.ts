/**
 * A tokens-per-minute limit on model calls that holds across workers. Temporal enforces one rate for a task queue,
 * whichever worker polls it: the queue's rate limit (`UpdateTaskQueueConfig`, as `temporal task-queue config set
 * --queue-rps-limit` sets it). Each model-call worker measures the tokens its calls report (input, cache writes and
 * output: what a provider counts against a tokens-per-minute limit; cache reads are not counted) and keeps the model
 * queue's rate at `tokensPerMinute / tokens per call` calls a minute, less the burst an idle queue may take at once,
 * where tokens per call is the largest call of the last minute, never above `requestsPerSecond`. Calls over the rate wait on the server, scheduled and not started, holding no
 * worker slot. It holds while calls resemble the last minute's: a call bigger than all of them overshoots once by its
 * excess, and the rate drops at the next adjustment.
 */
import type { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/** What one model call used, as the activity reports it. */
export interface CallTokens {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
}

/** A tokens-per-minute limit on a model queue, under a ceiling of calls a second. */
export interface TokenLimit {
  /** Tokens (input, cache writes, output) a minute across every worker of the model queue. */
  tokensPerMinute: number;
  /** The ceiling the queue's rate never exceeds, in calls a second. */
  requestsPerSecond: number;
  /** Tokens per call assumed before any call reported its usage. @default 4000 */
  initialTokensPerCall?: number;
  /** How often the worker adjusts the queue's rate. @default 5000 */
  adjustEveryMs?: number;
  /**
   * Calls the server lets an idle queue take at once beyond its rate (its buckets start full: about one per partition
   * of the queue, 4 by default); the rate leaves room for them within each minute. @default 4
   */
  burstCalls?: number;
}

const WINDOW_MS = 60_000;
/** A change smaller than this fraction is not written: workers measuring alike do not rewrite each other. */
const SETTLED = 0.05;

/**
 * The queue's rate in calls a second that keeps `tokensPerCall`-sized calls under `tokensPerMinute`, the idle burst
 * included (never less than half the calls the limit allows).
 */
export function queueRateFor(limit: Pick<TokenLimit, 'tokensPerMinute' | 'requestsPerSecond' | 'burstCalls'>, tokensPerCall: number): number {
  const callsPerMinute = limit.tokensPerMinute / Math.max(1, tokensPerCall);
  const afterBurst = Math.max(callsPerMinute - (limit.burstCalls ?? 4), callsPerMinute / 2);
  return Math.min(limit.requestsPerSecond, afterBurst / 60);
}

/** Tokens a call counts against a tokens-per-minute limit. */
export function countedTokens(usage: CallTokens): number {
  return usage.input_tokens + usage.cache_creation_input_tokens + usage.output_tokens;
}

/** Checks a limit as a user gives it; a bad one says which field to fix. */
export function checkTokenLimit(limit: TokenLimit): void {
  if (!(limit.tokensPerMinute > 0))
    throw new Error(`tokensPerMinute: a positive number of tokens a minute across the model queue's workers, got ${limit.tokensPerMinute}`);
  if (limit.initialTokensPerCall !== undefined && !(limit.initialTokensPerCall > 0))
    throw new Error(`initialTokensPerCall: a positive number of tokens, got ${limit.initialTokensPerCall}`);
  if (limit.burstCalls !== undefined && !(limit.burstCalls >= 0)) throw new Error(`burstCalls: 0 or more calls, got ${limit.burstCalls}`);
  if (limit.adjustEveryMs !== undefined && !(limit.adjustEveryMs >= 100)) throw new Error(`adjustEveryMs: at least 100 ms, got ${limit.adjustEveryMs}`);
}

/** Measures one worker's calls and keeps the queue's rate where the limit needs it. */
export class TokenRateGovernor {
  private samples: Array<{ atMs: number; tokens: number }> = [];
  private written: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private adjusting: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly limit: TokenLimit,
    private readonly setRate: (requestsPerSecond: number, reason: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    checkTokenLimit(limit);
  }

  /** One call's reported usage. */
  record(usage: CallTokens): void {
    this.samples.push({ atMs: this.now(), tokens: countedTokens(usage) });
  }

  /** The largest call of the last minute, or the initial estimate before any. */
  tokensPerCall(): number {
    const since = this.now() - WINDOW_MS;
    this.samples = this.samples.filter((sample) => sample.atMs >= since);
    if (this.samples.length === 0) return this.limit.initialTokensPerCall ?? 4000;
    return Math.max(...this.samples.map((sample) => sample.tokens));
  }

  /** Writes the queue's rate when it moved; resolves to the rate written, or null when it stood. */
  async adjust(): Promise<number | null> {
    const tokensPerCall = this.tokensPerCall();
    const rate = queueRateFor(this.limit, tokensPerCall);
    if (this.written !== null && Math.abs(rate - this.written) <= this.written * SETTLED) return null;
    await this.setRate(
      rate,
      `sagent: ${this.limit.tokensPerMinute} tokens/min at up to ${tokensPerCall} tokens a call (max ${this.limit.requestsPerSecond}/s)`,
    );
    this.written = rate;
    return rate;
  }

  /** Adjusts now, then every `adjustEveryMs`; a failed write is tried again at the next round. */
  start(onError: (err: unknown) => void = () => undefined): void {
    const round = () => {
      this.adjusting = this.adjust().catch(onError);
    };
    round();
    this.timer = setInterval(round, this.limit.adjustEveryMs ?? 5000);
    this.timer.unref();
  }

  /** Stops adjusting (the rate written stays on the server for the queue's other workers). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.adjusting;
  }
}

/** Sets the rate of `taskQueue`'s activities on the server: it holds for every worker that polls the queue. */
export function queueRateSetter(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
): (requestsPerSecond: number, reason: string) => Promise<void> {
  return async (requestsPerSecond, reason) => {
    await connection.workflowService.updateTaskQueueConfig({
      namespace,
      taskQueue,
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      identity: `sagent-token-limit@${process.pid}`,
      updateQueueRateLimit: { rateLimit: { requestsPerSecond }, reason },
    });
  };
}
