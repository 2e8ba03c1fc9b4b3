/**
 * The demo services over real HTTP on a real database (PGlite; also PostgreSQL when DATABASE_URL is set):
 * Stripe-style idempotency, the effects ledger, undo, and the faults the saga tests rely on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { type RunningServices, type ServicesOptions, startServices } from '../../src/demo/services/server';
import { ledgerOf } from '../helpers/services';

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

// Opening an in-memory PGlite runs initdb (a few seconds); do not depend on the config's timeout.
jest.setTimeout(60_000);

const flight = (passenger = 'Ana Silva') => ({ flightId: 'TP-1234', passenger });
const DECLINED_CARD = '4000000000000002';

const backends: [string, ServicesOptions][] = [
  ['pglite', { dataDir: 'memory://' }],
  ...(process.env.DATABASE_URL ? [['postgres', { databaseUrl: process.env.DATABASE_URL }] as [string, ServicesOptions]] : []),
];

describe.each(backends)('services on %s', (_backend, options) => {
  let services: RunningServices;
  let prefix: string;

  beforeAll(async () => {
    services = await startServices({ ...options, port: 0 });
  });
  afterAll(() => services?.close());
  beforeEach(() => {
    prefix = `t-${randomUUID()}`;
  });
  afterEach(() => request('DELETE', '/_faults'));

  async function request(method: string, path: string, body?: unknown, key?: string): Promise<Reply> {
    const response = await fetch(services.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json(), headers: response.headers };
  }
  const post = (path: string, body: unknown, key: string) => request('POST', path, body, key);
  const undo = (target: string, key = `${target}:undo:${randomUUID()}`) => post('/effects/undo', { key: target }, key);
  const fault = (rule: Record<string, unknown>) => request('POST', '/_faults', { keyPrefix: prefix, ...rule });
  const ledger = (p = prefix) => ledgerOf(services.url, p);

  describe('idempotency', () => {
    it('replays the stored response for the same key and request, and keeps one effect', async () => {
      const key = `${prefix}-1`;
      const first = await post('/flights/bookings', flight(), key);
      // Same request, keys in another order: the canonical body is the same.
      const second = await post('/flights/bookings', { passenger: 'Ana Silva', flightId: 'TP-1234' }, key);

      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ flightId: 'TP-1234', passenger: 'Ana Silva', status: 'confirmed' });
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body).toEqual(first.body);
      const { effects } = await ledger();
      expect(effects).toHaveLength(1);
      expect(effects[0]).toMatchObject({ key, resourceId: first.body.bookingId, state: 'active' });
    });

    it('refuses the same key with a different request (422) and stores nothing new', async () => {
      const key = `${prefix}-1`;
      await post('/flights/bookings', flight(), key);
      const reused = await post('/flights/bookings', flight('Ben Okafor'), key);
      const otherPath = await post('/hotels/bookings', { city: 'Lisbon', checkIn: '2025-07-01', checkOut: '2025-07-03', guest: 'Ana' }, key);

      expect(reused.status).toBe(422);
      expect(reused.body.error.code).toBe('idempotency_key_reuse');
      expect(otherPath.status).toBe(422);
      expect((await ledger()).effects).toHaveLength(1);
    });

    it('refuses a POST without an Idempotency-Key, saying what is missing', async () => {
      const before = (await ledger('')).effects.length;
      const reply = await request('POST', '/flights/bookings', flight());
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('idempotency_key_missing');
      expect(reply.body.error.message).toMatch(/Idempotency-Key/);
      expect((await ledger('')).effects.length).toBe(before);
    });

    it('gives exactly one of two concurrent requests with one key a 409, and makes one effect', async () => {
      const key = `${prefix}-1`;
      await fault({ path: '/flights/bookings', mode: 'delay', delayMs: 1500, times: 1 });
      const replies = await Promise.all([post('/flights/bookings', flight(), key), post('/flights/bookings', flight(), key)]);

      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      const conflict = replies.find((r) => r.status === 409)!;
      expect(conflict.body.error.code).toBe('idempotency_key_in_use');
      expect(conflict.headers.get('retry-after')).toBe('1');
      // The 409 was not stored: a retry now gets the first request's response.
      const retry = await post('/flights/bookings', flight(), key);
      expect(retry.status).toBe(201);
      expect(retry.body.bookingId).toBe(replies.find((r) => r.status === 201)!.body.bookingId);
      expect((await ledger()).effects).toHaveLength(1);
    });

    it('stores a declined card: the retry is declined again and no effect exists', async () => {
      const key = `${prefix}-charge`;
      const charge = { amountCents: 41250, currency: 'EUR', card: DECLINED_CARD, description: 'Lisbon trip' };
      const first = await post('/payments/charges', charge, key);
      const second = await post('/payments/charges', charge, key);

      expect(first.status).toBe(402);
      expect(first.body.error).toMatchObject({ type: 'card_error', code: 'card_declined' });
      expect(second.status).toBe(402);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body).toEqual(first.body);
      expect((await ledger()).effects).toHaveLength(0);
    });

    it('does not store a refusal of invalid parameters, so the key can carry the corrected request', async () => {
      const key = `${prefix}-hotel`;
      const invalid = await post('/hotels/bookings', { city: 'Lisbon', checkIn: '2025-07-03', checkOut: '2025-07-01', guest: 'Ana' }, key);
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toMatchObject({ code: 'parameter_invalid', param: 'checkOut' });

      const valid = await post('/hotels/bookings', { city: 'Lisbon', checkIn: '2025-07-01', checkOut: '2025-07-03', guest: 'Ana' }, key);
      expect(valid.status).toBe(201);
      expect(valid.body).toMatchObject({ nights: 2, status: 'confirmed' });
    });
  });

  describe('undo', () => {
    it('answers not_needed when the key made no effect, and voids the key', async () => {
      const key = `${prefix}-never-ran`;
      const reply = await undo(key);
      expect(reply.status).toBe(200);
      expect(reply.body.result).toBe('not_needed');

      // A forward request still on its way cannot land after its undo.
      const late = await post('/flights/bookings', flight(), key);
      expect(late.status).toBe(410);
      expect(late.body.error.code).toBe('idempotency_key_voided');
      expect((await ledger()).effects).toHaveLength(0);
    });

    it('compensates once, then answers not_needed', async () => {
      const key = `${prefix}-1`;
      const booking = await post('/cars/rentals', { city: 'Lisbon', pickUp: '2025-07-01', dropOff: '2025-07-04', driver: 'Ana' }, key);
      expect(booking.status).toBe(201);

      const first = await undo(key, `${prefix}-undo-a`);
      const second = await undo(key, `${prefix}-undo-b`);
      const replayed = await undo(key, `${prefix}-undo-a`);

      expect(first.body).toMatchObject({ result: 'compensated', resourceId: booking.body.rentalId });
      expect(second.body.result).toBe('not_needed');
      expect(replayed.body.result).toBe('compensated');
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      const { effects, undos } = await ledger();
      expect(effects).toEqual([expect.objectContaining({ key, state: 'undone' })]);
      expect(undos.map((u) => [u.key, u.result])).toEqual([
        [`${prefix}-undo-a`, 'compensated'],
        [`${prefix}-undo-b`, 'not_needed'],
      ]);
    });

    it('refuses to undo an email (409 not_compensable) and leaves it in place', async () => {
      const key = `${prefix}-email`;
      await post('/emails', { to: 'ana@example.com', subject: 'Your trip', body: 'Booked.' }, key);
      const reply = await undo(key);
      expect(reply.status).toBe(409);
      expect(reply.body.error.type).toBe('not_compensable');
      expect((await ledger()).effects).toEqual([expect.objectContaining({ key, state: 'active' })]);
    });

    it('asks to retry an undo while the forward request still runs, then undoes it', async () => {
      const key = `${prefix}-1`;
      await fault({ path: '/hotels/bookings', mode: 'delay', delayMs: 1500, times: 1 });
      const forward = post('/hotels/bookings', { city: 'Porto', checkIn: '2025-07-01', checkOut: '2025-07-02', guest: 'Ana' }, key);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const early = await undo(key, `${prefix}-undo`);
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('effect_in_flight');

      expect((await forward).status).toBe(201);
      const later = await undo(key, `${prefix}-undo`);
      expect(later.body.result).toBe('compensated');
      expect((await ledger()).effects).toEqual([expect.objectContaining({ key, state: 'undone' })]);
    });

    it('keeps failing an undo under an undo fault until the fault is cleared', async () => {
      const key = `${prefix}-1`;
      await post('/flights/bookings', flight(), key);
      await fault({ path: '/effects/undo', mode: 'error5xx' });
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await undo(key, `${prefix}-undo`)).status).toBe(503);
      }
      expect((await ledger()).effects[0].state).toBe('active');

      await request('DELETE', '/_faults');
      expect((await undo(key, `${prefix}-undo`)).body.result).toBe('compensated');
    });
  });

  describe('faults', () => {
    it('commitThenDrop: the caller loses the response, the effect is there, and a retry gets it', async () => {
      const key = `${prefix}-1`;
      await fault({ path: '/flights/bookings', mode: 'commitThenDrop', times: 1 });
      await expect(post('/flights/bookings', flight(), key)).rejects.toThrow();

      const { effects } = await ledger();
      expect(effects).toHaveLength(1);
      const retry = await post('/flights/bookings', flight(), key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.bookingId).toBe(effects[0].resourceId);
      expect((await ledger()).effects).toHaveLength(1);
    });

    it('error5xx fails `times` requests without storing them, then lets the key through', async () => {
      const key = `${prefix}-1`;
      await fault({ path: '/flights/bookings', mode: 'error5xx', times: 2 });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) statuses.push((await post('/flights/bookings', flight(), key)).status);

      expect(statuses).toEqual([503, 503, 201]);
      expect((await ledger()).effects).toHaveLength(1);
    });

    it('error5xxRate fails about the given share of requests', async () => {
      await fault({ path: '/flights/bookings', mode: 'error5xxRate', rate: 1, times: 1 });
      expect((await post('/flights/bookings', flight(), `${prefix}-1`)).status).toBe(503);
      expect((await post('/flights/bookings', flight(), `${prefix}-2`)).status).toBe(201);
    });

    it('refuses a malformed fault rule', async () => {
      const reply = await request('POST', '/_faults', { mode: 'explode' });
      expect(reply.status).toBe(400);
      expect(reply.body.error.param).toBe('mode');
    });
  });

  describe('reads', () => {
    it('answers the same weather and flights for the same question', async () => {
      const weather = await request('GET', '/weather?city=Lisbon');
      expect(weather.status).toBe(200);
      expect(weather.body).toEqual((await request('GET', '/weather?city=Lisbon')).body);

      const flights = await request('GET', '/flights?from=LIS&to=CDG&date=2025-07-01');
      expect(flights.status).toBe(200);
      expect(flights.body.flights.length).toBeGreaterThanOrEqual(3);
      for (const f of flights.body.flights) {
        expect(f.flightId).toMatch(/^[A-Z0-9]{2}-\d{3,4}$/);
        expect(f.priceCents).toBeGreaterThan(0);
      }
      expect(flights.body).toEqual((await request('GET', '/flights?from=LIS&to=CDG&date=2025-07-01')).body);
    });

    it('refuses a search without a date', async () => {
      const reply = await request('GET', '/flights?from=LIS&to=CDG');
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'parameter_missing', param: 'date' });
    });
  });

  describe('support desk', () => {
    it('refunds, reverses the refund on undo, and closes a ticket as opened by mistake', async () => {
      const refund = await post('/refunds', { orderId: 'ORD-1002', amountCents: 1450, reason: 'mug arrived broken' }, `${prefix}-refund`);
      const ticket = await post('/tickets', { orderId: 'ORD-1002', subject: 'Replace mug', body: 'Send a new mug.' }, `${prefix}-ticket`);
      expect(refund.status).toBe(201);
      expect(ticket.status).toBe(201);

      expect((await undo(`${prefix}-refund`)).body).toMatchObject({ result: 'compensated', status: 'reversed' });
      expect((await undo(`${prefix}-ticket`)).body).toMatchObject({ result: 'compensated', status: 'closed', closeReason: 'opened_by_mistake' });
      const order = (await request('GET', '/orders/ORD-1002')).body;
      expect(order.refunds).toContainEqual(expect.objectContaining({ refundId: refund.body.refundId, status: 'reversed' }));
      expect(order.tickets).toContainEqual(expect.objectContaining({ ticketId: ticket.body.ticketId, status: 'closed' }));
    });

    it('refuses a refund over the order total and an unknown order', async () => {
      const tooMuch = await post('/refunds', { orderId: 'ORD-1001', amountCents: 1_000_000, reason: 'x' }, `${prefix}-1`);
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body.error.code).toBe('refund_exceeds_remaining');
      const unknown = await request('GET', '/orders/ORD-9999');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('order_not_found');
      expect((await ledger()).effects).toHaveLength(0);
    });
  });
});

describe('services lifecycle', () => {
  it('keeps effects and stored responses across a restart on the same data directory', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sagent-services-')), 'db');
    const key = `restart-${randomUUID()}`;
    try {
      const first = await startServices({ port: 0, dataDir });
      const booked = await fetch(`${first.url}/flights/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify(flight()),
      }).then((r) => r.json() as Promise<any>);
      await first.close();

      const second = await startServices({ port: 0, dataDir });
      try {
        const replay = await fetch(`${second.url}/flights/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
          body: JSON.stringify(flight()),
        });
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
        expect(await replay.json()).toEqual(booked);
        const { effects } = await ledgerOf(second.url, key);
        expect(effects).toEqual([expect.objectContaining({ key, resourceId: booked.bookingId, state: 'active' })]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  });

  it('fails fast on a port in use, with the system error code, before opening a database', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as AddressInfo;
    try {
      await expect(startServices({ port, dataDir: 'memory://' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
