/** Secrets planted in a trip, and a search for them in raw JSON that also looks inside every base64 string. */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenarios, type Scenario } from '../../src/dev/scenario';

export interface Canaries {
  card: string;
  email: string;
  marker: string;
  task: string;
  /** The happy trip's script with the canaries in the tool inputs (the marker comes back in the bookings' results). */
  scenario: Scenario;
}

export function plantCanaries(runIdPrefix: string): Canaries {
  const card = `4242 4242 ${randomInt(1000, 9999)} ${randomInt(1000, 9999)}`;
  const marker = `Canary${randomBytes(6).toString('hex')}`;
  const email = `${marker.toLowerCase()}@example.com`;
  const passenger = `Ada ${marker}`;
  const happy = fs.readFileSync(path.join(__dirname, '../../src/demo/scenarios/happy-trip.json'), 'utf8');
  const planted = happy
    .replaceAll('"Ada Lovelace"', JSON.stringify(passenger))
    .replaceAll('4242424242424242', card)
    .replaceAll('ada@example.com', email)
    .replace('"runIdPrefix": "happy-"', `"runIdPrefix": "${runIdPrefix}"`)
    .replace('"name": "happy-trip"', `"name": "${runIdPrefix}trip"`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sagent-canary-')), 'trip.json');
  fs.writeFileSync(file, planted);
  const task = `Plan my trip to Lisbon for ${passenger}; charge card ${card} and email ${email}.`;
  return { card, email, marker, task, scenario: loadScenarios(file)[0] };
}

/** How often each needle occurs in `json`, in clear or inside a base64 string (as payload data is). */
export function occurrences(json: string, needles: readonly string[]): Record<string, number> {
  const texts = [json];
  for (const match of json.matchAll(/"([A-Za-z0-9+/=_-]{8,})"/g)) texts.push(Buffer.from(match[1], 'base64').toString('utf8'));
  return Object.fromEntries(needles.map((needle) => [needle, texts.reduce((sum, text) => sum + text.split(needle).length - 1, 0)]));
}
