/**
 * The demo agent: plans and books a trip. Sandbox-safe (zod and the tool framework only); the tools'
 * implementations live in `./tools.ts` on the worker.
 */
import { z } from 'zod';
import { defineAgent, defineTool } from '../../../workflow';

const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
    .describe(`${what}, as YYYY-MM-DD (e.g. 2025-07-14)`);

const personName = (what: string) => z.string().trim().min(1).max(200).describe(what);
const city = z.string().trim().min(1).max(100).describe('City name in English, e.g. "Lisbon"');

export const getWeather = defineTool({
  name: 'get_weather',
  description: 'Current weather in a city: condition, temperature in °C and humidity. Read-only.',
  input: z.object({ city }),
  risk: 'read',
  // One breaker for the weather service, shared by every run on a worker; a probe after 5 s once it opened.
  breaker: { service: 'weather', halfOpenAfterMs: 5000 },
});

export const searchFlights = defineTool({
  name: 'search_flights',
  description:
    'Flights from one place to another on a date. Each flight has a flightId (e.g. "TP-1234") to pass to ' +
    'book_flight, the airline, departure time, duration, priceCents (in cents) with its currency, and seats left. Read-only.',
  input: z.object({
    from: z.string().trim().min(1).max(100).describe('Departure city or IATA airport code, e.g. "Lisbon" or "LIS"'),
    to: z.string().trim().min(1).max(100).describe('Arrival city or IATA airport code, e.g. "Paris" or "CDG"'),
    date: date('Departure date'),
  }),
  risk: 'read',
});

export const bookFlight = defineTool({
  name: 'book_flight',
  description:
    'Books a seat on one flight for one passenger. Returns a bookingId and the price. Undone automatically ' + '(cancel_flight) if the trip is abandoned.',
  input: z.object({
    flightId: z
      .string()
      .regex(/^[A-Z0-9]{2}-\d{3,4}$/, 'a flight id such as TP-1234')
      .describe('The flightId of a flight returned by search_flights, e.g. "TP-1234"'),
    passenger: personName('Full name of the passenger, as on their passport'),
  }),
  risk: 'reversible',
  compensation: 'cancel_flight',
});

export const bookHotel = defineTool({
  name: 'book_hotel',
  description:
    'Books a hotel room in a city from checkIn to checkOut (checkOut after checkIn, at most 30 nights). Returns ' +
    'a bookingId, the hotel and the total price. Undone automatically (cancel_hotel) if the trip is abandoned.',
  input: z.object({
    city,
    checkIn: date('Arrival date'),
    checkOut: date('Departure date, after checkIn'),
    guest: personName('Full name of the guest the room is booked for'),
  }),
  risk: 'reversible',
  compensation: 'cancel_hotel',
});

export const rentCar = defineTool({
  name: 'rent_car',
  description:
    'Rents a car in a city from pickUp to dropOff. Returns a rentalId, the car and the total price. Undone ' +
    'automatically (cancel_car) if the trip is abandoned.',
  input: z.object({
    city,
    pickUp: date('Pick-up date'),
    dropOff: date('Drop-off date, on or after pickUp'),
    driver: personName('Full name of the driver, as on their licence'),
  }),
  risk: 'reversible',
  compensation: 'cancel_car',
  // The rental desk's records say whether a rental landed, so a lost response is looked up rather than resent.
  reconcile: 'check',
});

export const chargeCard = defineTool({
  name: 'charge_card',
  description:
    "Charges the traveller's card once for the whole trip. Needs a human approval first, so the call waits for " +
    'it. Returns a chargeId. A declined card is final for that card: do not retry it. Refunded automatically ' +
    '(refund_charge) if the trip is abandoned.',
  input: z.object({
    amountCents: z.number().int().positive().describe('Amount to charge in the smallest unit of the currency (cents): 41250 for 412.50'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'a three-letter ISO 4217 code in capitals')
      .describe('ISO 4217 currency code in capitals, e.g. "EUR"; use the currency the bookings were priced in'),
    card: z
      .string()
      .regex(/^[0-9 ]{12,23}$/, 'a card number: 12 to 19 digits, spaces allowed')
      .describe('The card number the user gave, digits only or grouped with spaces'),
    description: z.string().trim().min(1).max(500).describe('What the charge is for, as it appears on the statement, e.g. "Lisbon trip, 3-6 July"'),
  }),
  risk: 'privileged',
  compensation: 'refund_charge',
  critical: true,
  secret: ['card'],
});

