/** An airline: a deterministic flight search and bookings that can be cancelled. */
import { z } from 'zod';
import { type ServiceModule, params, parseParams } from './http';
import { newId, stableInt, stablePick } from './ids';

const CARRIERS = [
  { code: 'TP', airline: 'TAP Air Portugal' },
  { code: 'LH', airline: 'Lufthansa' },
  { code: 'AF', airline: 'Air France' },
  { code: 'IB', airline: 'Iberia' },
  { code: 'KL', airline: 'KLM' },
  { code: 'BA', airline: 'British Airways' },
] as const;

const FLIGHT_ID = /^[A-Z0-9]{2}-\d{3,4}$/;

/** The fare of a flight depends only on its id, so search and booking agree. */
function fareCents(flightId: string): number {
  return stableInt(`${flightId}:fare`, 49, 899) * 100;
}

const searchQuery = z
  .object({ from: params.name, to: params.name, date: params.date })
  .refine((q) => q.from.toLowerCase() !== q.to.toLowerCase(), { message: 'from and to are the same place', path: ['to'] });

const bookingInput = z.object({
  flightId: z.string().regex(FLIGHT_ID, 'a flight id such as TP-1234, from GET /flights'),
  passenger: params.name,
});

export const airlineService: ServiceModule = {
  reads: [
    {
      method: 'GET',
      path: /^\/flights$/,
      async handle(_db, req) {
        const query = parseParams(searchQuery, Object.fromEntries(req.query));
        const route = `${query.from.toLowerCase()}>${query.to.toLowerCase()}:${query.date}`;
        const count = stableInt(`${route}:count`, 3, 5);
        const flights = Array.from({ length: count }, (_, i) => {
          const carrier = stablePick(`${route}:${i}:carrier`, CARRIERS);
          const flightId = `${carrier.code}-${stableInt(`${route}:${i}:number`, 100, 9999)}`;
          const departMinutes = stableInt(`${route}:${i}:departs`, 6 * 60, 22 * 60);
          const durationMinutes = stableInt(`${route}:${i}:duration`, 55, 600);
          return {
            flightId,
            airline: carrier.airline,
            from: query.from,
            to: query.to,
            departure: `${query.date}T${clock(departMinutes)}`,
            durationMinutes,
            priceCents: fareCents(flightId),
            currency: 'EUR',
            seatsLeft: stableInt(`${route}:${i}:seats`, 1, 9),
          };
        }).sort((a, b) => a.departure.localeCompare(b.departure));
        return { status: 200, body: { from: query.from, to: query.to, date: query.date, flights } };
      },
    },
  ],
  operations: [
    {
      method: 'POST',
      path: '/flights/bookings',
      service: 'airline',
      operation: 'flight_booking',
      input: bookingInput,
      compensable: true,
      async perform(_tx, input: z.output<typeof bookingInput>) {
        const bookingId = newId('FB');
        return {
          status: 201,
          body: {
            bookingId,
            flightId: input.flightId,
            passenger: input.passenger,
            status: 'confirmed',
            priceCents: fareCents(input.flightId),
            currency: 'EUR',
          },
          effect: { resourceId: bookingId, request: input },
        };
      },
      async undo() {
        return { status: 'cancelled' };
      },
    },
  ],
};

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
