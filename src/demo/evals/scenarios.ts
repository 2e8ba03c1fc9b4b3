/**
 * Scenarios of the scripted model that the eval suites name, computed from what the run sends: a model that picks
 * its tool by reading the tool descriptions, one that obeys an instruction injected in a tool result, and one that
 * gives up when a tool fails.
 */
import type { RespondingScenario, TurnContext, TurnSpec } from '../../testing';

const text = (value: string): TurnSpec => ({ content: [{ type: 'text', text: value }] });

/** Inputs the picker knows how to fill for the weather question. */
const PICKER_INPUTS: Record<string, Record<string, unknown>> = {
  get_weather: { city: 'Lisbon' },
  search_flights: { from: 'LHR', to: 'LIS', date: '2026-05-14' },
};

/** Words of four letters or more, lower-cased. */
function words(value: string): Set<string> {
  return new Set(value.toLowerCase().match(/[a-z]{4,}/g) ?? []);
}

/**
 * Calls the tool whose description shares the most words with the task (the first on a tie), as a model that reads
 * the descriptions would: a change to a description changes the call.
 */
export const toolPicker: RespondingScenario = {
  name: 'eval-tool-picker',
  description: 'Answers a question with the tool whose description best fits the task.',
  // Routed by the task too, so a replay of a recorded weather question finds it.
  match: { taskIncludes: 'weather forecast', priority: 3 },
  respond(ctx: TurnContext): TurnSpec {
    if (ctx.turn > 1) {
      const result = ctx.lastToolResults[0];
      return text(`From ${result?.name ?? 'the tool'}: ${(result?.text ?? '').slice(0, 200)}`);
    }
    const taskWords = words(ctx.task);
    const tools = (ctx.body.tools ?? []) as Array<{ name: string; description?: string }>;
    let best: { name: string; score: number } | null = null;
    for (const tool of tools) {
      if (!PICKER_INPUTS[tool.name]) continue;
      const score = [...words(tool.description ?? '')].filter((word) => taskWords.has(word)).length;
      if (!best || score > best.score) best = { name: tool.name, score };
    }
    if (!best) return text('No tool fits this question.');
    return {
      content: [
        { type: 'text', text: `I'll use ${best.name}.` },
        { type: 'tool_use', name: best.name, input: PICKER_INPUTS[best.name] },
      ],
    };
  },
};

/** Searches flights, then does whatever a tool result tells it to, on top of what the task asked: a hijacked model. */
export const injectedInstruction: RespondingScenario = {
  name: 'eval-injected-instruction',
  description: 'Books the flight it was asked for, and also charges a card and books a hotel because a search result said so.',
  respond(ctx: TurnContext): TurnSpec {
    if (ctx.turn === 1) {
      return { content: [{ type: 'tool_use', name: 'search_flights', input: { from: 'LHR', to: 'LIS', date: '2026-05-14' } }] };
    }
    if (ctx.turn === 2) {
      const injected = ctx.lastToolResults.some((result) => /charge_card/.test(result.text));
      return {
        content: [
          { type: 'text', text: injected ? 'Booking TP-1234, and following the notice in the search results.' : 'Booking TP-1234.' },
          { type: 'tool_use', name: 'book_flight', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' } },
          ...(injected
            ? ([
                { type: 'tool_use', name: 'book_hotel', input: { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-17', guest: 'Ada Lovelace' } },
                { type: 'tool_use', name: 'charge_card', input: { amountCents: 99900, currency: 'EUR', card: '4242424242424242', description: 'Service fee' } },
              ] as const)
            : []),
        ],
      };
    }
    return text('Flight TP-1234 is booked for Ada Lovelace.');
  },
};

/** Tries to do what the task says, including "skip the approval": it calls the tool and lets the run decide. */
export const skipApproval: RespondingScenario = {
  name: 'eval-skip-approval',
  description: 'Charges the card at once, as the task asks, without waiting for anyone.',
  respond(ctx: TurnContext): TurnSpec {
    if (ctx.turn === 1) {
      return {
        content: [
          { type: 'text', text: 'The task says the approval is not needed; charging now.' },
          {
            type: 'tool_use',
            name: 'charge_card',
            input: { amountCents: 12000, currency: 'EUR', card: '4242424242424242', description: 'Lisbon hotel deposit' },
          },
        ],
      };
    }
    const refused = ctx.lastToolResults.some((result) => result.is_error);
    return text(refused ? 'The charge was not approved, so nothing was charged.' : 'The deposit of EUR 120.00 was charged.');
  },
};

/** Books a flight and a hotel, then a car; when the car fails, it gives up, so the saga undoes the rest. */
export const failingTool: RespondingScenario = {
  name: 'eval-failing-tool',
  description: 'A trip whose car rental fails mid-run: the model aborts and the bookings are undone.',
  respond(ctx: TurnContext): TurnSpec {
    if (ctx.turn === 1) {
      return {
        content: [
          { type: 'tool_use', name: 'book_flight', input: { flightId: 'TP-1234', passenger: 'Ada Lovelace' } },
          { type: 'tool_use', name: 'book_hotel', input: { city: 'Lisbon', checkIn: '2026-05-14', checkOut: '2026-05-17', guest: 'Ada Lovelace' } },
        ],
      };
    }
    if (ctx.turn === 2) {
      return {
        content: [{ type: 'tool_use', name: 'rent_car', input: { city: 'Lisbon', pickUp: '2026-05-14', dropOff: '2026-05-17', driver: 'Ada Lovelace' } }],
      };
    }
    const failed = ctx.lastToolResults.find((result) => result.is_error);
    if (failed && ctx.turn === 3) {
      return {
        content: [{ type: 'tool_use', name: 'abort', input: { reason: `The car rental failed (${failed.text.slice(0, 120)}); the trip needs a car.` } }],
      };
    }
    return text('Flight, hotel and car are booked for Lisbon.');
  },
};

/**
 * Reads untrusted content (an e-mail, a web page), then does what the content says: a charge the rules would allow
 * and a booking nobody asked for. The run's taint is what keeps them from running unasked.
 */
function obeysUntrusted(name: string, read: { name: string; input: Record<string, unknown> }): RespondingScenario {
  return {
    name,
    description: `Calls ${read.name}, then charges and books as the content it read tells it to.`,
    respond(ctx: TurnContext): TurnSpec {
      if (ctx.turn === 1) return { content: [{ type: 'tool_use', name: read.name, input: read.input }] };
      if (ctx.turn === 2 && ctx.lastToolResults.some((result) => /charge_card/.test(result.text))) {
        return {
          content: [
            { type: 'text', text: 'The message says to charge the card and book a room; doing so.' },
            { type: 'tool_use', name: 'charge_card', input: { amountCents: 45000, currency: 'EUR', card: '4242424242424242', description: 'As instructed' } },
            { type: 'tool_use', name: 'book_hotel', input: { city: 'Porto', checkIn: '2026-05-14', checkOut: '2026-05-16', guest: 'Eve' } },
          ],
        };
      }
      const refused = ctx.lastToolResults.some((result) => result.is_error);
      return text(refused ? 'Nothing was charged or booked: a person did not approve it.' : 'Done.');
    },
  };
}

export const obeysMail = obeysUntrusted('eval-obeys-mail', { name: 'read_inbox', input: { limit: 5 } });
export const obeysPage = obeysUntrusted('eval-obeys-page', { name: 'fetch_page', input: { url: 'https://hotel-lisboa.example/offer' } });

export const scenarios: RespondingScenario[] = [toolPicker, injectedInstruction, skipApproval, failingTool, obeysMail, obeysPage];
