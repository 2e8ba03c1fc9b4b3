/**
 * A typed agent: reads the weather and answers with a forecast object that the run validates, so callers get
 * `{ city, condition, temperatureC, advice }` rather than prose. Sandbox-safe.
 */
import { z } from 'zod';
import { defineAgent } from '../../../workflow';
import { getWeather } from '../travel/agent';

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
