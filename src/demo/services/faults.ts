/**
 * Fault injection for tests and demos, off until a rule is posted to `/_faults`. A rule picks requests
 * by path and Idempotency-Key prefix and breaks them at one point of their life:
 * - `error5xx` / `error5xxRate`: answer 5xx on arrival, before anything is claimed or stored;
 * - `delay`: wait `delayMs` while the request holds its key (a concurrent request with the key gets 409);
 * - `commitThenDrop`: commit the effect and the stored response, then destroy the socket unanswered.
 */
import { z } from 'zod';

export const faultRuleSchema = z.object({
  /** Exact path (`/hotels/bookings`, `/effects/undo`); absent = every service path. */
  path: z.string().startsWith('/').optional(),
  /** Matches the Idempotency-Key, and for `/effects/undo` also the key being undone. */
  keyPrefix: z.string().min(1).optional(),
  mode: z.enum(['error5xx', 'error5xxRate', 'delay', 'commitThenDrop']),
  /** How many requests the rule breaks; absent = until `DELETE /_faults`. */
  times: z.number().int().positive().optional(),
  delayMs: z.number().int().min(0).max(600_000).default(1000),
  /** Chance of failing each matching request, for `error5xxRate`. */
  rate: z.number().min(0).max(1).default(0.5),
  /** Status of the injected error. */
  status: z.number().int().min(500).max(599).default(503),
});

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema> & { id: number; fired: number };
export type FaultMode = FaultRule['mode'];

/** Where in a request's life a fault can strike, and the modes that strike there. */
export const FAULT_PHASES = {
  arrival: ['error5xx', 'error5xxRate'],
  execute: ['delay'],
  respond: ['commitThenDrop'],
} as const satisfies Record<string, readonly FaultMode[]>;

export type FaultPhase = keyof typeof FAULT_PHASES;

export class FaultRules {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(inputs: FaultRuleInput[]): FaultRule[] {
    const added = inputs.map((input) => ({ ...faultRuleSchema.parse(input), id: this.nextId++, fired: 0 }));
    this.rules.push(...added);
    return added;
  }

  clear(): number {
    const count = this.rules.length;
    this.rules = [];
    return count;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  /** The first rule that strikes this request now (and counts it), or undefined. */
  take(phase: FaultPhase, path: string, keys: readonly string[]): FaultRule | undefined {
    const modes: readonly FaultMode[] = FAULT_PHASES[phase];
    for (const rule of this.rules) {
      if (!modes.includes(rule.mode)) continue;
      if (rule.path !== undefined && rule.path !== path) continue;
      if (rule.keyPrefix !== undefined && !keys.some((key) => key.startsWith(rule.keyPrefix!))) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.mode === 'error5xxRate' && this.random() >= rule.rate) continue;
      rule.fired += 1;
      return { ...rule };
    }
    return undefined;
  }
}
