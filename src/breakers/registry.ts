/**
 * Circuit breakers shared by every run on a worker (cockatiel's `SamplingBreaker`), one per service a tool names
 * (`defineTool({ breaker: { service } })`, else the tool's own name). While a breaker is open, a call fails at once
 * without reaching the service, as a non-retryable `ToolFailure.ServiceUnavailable` that the workflow turns into a
 * `service_unavailable` result for Claude. Half-open lets exactly one probe reach the service; calls that arrive
 * meanwhile wait for its answer and then go through (it closed) or fail fast (it opened again). Compensations never
 * pass here.
 * An operator's override (from the fleet's breaker board) holds a breaker open or closed on every worker.
 */
import { ApplicationFailure } from '@temporalio/common';
import { circuitBreaker, CircuitState, handleWhen, isBrokenCircuitError, SamplingBreaker, type CircuitBreakerPolicy, type IDisposable } from 'cockatiel';
import { TOOL_FAILURE_TYPES } from '../shared/activity-io';
import { breakerNameOf, resolveBreaker, type BreakerOverrides, type BreakerPosition, type BreakerView } from '../shared/breakers';
import type { ToolBreakerSpec, ToolDefinition } from '../shared/tool-declarations';

interface Entry {
  policy: CircuitBreakerPolicy;
  spec: Required<Omit<ToolBreakerSpec, 'service'>>;
  tools: Set<string>;
  openedAtMs: number | null;
  isolation: IDisposable | null;
  opened: number;
}

/** Every registry alive in this process, for `breakerSnapshot()`. */
const LIVE = new Set<WorkerBreakers>();

/** The breakers of one worker: every run on it shares them. */
export class WorkerBreakers {
  private readonly entries = new Map<string, Entry>();
  private overrides: BreakerOverrides = {};

  constructor(private readonly now: () => number = Date.now) {
    LIVE.add(this);
  }

  /** Creates the breakers `tools` declare, so the fleet sees them (closed) before the first call. */
  declare(tools: readonly ToolDefinition[]): void {
    for (const tool of tools) if (tool.breaker) this.entry(breakerNameOf(tool), tool);
  }

  /** Runs `call` through the tool's breaker; a tool without one runs as it is. */
  async run<T>(tool: ToolDefinition, call: () => Promise<T>, attempt = 1): Promise<T> {
    if (!tool.breaker) return call();
    const name = breakerNameOf(tool);
    const entry = this.entry(name, tool);
    // An operator holds it closed: every call goes to the service, whatever the breaker counted.
    if (this.overrides[name]?.position === 'closed') return call();
    try {
      return await entry.policy.execute(call);
    } catch (err) {
      // cockatiel 3.2.1's own `isIsolatedCircuitError` tests the wrong property: read the flag itself.
      if ((err as { isIsolatedCircuitError?: boolean })?.isIsolatedCircuitError === true)
        throw unavailable(name, 'an operator holds its breaker open', null, attempt);
      if (isBrokenCircuitError(err)) throw unavailable(name, 'its breaker is open after repeated failures', this.retryAfterMs(entry), attempt);
      throw err;
    }
  }

  /** Applies the fleet's overrides: open ones isolate their breaker, lifted ones release it. */
  setOverrides(overrides: BreakerOverrides): void {
    this.overrides = overrides;
    for (const [name, entry] of this.entries) this.applyOverride(name, entry);
  }

  /** Every breaker of this worker as it stands now. */
  snapshot(): BreakerView[] {
    return [...this.entries].map(([name, entry]) => ({
      name,
      state: this.positionOf(name, entry),
      tools: [...entry.tools].sort(),
      opened: entry.opened,
      retryAfterMs: entry.policy.state === CircuitState.Open ? this.retryAfterMs(entry) : null,
      halfOpenAfterMs: entry.spec.halfOpenAfterMs,
    }));
  }

  /** Stops counting this registry in `breakerSnapshot()` (the worker shut down). */
  close(): void {
    for (const entry of this.entries.values()) entry.isolation?.dispose();
    LIVE.delete(this);
  }

  private entry(name: string, tool: ToolDefinition): Entry {
    const known = this.entries.get(name);
    if (known) {
      known.tools.add(tool.name);
      return known;
    }
    const spec = resolveBreaker(tool.breaker!);
    const policy = circuitBreaker(handleWhen(countsAgainstService), {
      halfOpenAfter: spec.halfOpenAfterMs,
      breaker: new SamplingBreaker({ threshold: spec.threshold, duration: spec.windowMs, minimumRps: (spec.minimumCalls * 1000) / spec.windowMs }),
    });
    const entry: Entry = { policy, spec, tools: new Set([tool.name]), openedAtMs: null, isolation: null, opened: 0 };
    policy.onStateChange((state) => {
      if (state === CircuitState.Open) {
        entry.openedAtMs = this.now();
        entry.opened += 1;
      } else if (state === CircuitState.Closed) {
        entry.openedAtMs = null;
      }
    });
    this.entries.set(name, entry);
    this.applyOverride(name, entry);
    return entry;
  }

  private applyOverride(name: string, entry: Entry): void {
    const wantsOpen = this.overrides[name]?.position === 'open';
    if (wantsOpen && !entry.isolation) entry.isolation = entry.policy.isolate();
    if (!wantsOpen && entry.isolation) {
      entry.isolation.dispose();
      entry.isolation = null;
    }
  }

  private positionOf(name: string, entry: Entry): BreakerPosition {
    const override = this.overrides[name]?.position;
    if (override === 'open') return 'forced_open';
    if (override === 'closed') return 'forced_closed';
    if (entry.policy.state === CircuitState.Open) return 'open';
    if (entry.policy.state === CircuitState.HalfOpen) return 'half_open';
    return 'closed';
  }

  private retryAfterMs(entry: Entry): number {
    if (entry.openedAtMs === null) return entry.spec.halfOpenAfterMs;
    return Math.max(0, entry.openedAtMs + entry.spec.halfOpenAfterMs - this.now());
  }
}

/**
 * Every breaker of every worker in this process, as it stands now: what a metrics module reads (breaker state per
 * service and worker). Each entry is one worker's breaker; `state` is `closed`, `open`, `half_open`,
 * `forced_open` or `forced_closed`.
 */
export function breakerSnapshot(): BreakerView[] {
  return [...LIVE].flatMap((registry) => registry.snapshot());
}

/** A service's own refusal (a declined card, an invalid date) says the service works: it does not count. */
function countsAgainstService(err: Error): boolean {
  const error = err as { name?: string; kind?: string };
  return !(error?.name === 'ToolError' && error.kind === 'rejected');
}

function unavailable(name: string, why: string, retryAfterMs: number | null, attempt: number): ApplicationFailure {
  return ApplicationFailure.create({
    type: TOOL_FAILURE_TYPES.ServiceUnavailable,
    message: `${name} is unavailable: ${why}; the call did not reach it`,
    nonRetryable: true,
    details: [
      {
        code: 'circuit_open',
        message: why,
        hint:
          retryAfterMs === null
            ? `${name} is switched off by an operator; do not call it again in this run; go another way or tell the user`
            : `${name} is failing for every run; try again in about ${Math.ceil(retryAfterMs / 1000)} s, or go another way`,
        ...(retryAfterMs !== null ? { retryAfterMs } : {}),
        // Only a first attempt proves nothing reached the service; an earlier attempt may have landed.
        firstAttempt: attempt === 1,
      },
    ],
  });
}
