/**
 * The fleet's circuit breakers as every part sees them: a breaker's name and settings from a tool's declaration,
 * what a worker reports of its breakers, an operator's override, and the breaker board (one long-lived workflow
 * per task queue) that holds the overrides and the workers' reports. Sandbox-safe: JSON types and message
 * definitions only.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ToolBreakerSpec, ToolDefinition } from './tool-declarations';

/** The board's workflow type. */
export const BREAKER_BOARD_WORKFLOW = 'sagentBreakerBoard';

/** The board's workflow id: one board per task queue, run by the workers of that queue, so it lives where they do. */
export function breakerBoardId(taskQueue: string): string {
  return `sagent-breaker-board/${taskQueue}`;
}

/** How often a worker reads the board's overrides; an override reaches every worker within about this long. */
export const BREAKER_POLL_MS = 2000;
/** A worker re-sends an unchanged report this often, so the board can tell a live worker from a gone one. */
export const BREAKER_REPORT_EVERY_MS = 10_000;
/** A worker whose last report is older than this is left out of the board's view. */
export const BREAKER_WORKER_STALE_MS = 60_000;

export const BREAKER_DEFAULTS: Required<Omit<ToolBreakerSpec, 'service'>> = {
  threshold: 0.5,
  windowMs: 10_000,
  minimumCalls: 5,
  halfOpenAfterMs: 30_000,
};

/** What a breaker is doing; `forced_*` while an operator's override holds it. */
export type BreakerPosition = 'closed' | 'open' | 'half_open' | 'forced_open' | 'forced_closed';

/** One breaker of one worker. */
export interface BreakerView {
  name: string;
  state: BreakerPosition;
  /** The tools that went through it on this worker. */
  tools: string[];
  /** Times it opened since the worker started. */
  opened: number;
  /** While open: until it lets a probe through. */
  retryAfterMs: number | null;
  halfOpenAfterMs: number;
}

/** What a worker tells the board. */
export interface WorkerBreakerReport {
  workerId: string;
  taskQueue: string;
  /** ISO time of the report. */
  at: string;
  breakers: BreakerView[];
}

/** An operator's override of one breaker, for every worker. */
export interface BreakerOverride {
  position: 'open' | 'closed';
  by: string;
  reason: string;
  at: string;
}

export type BreakerOverrides = Record<string, BreakerOverride>;

/** What the board holds, and carries over continue-as-new. */
export interface BreakerBoardState {
  overrides: BreakerOverrides;
  workers: Record<string, WorkerBreakerReport>;
}

/** An operator's request: hold `name` open or closed on every worker, or lift the override (`clear`). */
export interface BreakerOverrideRequest {
  name: string;
  position: 'open' | 'closed' | 'clear';
  by: string;
  reason: string;
}

/** A worker's breakers, as it reports them to the fleet's board workflow. */
export const breakerReportSignal = defineSignal<[WorkerBreakerReport]>('breakerReport');
/** An operator forces a breaker open or closed for the whole fleet, or clears the override (`sagent breaker`). */
export const breakerOverrideUpdate = defineUpdate<BreakerOverrides, [BreakerOverrideRequest]>('breakerOverride');
/** Reads the fleet's board: every worker's breakers and the operators' overrides. */
export const breakerBoardQuery = defineQuery<BreakerBoardState>('breakerBoard');

/** The breaker a tool's calls go through: the service it names, else the tool itself. */
export function breakerNameOf(tool: Pick<ToolDefinition, 'name' | 'breaker'>): string {
  return tool.breaker?.service ?? tool.name;
}

/** A declaration with its defaults filled in. */
export function resolveBreaker(spec: ToolBreakerSpec): Required<Omit<ToolBreakerSpec, 'service'>> {
  return {
    threshold: spec.threshold ?? BREAKER_DEFAULTS.threshold,
    windowMs: spec.windowMs ?? BREAKER_DEFAULTS.windowMs,
    minimumCalls: spec.minimumCalls ?? BREAKER_DEFAULTS.minimumCalls,
    halfOpenAfterMs: spec.halfOpenAfterMs ?? BREAKER_DEFAULTS.halfOpenAfterMs,
  };
}

/** Why a breaker declaration is wrong, in words that say what to fix; null when it is fine. */
export function breakerProblem(toolName: string, spec: ToolBreakerSpec): string | null {
  const { threshold, windowMs, minimumCalls, halfOpenAfterMs } = resolveBreaker(spec);
  if (spec.service !== undefined && !/^[a-zA-Z0-9_.:-]{1,64}$/.test(spec.service)) {
    return `tool "${toolName}": breaker.service must be 1-64 letters, digits, '_', '.', ':' or '-'`;
  }
  if (!(threshold > 0 && threshold < 1))
    return `tool "${toolName}": breaker.threshold is the share of failed calls that opens it, above 0 and below 1 (got ${threshold})`;
  for (const [field, value] of [
    ['windowMs', windowMs],
    ['halfOpenAfterMs', halfOpenAfterMs],
    ['minimumCalls', minimumCalls],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) return `tool "${toolName}": breaker.${field} must be a positive whole number (got ${value})`;
  }
  return null;
}
