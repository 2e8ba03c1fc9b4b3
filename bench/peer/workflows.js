/**
 * The peer's agent, written the way @temporalio/ai-sdk's sample writes one: AI SDK `generateText` with
 * `temporalProvider` (every model call is the plugin's `invokeModel` activity), tools whose `execute` is an
 * activity, and `stopWhen` to bound the loop. Its tools are the benchmark workloads' two reads.
 * Workflow code: only the AI SDK, zod and the Temporal workflow API.
 */
const { generateText, stepCountIs, tool } = require('ai');
const { temporalProvider } = require('@temporalio/ai-sdk/workflow');
const { proxyActivities } = require('@temporalio/workflow');
const { z } = require('zod');

const { getWeather, searchFlights } = proxyActivities({ startToCloseTimeout: '1 minute' });

/** The model id sagent and the baselines ask for; the scripted model server answers any. */
const MODEL = 'claude-sonnet-4-6';

const SYSTEM = 'You are a travel agent. Use the tools to look things up; answer with what they return. ' + 'Both tools are read-only.';

const tools = {
  get_weather: tool({
    description: 'Current weather in a city: condition, temperature in °C and humidity. Read-only.',
    inputSchema: z.object({ city: z.string().trim().min(1).max(100).describe('City name in English, e.g. "Lisbon"') }),
    // Only the tool's input crosses into the activity, as in the SDK's own tests (not AI SDK's call options).
    execute: async (input) => getWeather(input),
  }),
  search_flights: tool({
    description:
      'Flights from one place to another on a date. Each flight has a flightId (e.g. "TP-1234"), the airline, ' +
      'departure time, duration, priceCents (in cents) with its currency, and seats left. Read-only.',
    inputSchema: z.object({
      from: z.string().trim().min(1).max(100).describe('Departure city or IATA airport code, e.g. "Lisbon" or "LIS"'),
      to: z.string().trim().min(1).max(100).describe('Arrival city or IATA airport code, e.g. "Paris" or "CDG"'),
      date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .describe('Departure date, as YYYY-MM-DD (e.g. 2025-07-14)'),
    }),
    execute: async (input) => searchFlights(input),
  }),
};

/**
 * @param {{ task: string, maxTurns: number }} input  the task, and the model calls allowed at most
 * @returns {Promise<{ steps: number, text: string }>}  tool steps taken and the final answer
 */
async function peerAgent(input) {
  const result = await generateText({
    model: temporalProvider.languageModel(MODEL),
    system: SYSTEM,
    prompt: input.task,
    tools,
    maxOutputTokens: 4096,
    stopWhen: stepCountIs(input.maxTurns),
  });
  return { steps: result.steps.filter((step) => step.toolCalls.length > 0).length, text: result.text };
}

module.exports = { peerAgent };
