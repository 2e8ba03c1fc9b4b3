/**
 * The runs of a fault trial, as the scripted model plays them. A run's workflow id says what it is:
 * `chaos-<shape>-<n>[-<hold>]`. Shapes: `trip` (three bookings, a charge that waits for approval, done), `undo` (three
 * bookings, then Claude aborts), `cancel` (three bookings, then a slow turn during which the trial cancels the run),
 * and `hang-<kind>` (one turn whose first attempt hangs or breaks, to time the fail-over). Some turns break their
 * first attempt on purpose (429, 500, 529, a cut stream, a dropped connection, a garbled answer): chosen from the run id and
 * the turn, so a retried attempt plays the same turn.
 */
import { createHash } from 'node:crypto';
import type { RespondingScenario, TurnSpec } from '../src/testing';

export const SHAPES = ['trip', 'undo', 'cancel'] as const;
export type Shape = (typeof SHAPES)[number];

/** What each shape must end as. */
export const EXPECTED: Readonly<Record<Shape, string>> = { trip: 'completed', undo: 'compensated', cancel: 'cancelled' };

export const HANGS = ['stall', 'silent', 'cut', 'drop', 'garbage'] as const;
export type Hang = (typeof HANGS)[number];

const BOOKINGS = [
  { name: 'book_flight', input: { flightId: 'KL-1692', passenger: 'Edsger Dijkstra' } },
  { name: 'book_hotel', input: { city: 'Amsterdam', checkIn: '2026-05-11', checkOut: '2026-05-14', guest: 'Edsger Dijkstra' } },
  { name: 'rent_car', input: { city: 'Amsterdam', pickUp: '2026-05-11', dropOff: '2026-05-14', driver: 'Edsger Dijkstra' } },
] as const;
const CHARGE = { name: 'charge_card', input: { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Amsterdam trip' } };

/** How long a held model turn waits before it answers (the trial kills a worker meanwhile). */
export const MODEL_HOLD_MS = 4_000;
/** How long the `cancel` shape's slow turn takes (the trial cancels the run meanwhile). */
const SLOW_TURN_MS = 60_000;

/** The first-attempt faults, one of which strikes about a quarter of the turns. */
const TURN_FAULTS: ReadonlyArray<TurnSpec['error'] & object> = [
  { status: 429, retryAfterMs: 200, times: 1 },
  { status: 500, times: 1 },
  { status: 529, times: 1 },
  { status: 529, midStream: true, times: 1 },
  { dropConnection: true, times: 1 },
  { garbage: true, times: 1 },
];

export function runId(shape: Shape, n: number, hold?: string): string {
  return `chaos-${shape}-${n}${hold ? `-${hold}` : ''}`;
}

function shapeOf(id: string): Shape | Hang | null {
  const part = id.split('-')[1];
  if (part === 'hang') return (id.split('-')[2] as Hang) ?? null;
  return (SHAPES as readonly string[]).includes(part) ? (part as Shape) : null;
}

function bucket(id: string, turn: number): number {
  return createHash('sha256').update(`${id}/${turn}`).digest()[0];
}

/** The scripted model of every trial run. */
export const chaosScenario: RespondingScenario = {
  name: 'chaos',
  match: { runIdPrefix: 'chaos-' },
  respond({ runId: id, turn, attempt }) {
    const shape = id ? shapeOf(id) : null;
    if (shape === null || id === null) return { content: [{ type: 'text', text: 'Nothing to do.' }] };
    if ((HANGS as readonly string[]).includes(shape)) return hangTurn(shape as Hang, turn, attempt);
    const held = id.endsWith('-model') && turn === 2 && attempt === 1;
    const step = turnOf(shape as Shape, turn);
    if (held) return { ...step, delayMs: MODEL_HOLD_MS };
    const fault = bucket(id, turn) < 64 ? TURN_FAULTS[bucket(id, turn) % TURN_FAULTS.length] : undefined;
    if (fault && attempt === 1) return { ...step, error: fault };
    return step;
  },
};

function turnOf(shape: Shape, turn: number): TurnSpec {
  const booking = BOOKINGS[turn - 1];
  if (booking) return { content: [{ type: 'tool_use', name: booking.name, input: { ...booking.input } }] };
  if (turn === 4) {
    if (shape === 'trip') return { content: [{ type: 'tool_use', name: CHARGE.name, input: { ...CHARGE.input } }] };
    if (shape === 'undo') return { content: [{ type: 'tool_use', name: 'abort', input: { reason: 'the conference was cancelled' } }] };
    return { delayMs: SLOW_TURN_MS, content: [{ type: 'text', text: 'Still thinking.' }] };
  }
  return { content: [{ type: 'text', text: 'Done: flight, hotel and car booked.' }] };
}

/** The first attempt of turn 1 hangs or breaks; the second answers and ends the run. */
function hangTurn(kind: Hang, turn: number, attempt: number): TurnSpec {
  const done: TurnSpec = { content: [{ type: 'text', text: `Recovered from a ${kind} model call.` }] };
  if (turn !== 1 || attempt > 1) return done;
  if (kind === 'stall') return { ...done, error: { stallAfterStart: true, times: 1 } };
  if (kind === 'silent') return { ...done, delayMs: SLOW_TURN_MS };
  if (kind === 'cut') return { ...done, error: { status: 529, midStream: true, times: 1 } };
  if (kind === 'garbage') return { ...done, error: { garbage: true, times: 1 } };
  return { ...done, error: { dropConnection: true, times: 1 } };
}
