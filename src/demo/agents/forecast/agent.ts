/**
 * A typed agent: reads the weather and answers with a forecast object that the run validates, so callers get
 * `{ city, condition, temperatureC, advice }` rather than prose. Sandbox-safe.
 */
import { z } from 'zod';
import { defineAgent } from '../../../workflow';
import { bookHotel, getWeather } from '../travel/agent';

/** What the forecast agent returns. */
export const forecastOutput = z.object({
  city: z.string().min(1),
  condition: z.string().min(1),
  temperatureC: z.number(),
  advice: z.string().min(1).max(500),
});
export type Forecast = z.infer<typeof forecastOutput>;

export const forecastAgent = defineAgent({
  name: 'forecast',
  description: 'Reads the weather of a city and answers with a typed forecast',
  system: 'You report the weather of one city with one line of advice for a traveller. Use get_weather; never guess.',
  tools: [getWeather],
  output: forecastOutput,
  outputAttempts: 2,
});

/** A thinking agent: compares the weather of several cities, with extended thinking interleaved between its calls. */
export const scoutAgent = defineAgent({
  name: 'scout',
  description: 'Compares the weather of several cities, thinking between its calls',
  system: 'You compare the weather of the cities the traveller names, one get_weather call at a time, and recommend one.',
  tools: [getWeather],
  thinking: { budgetTokens: 2048 },
});

/** A conversation agent: answers message after message in one run; an abort undoes every booking it made. */
export const conciergeAgent = defineAgent({
  name: 'concierge',
  description: 'Books hotel rooms and answers questions, one message at a time, in one conversation',
  system: 'You are a hotel concierge in a conversation: do what each message asks, then answer briefly.',
  tools: [getWeather, bookHotel],
  conversation: { idleTimeoutMs: 10 * 60 * 1000 },
});
