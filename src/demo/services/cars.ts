/** A car rental company: rentals that can be cancelled. */
import { z } from 'zod';
import { type ServiceModule, params } from './http';
import { daysBetween, newId, stableInt, stablePick } from './ids';

const CARS = ['Fiat 500', 'VW Golf', 'Toyota Corolla', 'Renault Clio', 'Skoda Octavia Estate'] as const;

const rentalInput = z
  .object({ city: params.name, pickUp: params.date, dropOff: params.date, driver: params.name })
  .refine((r) => daysBetween(r.pickUp, r.dropOff) >= 0, { message: 'dropOff must not be before pickUp', path: ['dropOff'] });

export const carsService: ServiceModule = {
  operations: [
    {
      method: 'POST',
      path: '/cars/rentals',
      service: 'cars',
      operation: 'car_rental',
      input: rentalInput,
      compensable: true,
      async perform(_tx, input: z.output<typeof rentalInput>) {
        const rentalId = newId('CR');
        const days = Math.max(1, daysBetween(input.pickUp, input.dropOff));
        const car = stablePick(`${input.city.toLowerCase()}:car`, CARS);
        const dailyCents = stableInt(`${car}:daily`, 25, 90) * 100;
        return {
          status: 201,
          body: { rentalId, car, ...input, days, totalCents: days * dailyCents, currency: 'EUR', status: 'confirmed' },
          effect: { resourceId: rentalId, request: input },
        };
      },
      async undo() {
        return { status: 'cancelled' };
      },
    },
  ],
};
