/**
 * The benchmark workloads: what the scripted model answers, turn by turn, and the run inputs that go
 * with it. Every run's workflow id names its workload and step count, so one responding scenario serves
 * sagent and its baselines alike and both get byte-for-byte the same answers.
 */
import type { RespondingScenario, TurnSpec } from '../src/dev/scenario';
import type { AgentRunInput } from '../src/shared/contracts';

/**
 * - `weather`: each turn calls `get_weather` at once (a tiny, no-op read): the cost of the loop itself.
 * - `reference`: each turn says ~300 B of text and calls `search_flights` (a read whose result is ~1 KB).
 */
export type WorkloadName = 'weather' | 'reference';

export const BENCH_PREFIX = 'bench-';

/** `bench-<workload>-<steps>-<label>`: the scenario reads the workload and step count from it. */
export function benchWorkflowId(workload: WorkloadName, steps: number, label: string): string {
  return `${BENCH_PREFIX}${workload}-${steps}-${label}`;
}

function parseWorkflowId(runId: string | null): { workload: WorkloadName; steps: number } | null {
  const match = /^bench-(weather|reference)-(\d+)-/.exec(runId ?? '');
  return match ? { workload: match[1] as WorkloadName, steps: Number(match[2]) } : null;
}

export const TASKS: Record<WorkloadName, string> = {
  weather: 'Benchmark: check the weather once per step, then say done.',
  reference: 'Benchmark: search flights from Lisbon to Paris, one date per step, then summarise what you found.',
};

const FILLER =
  'I compared the departures, the durations and the fares of the flights I found so far, and noted the seats ' +
  'left on each one. The earlier fares look higher than the later ones, so I will check the next date as well ' +
  'before I choose. Nothing is booked yet; these are only searches, and none of them changes anything. ';

/** About 300 bytes of assistant text for the reference workload's turn `turn`. */
export function assistantText(turn: number): string {
  return `Step ${turn}. ${FILLER}`.slice(0, 300);
}

/** Departure date of turn `turn`: a different date each turn, so no two calls are identical. */
export function dateOf(turn: number): string {
  return new Date(Date.UTC(2027, 0, 1) + turn * 86_400_000).toISOString().slice(0, 10);
}

/** What the scripted model answers at `turn` of a run of `steps` tool steps (turn steps + 1 ends it). */
export function turnFor(workload: WorkloadName, steps: number, turn: number): TurnSpec {
  if (turn > steps) return { content: [{ type: 'text', text: `Done after ${steps} steps.` }], stop_reason: 'end_turn' };
  if (workload === 'weather') {
    return { content: [{ type: 'tool_use', name: 'get_weather', input: { city: `City ${turn}` } }] };
  }
  return {
    content: [
      { type: 'text', text: assistantText(turn) },
      { type: 'tool_use', name: 'search_flights', input: { from: 'Lisbon Humberto Delgado', to: 'Paris Charles de Gaulle', date: dateOf(turn) } },
    ],
  };
}

/** The one scenario of the benchmark's model server. */
export const benchScenario: RespondingScenario = {
  name: 'bench',
  match: { runIdPrefix: BENCH_PREFIX },
  respond(ctx) {
    const parsed = parseWorkflowId(ctx.runId);
    if (!parsed) throw new Error(`not a benchmark run id: ${ctx.runId}`);
    return turnFor(parsed.workload, parsed.steps, ctx.turn);
  },
};

/** sagent's run input for `steps` tool steps: budgets raised so only the scenario ends the run. */
export function sagentInput(workload: WorkloadName, steps: number, continueAsNewAfterTurns?: number): AgentRunInput {
  const room = steps + 10;
  return {
    agent: 'travel',
    task: TASKS[workload],
    budget: {
      maxSteps: room,
      maxCallsPerTool: room,
      maxIdenticalCalls: room,
      maxInputTokens: 1_000_000_000,
      maxOutputTokens: 1_000_000_000,
      maxCostUsd: 1_000_000,
    },
    ...(continueAsNewAfterTurns !== undefined ? { continueAsNewAfterTurns } : {}),
  };
}
