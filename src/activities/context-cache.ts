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
import { contextText } from '../shared/activity-io';

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
  /**
   * Each run's newest offer as the JSON text the workflow sent, by `<workflowId>\u0000<runId>`; a Map iterates in
   * insertion order, so the first key is the oldest. Text crosses from the workflow thread as one string (a tree of
   * small objects costs a clone on each side), cannot be changed by the workflow afterwards, and is parsed on `take`.
   */
  private readonly runs = new Map<string, { turn: number; text: string }>();
  private hits = 0;
  private misses = 0;

  constructor(private readonly maxRuns: number = DEFAULT_CONTEXT_CACHE_RUNS) {
    if (!Number.isInteger(maxRuns) || maxRuns < 1) throw new Error(`contextCache.maxRuns must be a whole number of at least 1, got ${maxRuns}`);
  }

  /** Keeps a run's context for `turn` (`contextText`'s JSON), replacing the one before. */
  offer(workflowId: string, runId: string, turn: number, text: string): void {
    const key = keyOf(workflowId, runId);
    this.runs.delete(key);
    this.runs.set(key, { turn, text });
    if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
  }

  /**
   * The context of this turn when this worker holds it, parsed anew on every call (a retry on this worker finds it
   * as the first attempt did); undefined sends the activity to the query, as does an offer that is not a context.
   * The entry goes when the call succeeds.
   */
  take(workflowId: string, runId: string, turn: number): HeldContext | undefined {
    const key = keyOf(workflowId, runId);
    const held = this.runs.get(key);
    const parsed = held?.turn === turn ? parseContext(held.text) : undefined;
    if (parsed) {
      this.hits += 1;
      return { turn, ...parsed };
    }
    // An unreadable offer is dropped: the query answers instead, now and on a retry.
    if (held?.turn === turn) this.runs.delete(key);
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
        // A bundle from before the text hand-over offers the messages and tools as objects: kept as text all the same.
        fn: (info: WorkflowInfo, turn: number, context: string | MessageParam[], mcpTools?: McpToolRecord[]) =>
          this.offer(info.workflowId, info.runId, turn, typeof context === 'string' ? context : contextText(context, mcpTools)),
        callDuringReplay: false,
      },
    };
  }
}

/** The messages and tools of an offer, or undefined when the text is not one. */
function parseContext(text: string): Omit<HeldContext, 'turn'> | undefined {
  try {
    const value = JSON.parse(text) as Partial<HeldContext> | null;
    if (!value || !Array.isArray(value.messages) || (value.mcpTools !== undefined && !Array.isArray(value.mcpTools))) return undefined;
    return { messages: value.messages, ...(value.mcpTools ? { mcpTools: value.mcpTools } : {}) };
  } catch {
    return undefined;
  }
}

const keyOf = (workflowId: string, runId: string) => `${workflowId}\u0000${runId}`;
