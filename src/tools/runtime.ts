/**
 * What a tool's implementation sees on the worker, and the one error type it throws to say how a
 * failure should be treated. Sandbox-safe (types and a plain class), so definitions may name them.
 */
import type { ToolDefinition } from './define';

/** What a tool's `run`, `check` and `compensate` are given besides the input. */
export interface ToolContext {
  /** Stable across retries, worker crashes, replays and continue-as-new. */
  effectId: string;
  /** The key to send as `Idempotency-Key`; equal to `effectId`. */
  idempotencyKey: string;
  workflowId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
  heartbeat(details?: unknown): void;
}

/** What a compensation is given: the forward step's context and its key. */
export interface CompensationContext extends ToolContext {
  /** The forward step's key; undo endpoints are keyed by it. */
  forwardKey: string;
}

/** What a compensation found: it undid the effect, or there was nothing to undo. Both are success. */
export type CompensationResult = 'compensated' | 'not_needed';

/**
 * What a status check found out about an effect whose response was lost. Say `not_committed` only when the
 * effect can no longer land (its key is refused or voided); a request that may still be running is `unknown`.
 */
export type EffectCheck = 'committed' | 'not_committed' | 'unknown';

/** What a tool does on the worker; `I` is its parsed input (see {@link implement}, which infers it). */
export interface ToolImplementation<I = any> {
  /** Performs the step once per idempotency key; what it returns is the result (projected and cut for Claude). */
  run(input: I, ctx: ToolContext): Promise<unknown>;
  /** Required for tools that declare `reconcile: 'check'`: whether the effect under `ctx.effectId` landed. */
  check?(input: I, ctx: ToolContext): Promise<EffectCheck>;
  /** Required for tools that declare a compensation. Must be idempotent. */
  compensate?(input: I, ctx: CompensationContext): Promise<CompensationResult>;
}

/** An agent's tool implementations, by tool name. */
export type ToolImplementations = Record<string, ToolImplementation>;

/**
 * A tool's implementation typed from its definition: `run`, `check` and `compensate` receive the input its zod
 * schema parses to, so a misspelt input field fails to compile. Returns `implementation` unchanged.
 *
 * ```ts
 * export const notesTools: ToolImplementations = {
 *   [addNote.name]: implement(addNote, { run: async ({ text }, { idempotencyKey }) => pin(idempotencyKey, text) }),
 * };
 * ```
 */
export function implement<I>(tool: ToolDefinition<I>, implementation: ToolImplementation<I>): ToolImplementation<I> {
  if (typeof implementation?.run !== 'function') throw new Error(`implement(${tool.name}): the implementation needs a run(input, ctx) function`);
  return implementation;
}

/**
 * A failure a tool reports on purpose.
 * - `rejected`: the other side refused and nothing happened (a declined card, an invalid date). Final.
 * - `transient`: worth another attempt (a 5xx, a timeout, a dropped connection).
 */
export class ToolError extends Error {
  override name = 'ToolError' as const;
  constructor(
    readonly kind: 'rejected' | 'transient',
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
