/**
 * The worker-side hand-off of model contexts. The workflow offers each turn's context through a sink; the worker
 * runs sink calls before it reports the workflow task, so by the time the model activity it scheduled starts on
 * this worker the context is here, and the activity skips the query round trip. The activity falls back to the
 * query whenever the cache cannot answer (another worker, a restart, an evicted entry): the cache only saves time.
 *
 * Contexts stay out of history either way: a sink call is not an event, and the cache lives in the worker's memory.
 */
import type { WorkflowInfo } from '@temporalio/workflow';
import type { McpToolRecord } from '../shared/mcp';
import type { MessageParam } from '../shared/wire';

/** How many runs' contexts a worker keeps at most: one entry per run, the newest turn's. */
export const DEFAULT_CONTEXT_CACHE_RUNS = 1_000;

export interface ContextCacheStats {
  /** Model calls whose context came from the cache. */
  hits: number;
  /** Model calls that had to query the workflow. */
  misses: number;
  /** Runs whose context is held now. */
  held: number;
}

/** One run's hand-over: the turn's context, and the run's MCP tools when its agent has any. */
export interface HeldContext {
  turn: number;
  messages: MessageParam[];
  mcpTools?: McpToolRecord[];
}

export class ContextCache {
  /** By `<workflowId>\u0000<runId>`; a Map iterates in insertion order, so the first key is the oldest. */
  private readonly runs = new Map<string, HeldContext>();
  private hits = 0;
  private misses = 0;
  /**
   * Whether an offer is copied. On worker threads (the SDK's default) a sink call reaches this thread as a structured
   * clone already, so the workflow's objects are out of reach; in debug mode workflows share this heap and the copy is
   * what keeps them apart. `SagentPlugin` clears it when the worker runs its workflows on threads.
   */
  copyOffers = true;

  constructor(private readonly maxRuns: number = DEFAULT_CONTEXT_CACHE_RUNS) {
    if (!Number.isInteger(maxRuns) || maxRuns < 1) throw new Error(`contextCache.maxRuns must be a whole number of at least 1, got ${maxRuns}`);
  }

  /**
   * Keeps a run's context for `turn`, replacing the one before. The workflow's own objects must never be touched by
   * the activity: what is kept is a copy (the sink's own, or this one's in debug mode), as the query would return.
   */
  offer(workflowId: string, runId: string, turn: number, messages: MessageParam[], mcpTools?: McpToolRecord[]): void {
    const key = keyOf(workflowId, runId);
    const held = { turn, messages, ...(mcpTools ? { mcpTools } : {}) };
    this.runs.delete(key);
    this.runs.set(key, this.copyOffers ? structuredClone(held) : held);
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
  }

  /**
   * The context of this turn when this worker holds it; undefined sends the activity to the query. The entry itself
   * is handed out, not a copy: the model call reads it and builds its request from new arrays (`toParams`), so a retry
   * of the call on this worker finds it as the first attempt did. The entry goes when the call succeeds.
   */
  take(workflowId: string, runId: string, turn: number): Readonly<HeldContext> | undefined {
    const held = this.runs.get(keyOf(workflowId, runId));
    if (held?.turn === turn) {
      this.hits += 1;
      return held;
    }
    this.misses += 1;
    return undefined;
  }

  /** The call for `turn` succeeded: the run's entry is no longer needed (a newer turn's stays). */
  release(workflowId: string, runId: string, turn: number): void {
    const key = keyOf(workflowId, runId);
    if (this.runs.get(key)?.turn === turn) this.runs.delete(key);
  }

  stats(): ContextCacheStats {
    return { hits: this.hits, misses: this.misses, held: this.runs.size };
  }

  /** The sink the workflow calls; registered by `SagentPlugin`. Never called on replay. */
  sink() {
    return {
      offer: {
        fn: (info: WorkflowInfo, turn: number, messages: MessageParam[], mcpTools?: McpToolRecord[]) =>
          this.offer(info.workflowId, info.runId, turn, messages, mcpTools),
        callDuringReplay: false,
      },
    };
  }
}

const keyOf = (workflowId: string, runId: string) => `${workflowId}\u0000${runId}`;
