/**
 * The agents' tool implementations against a live services instance (real HTTP, real PGlite): what
 * each outcome becomes (`rejected` / `transient` ToolErrors Claude or Temporal sees), compensations, and
 * the startup check that every declared tool has an implementation.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AGENTS } from '../../src/demo/agents';
import { retryAfterMs } from '../../src/demo/agents/http';
import { demoAgents } from '../../src/demo/agents/implementations';
import { assertImplementations } from '../../src/worker';
import { agentRegistry } from '../../src/workflow';
import { supportAgent } from '../../src/demo/agents/support/agent';
import { createSupportTools } from '../../src/demo/agents/support/tools';
import { travelAgent } from '../../src/demo/agents/travel/agent';
import { createTravelTools } from '../../src/demo/agents/travel/tools';
import { type RunningServices, startServices } from '../../src/demo/services/server';
import type { CompensationContext, ToolContext, ToolImplementations } from '../../src/tools/runtime';
import { ledgerOf } from '../helpers/services';

// Opening an in-memory PGlite runs initdb (a few seconds); do not depend on the config's timeout.
jest.setTimeout(60_000);

const DECLINED_CARD = '4000000000000002';

let services: RunningServices;
let travel: ToolImplementations;
let support: ToolImplementations;
let workflowId: string;

beforeAll(async () => {
  services = await startServices({ port: 0, dataDir: 'memory://' });
  travel = createTravelTools({ servicesUrl: services.url });
  support = createSupportTools({ servicesUrl: `${services.url}/` });
});
afterAll(() => services?.close());
beforeEach(() => {
  workflowId = `wf-${randomUUID()}`;
});
afterEach(() => fetch(`${services.url}/_faults`, { method: 'DELETE' }));

function toolContext(step: number, attempt = 1): ToolContext {
  const effectId = `${workflowId}/${step}`;
  return { effectId, idempotencyKey: effectId, workflowId, attempt, signal: new AbortController().signal, heartbeat: () => undefined };
}

function compensationContext(forwardStep: number): CompensationContext {
  const forwardKey = `${workflowId}/${forwardStep}`;
  const effectId = `${forwardKey}/undo`;
  return { ...toolContext(forwardStep), effectId, idempotencyKey: effectId, forwardKey };
}

const ledger = () => ledgerOf(services.url, workflowId);

async function fault(rule: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${services.url}/_faults`, { method: 'POST', body: JSON.stringify({ keyPrefix: workflowId, ...rule }) });
  expect(response.status).toBe(201);
}

const flight = { flightId: 'TP-1234', passenger: 'Ana Silva' };
const hotel = { city: 'Lisbon', checkIn: '2025-07-01', checkOut: '2025-07-04', guest: 'Ana Silva' };

describe('travel tools', () => {
  it('reads weather and flights without an idempotency key', async () => {
    const weather = (await travel.get_weather.run({ city: 'Lisbon' }, toolContext(1))) as { city: string; temperatureC: number };
    expect(weather.city).toBe('Lisbon');
    expect(typeof weather.temperatureC).toBe('number');
    const search = (await travel.search_flights.run({ from: 'LIS', to: 'CDG', date: '2025-07-01' }, toolContext(2))) as { flights: { flightId: string }[] };
    expect(search.flights.length).toBeGreaterThan(0);
    // A flight found by search can be booked.
    await expect(travel.book_flight.run({ flightId: search.flights[0].flightId, passenger: 'Ana Silva' }, toolContext(3))).resolves.toMatchObject({
      status: 'confirmed',
    });
  });

  it('books, then compensates: the effect is undone, and a second compensation finds nothing to undo', async () => {
    const booking = (await travel.book_flight.run(flight, toolContext(1))) as { bookingId: string };
    expect(booking.bookingId).toMatch(/^FB-/);

    await expect(travel.book_flight.compensate!(flight, compensationContext(1))).resolves.toBe('compensated');
    const again = { ...compensationContext(1), idempotencyKey: `${workflowId}/1/undo-again`, effectId: `${workflowId}/1/undo-again` };
    await expect(travel.book_flight.compensate!(flight, again)).resolves.toBe('not_needed');
    expect((await ledger()).effects).toEqual([expect.objectContaining({ key: `${workflowId}/1`, state: 'undone' })]);
  });

  it('compensates a step that never ran as not_needed', async () => {
    await expect(travel.rent_car.compensate!({}, compensationContext(7))).resolves.toBe('not_needed');
  });

  it('retries a step with its key after a lost response: one effect, the same result', async () => {
    await fault({ path: '/hotels/bookings', mode: 'commitThenDrop', times: 1 });
    await expect(travel.book_hotel.run(hotel, toolContext(1))).rejects.toMatchObject({ name: 'ToolError', kind: 'transient', code: 'network_error' });

    const retried = (await travel.book_hotel.run(hotel, toolContext(1, 2))) as { bookingId: string };
    const { effects } = await ledger();
    expect(effects).toHaveLength(1);
    expect(effects[0]).toMatchObject({ key: `${workflowId}/1`, operation: 'hotel_booking' });
    expect(retried.bookingId).toMatch(/^HB-/);
  });

  it('turns a declined card into a rejected ToolError with the code and a hint for Claude', async () => {
    const charge = { amountCents: 41250, currency: 'EUR', card: DECLINED_CARD, description: 'Lisbon trip' };
    const failure = travel.charge_card.run(charge, toolContext(1));
    await expect(failure).rejects.toMatchObject({ name: 'ToolError', kind: 'rejected', code: 'card_declined' });
    await expect(failure).rejects.toHaveProperty('hint', expect.stringMatching(/abort/));
    expect((await ledger()).effects).toHaveLength(0);
  });

  it('charges and refunds a good card', async () => {
    const charge = { amountCents: 41250, currency: 'EUR', card: '4242 4242 4242 4242', description: 'Lisbon trip' };
    await expect(travel.charge_card.run(charge, toolContext(1))).resolves.toMatchObject({ status: 'succeeded', cardLast4: '4242' });
    await expect(travel.charge_card.compensate!(charge, compensationContext(1))).resolves.toBe('compensated');
  });

  it('turns invalid parameters the service refuses into rejected parameter_invalid', async () => {
    await expect(travel.book_hotel.run({ ...hotel, checkOut: '2025-06-30' }, toolContext(1))).rejects.toMatchObject({
      name: 'ToolError',
      kind: 'rejected',
      code: 'parameter_invalid',
    });
  });

  it('turns a 5xx into a transient ToolError', async () => {
    await fault({ path: '/hotels/bookings', mode: 'error5xx', times: 1 });
    await expect(travel.book_hotel.run(hotel, toolContext(1))).rejects.toMatchObject({ name: 'ToolError', kind: 'transient', code: 'fault_injected' });
    expect((await ledger()).effects).toHaveLength(0);
  });

  it('turns a key held by a running request (409) into transient, with retry-after', async () => {
    await fault({ path: '/flights/bookings', mode: 'delay', delayMs: 1500, times: 1 });
    const first = travel.book_flight.run(flight, toolContext(1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(travel.book_flight.run(flight, toolContext(1, 2))).rejects.toMatchObject({
      name: 'ToolError',
      kind: 'transient',
      code: 'idempotency_key_in_use',
      retryAfterMs: 1000,
    });
    await expect(first).resolves.toMatchObject({ status: 'confirmed' });
  });

  it('keeps a compensation transient while the undo endpoint fails', async () => {
    await travel.book_flight.run(flight, toolContext(1));
    await fault({ path: '/effects/undo', mode: 'error5xx' });
    await expect(travel.book_flight.compensate!(flight, compensationContext(1))).rejects.toMatchObject({ name: 'ToolError', kind: 'transient' });
    expect((await ledger()).effects[0].state).toBe('active');
  });

  it('turns an unreachable service into transient network_error', async () => {
    const offline = createTravelTools({ servicesUrl: 'http://127.0.0.1:1' });
    await expect(offline.get_weather.run({ city: 'Lisbon' }, toolContext(1))).rejects.toMatchObject({
      name: 'ToolError',
      kind: 'transient',
      code: 'network_error',
    });
  });

  it('sends an email that cannot be undone and has no compensate', async () => {
    await expect(travel.send_email.run({ to: 'ana@example.com', subject: 'Your trip', body: 'Booked.' }, toolContext(1))).resolves.toMatchObject({
      status: 'sent',
    });
    expect(travel.send_email.compensate).toBeUndefined();
  });
});

describe('support tools', () => {
  it('looks up an order, and rejects an unknown one with a hint', async () => {
    await expect(support.lookup_order.run({ orderId: 'ORD-1001' }, toolContext(1))).resolves.toMatchObject({
      orderId: 'ORD-1001',
      customer: { email: 'ana.silva@example.com' },
    });
    const missing = support.lookup_order.run({ orderId: 'ORD-9999' }, toolContext(2));
    await expect(missing).rejects.toMatchObject({ name: 'ToolError', kind: 'rejected', code: 'order_not_found' });
    await expect(missing).rejects.toHaveProperty('hint', expect.stringMatching(/ORD-1001/));
  });

  it('refunds and opens a ticket, then undoes both', async () => {
    const refund = { orderId: 'ORD-1005', amountCents: 2000, reason: 'late delivery' };
    const ticket = { orderId: 'ORD-1005', subject: 'Check courier', body: 'Parcel arrived a week late.' };
    await expect(support.issue_refund.run(refund, toolContext(1))).resolves.toMatchObject({ status: 'succeeded' });
    await expect(support.open_ticket.run(ticket, toolContext(2))).resolves.toMatchObject({ status: 'open' });

    await expect(support.open_ticket.compensate!(ticket, compensationContext(2))).resolves.toBe('compensated');
    await expect(support.issue_refund.compensate!(refund, compensationContext(1))).resolves.toBe('compensated');
    expect((await ledger()).effects.map((e) => e.state)).toEqual(['undone', 'undone']);
  });

  it('rejects a refund over what is left on the order', async () => {
    await expect(support.issue_refund.run({ orderId: 'ORD-1003', amountCents: 999_999, reason: 'x' }, toolContext(1))).rejects.toMatchObject({
      name: 'ToolError',
      kind: 'rejected',
      code: 'refund_exceeds_remaining',
    });
  });
});

describe('agent registry', () => {
  it('has an implementation for every declared tool of every agent', () => {
    const registered = demoAgents({ servicesUrl: services.url });
    expect(registered.map((entry) => entry.agent.name).sort()).toEqual(Object.keys(AGENTS).sort());
    for (const { agent, tools } of registered) expect(() => assertImplementations(agent, tools)).not.toThrow();
  });

  it('refuses a missing implementation, naming the tool', () => {
    const { book_hotel: _missing, ...incomplete } = createTravelTools({ servicesUrl: services.url });
    expect(() => assertImplementations(travelAgent, incomplete)).toThrow(/agent "travel".*"book_hotel" has no implementation/);
  });

  it('refuses an implementation without compensate for a tool that declares a compensation', () => {
    const tools = createSupportTools({ servicesUrl: services.url });
    const broken = { ...tools, open_ticket: { run: tools.open_ticket.run } };
    expect(() => assertImplementations(supportAgent, broken)).toThrow(/"open_ticket" declares compensation "close_ticket"/);
  });

  it("refuses an implementation without check for a tool that declares reconcile: 'check'", () => {
    const tools = createTravelTools({ servicesUrl: services.url });
    const broken = { ...tools, rent_car: { run: tools.rent_car.run, compensate: tools.rent_car.compensate } };
    expect(() => assertImplementations(travelAgent, broken)).toThrow(/"rent_car" declares reconcile: 'check' but its implementation has no check\(\)/);
  });

  it('refuses an implementation of a tool the agent does not declare', () => {
    const tools = { ...createTravelTools({ servicesUrl: services.url }), book_train: { run: async () => ({}) } };
    expect(() => assertImplementations(travelAgent, tools)).toThrow(/"book_train" matches no tool/);
  });

  it('registers agents by name, without a prototype, and refuses two agents with one name', () => {
    expect(AGENTS.travel).toBe(travelAgent);
    expect(AGENTS.toString).toBeUndefined();
    expect(() => agentRegistry([travelAgent, supportAgent, travelAgent])).toThrow('two agents are named "travel"');
  });

  it('describes every tool argument in the JSON Schema Claude sees', () => {
    for (const agent of Object.values(AGENTS)) {
      // The built-in abort tool belongs to src/tools, not to an agent.
      for (const tool of agent.tools.filter((t) => !t.control)) {
        const schema = z.toJSONSchema(tool.input) as { properties: Record<string, { description?: string }> };
        for (const [name, property] of Object.entries(schema.properties)) {
          expect(`${agent.name}.${tool.name}.${name}: ${property.description ?? ''}`).toMatch(/: \S/);
        }
      }
    }
  });

  it('declares the risks the approval policy relies on', () => {
    const risks = Object.fromEntries(travelAgent.tools.map((t) => [t.name, [t.risk, t.compensation ?? null, t.critical]]));
    expect(risks).toMatchObject({
      get_weather: ['read', null, false],
      book_flight: ['reversible', 'cancel_flight', false],
      charge_card: ['privileged', 'refund_charge', true],
      send_email: ['irreversible', null, false],
    });
    expect(supportAgent.toolsByName.issue_refund).toMatchObject({ risk: 'privileged', compensation: 'reverse_refund' });
  });
});

describe('retry-after', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
