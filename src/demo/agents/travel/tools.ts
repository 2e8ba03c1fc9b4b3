/** The travel agent's tools on the worker: real HTTP to the airline, hotel, car, payment and email services. */
import type { z } from 'zod';
import type { ToolImplementation, ToolImplementations } from '../../../index';
import { createServiceClient } from '../http';
import type { bookFlight, bookHotel, chargeCard, getWeather, rentCar, searchFlights, sendEmail } from './agent';

type InputOf<T extends { input: z.ZodType }> = z.output<T['input']>;

export interface TravelToolsOptions {
  /** Base URL of the services, e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
}

const TRAVEL_HINTS = {
  card_declined: 'The card was declined. Ask for another card if the user gave one; otherwise call abort with the reason.',
} as const;

export function createTravelTools(options: TravelToolsOptions): ToolImplementations {
  const services = createServiceClient({ servicesUrl: options.servicesUrl, hints: TRAVEL_HINTS });
  const post = (path: string) => (body: unknown, ctx: { idempotencyKey: string; signal: AbortSignal }) =>
    services.call({ method: 'POST', path, body, idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
  const undo: ToolImplementation['compensate'] = (_input, ctx) => services.undo(ctx);

  const getWeatherImpl: ToolImplementation<InputOf<typeof getWeather>> = {
    run: (input, ctx) => services.call({ method: 'GET', path: '/weather', query: { city: input.city }, signal: ctx.signal }),
  };
  const searchFlightsImpl: ToolImplementation<InputOf<typeof searchFlights>> = {
    run: (input, ctx) => services.call({ method: 'GET', path: '/flights', query: input, signal: ctx.signal }),
  };
  const bookFlightImpl: ToolImplementation<InputOf<typeof bookFlight>> = { run: post('/flights/bookings'), compensate: undo };
  const bookHotelImpl: ToolImplementation<InputOf<typeof bookHotel>> = { run: post('/hotels/bookings'), compensate: undo };
  const rentCarImpl: ToolImplementation<InputOf<typeof rentCar>> = {
    run: post('/cars/rentals'),
    compensate: undo,
    check: (_input, ctx) => services.check(ctx),
  };
  const chargeCardImpl: ToolImplementation<InputOf<typeof chargeCard>> = { run: post('/payments/charges'), compensate: undo };
  const sendEmailImpl: ToolImplementation<InputOf<typeof sendEmail>> = { run: post('/emails') };

  return {
    get_weather: getWeatherImpl,
    search_flights: searchFlightsImpl,
    book_flight: bookFlightImpl,
    book_hotel: bookHotelImpl,
    rent_car: rentCarImpl,
    charge_card: chargeCardImpl,
    send_email: sendEmailImpl,
  };
}
