/** A hotel chain: bookings for a stay, which can be cancelled. */
import { z } from 'zod';
import { type ServiceModule, params } from './http';
import { daysBetween, newId, stableInt, stablePick } from './ids';

const HOTELS = ['Grand Hotel', 'Riverside Inn', 'Old Town Suites', 'Harbour View', 'Park Residence'] as const;
const MAX_NIGHTS = 30;

const bookingInput = z
  .object({ city: params.name, checkIn: params.date, checkOut: params.date, guest: params.name })
  .refine((b) => daysBetween(b.checkIn, b.checkOut) >= 1, { message: 'checkOut must be after checkIn', path: ['checkOut'] })
  .refine((b) => daysBetween(b.checkIn, b.checkOut) <= MAX_NIGHTS, { message: `a stay is at most ${MAX_NIGHTS} nights`, path: ['checkOut'] });

export const hotelService: ServiceModule = {
  operations: [
    {
      method: 'POST',
      path: '/hotels/bookings',
      service: 'hotel',
      operation: 'hotel_booking',
      input: bookingInput,
      compensable: true,
      async perform(_tx, input: z.output<typeof bookingInput>) {
        const bookingId = newId('HB');
        const seed = input.city.toLowerCase();
        const nights = daysBetween(input.checkIn, input.checkOut);
        const nightlyCents = stableInt(`${seed}:nightly`, 60, 320) * 100;
        return {
          status: 201,
          body: {
            bookingId,
            hotel: `${stablePick(`${seed}:hotel`, HOTELS)} ${input.city}`,
            ...input,
            nights,
            totalCents: nights * nightlyCents,
            currency: 'EUR',
            status: 'confirmed',
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
