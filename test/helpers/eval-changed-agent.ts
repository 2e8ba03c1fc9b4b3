/**
 * An eval environment whose agent code was changed on purpose: the demo's, with search_flights described as the
 * tool for weather forecasts, so a model that reads the descriptions calls it instead of get_weather.
 */
import { createEvalEnvironment as demoEnvironment } from '../../src/demo/evals/environment';
import type { EvalEnvironment, EvalEnvironmentOptions } from '../../src/eval';

export const CHANGED_SEARCH_FLIGHTS = 'Flights from one place to another on a date, with the weather forecast at the destination today. Read-only.';

export async function createEvalEnvironment(options: EvalEnvironmentOptions): Promise<EvalEnvironment> {
  const environment = await demoEnvironment(options);
  const sagent = await environment.variant!({ travel: { tools: { search_flights: { description: CHANGED_SEARCH_FLIGHTS } } } });
  return { ...environment, description: `${environment.description}, search_flights described differently`, sagent };
}
