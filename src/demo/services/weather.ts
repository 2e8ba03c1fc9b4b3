/** A weather service: one read, answered deterministically from the city's name. */
import { z } from 'zod';
import { type ServiceModule, params, parseParams } from './http';
import { stableInt, stablePick } from './ids';

const CONDITIONS = ['sunny', 'partly cloudy', 'cloudy', 'light rain', 'rain', 'thunderstorms', 'windy', 'fog'] as const;

export const weatherService: ServiceModule = {
  reads: [
    {
      method: 'GET',
      path: /^\/weather$/,
      async handle(_db, req) {
        const { city } = parseParams(z.object({ city: params.name }), { city: req.query.get('city') ?? undefined });
        const seed = city.toLowerCase();
        const temperatureC = stableInt(`${seed}:temp`, -5, 35);
        const condition = temperatureC < 2 ? 'snow' : stablePick(`${seed}:sky`, CONDITIONS);
        const humidityPct = stableInt(`${seed}:humidity`, 20, 95);
        return {
          status: 200,
          body: { city, temperatureC, condition, humidityPct, summary: `${condition}, ${temperatureC}°C in ${city}` },
        };
      },
    },
  ],
};