export const sendEmail = defineTool({
  name: 'send_email',
  description:
    'Sends an email. It cannot be unsent, so it needs a human approval first and the call waits for it. Send the ' +
    'confirmation once, after everything is booked and paid.',
  input: z.object({
    to: z.email().describe('Recipient email address'),
    subject: z.string().trim().min(1).max(200).describe('Subject line'),
    body: z.string().min(1).max(20_000).describe('Plain-text body'),
  }),
  risk: 'irreversible',
  secret: ['to'],
});

const SYSTEM_PROMPT = `You are a travel agent. You plan and book trips for the user with the tools you have.

How to work:
1. Read the request for the travellers, cities, dates, budget and card. Dates are YYYY-MM-DD.
2. Check the weather at the destination and search flights before booking anything. Pick the flight the user asked for; otherwise the cheapest one that fits the dates.
3. Book in this order: flight, then hotel, then a car if the user wants one.
4. Then charge the card once, for the sum of the prices the booking tools returned, in their currency.
5. Then send one confirmation email listing every booking id, the dates and the amount charged.
Never charge before the bookings it pays for exist. Never send the confirmation before the charge succeeded.

When a tool fails you get an error result with a code, a message and sometimes a hint. A rejected call fails the same way again if repeated unchanged: fix the arguments or choose another option. Temporary failures are retried for you.
charge_card and send_email wait for a human approval; the result arrives once someone decides. If the approver rejects a call, do not repeat it unchanged.
You cannot cancel anything yourself. If the trip cannot be completed (for example the card is declined and the user gave no other card), call abort with the reason: every booking and charge made so far is undone automatically.

Finish with a short summary for the user: what was booked (with ids), what was charged and what was emailed.`;

export const travelAgent = defineAgent({
  name: 'travel',
  description: 'Plans and books trips: flights, hotels, cars, payment and a confirmation email.',
  system: SYSTEM_PROMPT,
  tools: [getWeather, searchFlights, bookFlight, bookHotel, rentCar, chargeCard, sendEmail],
});

const PAYMENTS_PROMPT = `You take payments for trips booked by another agent, and confirm them to the traveller.

1. Read the task for the amount in cents, the currency, the card, what the charge is for and the traveller's email.
2. Charge the card once, for exactly that amount. It waits for a human approval. A declined card is final: do not retry it; call abort with the reason, so nothing you did remains.
3. Then send one confirmation email with the booking ids, the dates and the amount charged. It also waits for an approval.

Finish with one short line: the chargeId and that the confirmation was sent.`;

/** The payments sub-agent: charges the card and sends the confirmation, for an agent that delegates to it. */
export const paymentsAgent = defineAgent({
  name: 'payments',
  description: 'Charges a card once for a booked trip and emails the confirmation.',
  system: PAYMENTS_PROMPT,
  tools: [chargeCard, sendEmail],
});

const TRIP_PROMPT = `You are a travel agent. You plan and book trips for the user, and hand payment to the payments agent.

How to work:
1. Read the request for the travellers, cities, dates, card and email. Dates are YYYY-MM-DD.
2. Check the weather at the destination and search flights before booking anything. Pick the flight the user asked for; otherwise the cheapest one that fits the dates.
3. Book in this order: flight, then hotel, then a car if the user wants one.
4. Then call delegate_payments once, with a complete task: the total of the prices the booking tools returned (in cents, in their currency), the card, what the charge is for, the traveller's email, and every booking id and date for the confirmation.
Never delegate the payment before the bookings it pays for exist.

When a tool fails you get an error result with a code, a message and sometimes a hint: fix the arguments or choose another option.
You cannot cancel anything yourself. If the trip cannot be completed, call abort with the reason: every booking, charge and email made so far, by you or by the payments agent, is undone automatically where it can be.

Finish with a short summary for the user: what was booked (with ids) and what the payments agent reported.`;

/** The demo's supervisor: books the travel itself and delegates the payment and the confirmation to `payments`. */
export const tripAgent = defineAgent({
  name: 'trip',
  description: 'Plans and books trips (flights, hotels, cars) and delegates payment and the confirmation to the payments agent.',
  system: TRIP_PROMPT,
  tools: [getWeather, searchFlights, bookFlight, bookHotel, rentCar],
  delegates: [
    {
      agent: 'payments',
      description: 'Hands the payment and the confirmation email to the payments agent, which charges the card once and emails the traveller.',
      // Without payment there is no trip: a payment that fails ends this saga too, and every booking is undone.
      critical: true,
    },
  ],
});
