/**
 * An online shop's support desk: seeded orders to look up, refunds (undone by a reversal) and support
 * tickets (undone by closing them as opened by mistake).
 */
import { z } from 'zod';
import type { Queryable } from './db';
import { ApiError, type ServiceModule, parseParams } from './http';
import { newId } from './ids';

interface OrderRow {
  id: string;
  customer_name: string;
  customer_email: string;
  items: { sku: string; name: string; quantity: number; unitPriceCents: number }[];
  total_cents: number;
  currency: string;
  status: string;
  placed_on: string;
}

const SEED_ORDERS: OrderRow[] = [
  order('ORD-1001', 'Ana Silva', 'ana.silva@example.com', 'delivered', '2025-05-02', [['SKU-HEADPHONES', 'Noise-cancelling headphones', 1, 19900]]),
  order('ORD-1002', 'Ben Okafor', 'ben.okafor@example.com', 'delivered', '2025-05-09', [
    ['SKU-MUG', 'Ceramic mug', 2, 1450],
    ['SKU-KETTLE', 'Electric kettle', 1, 4900],
  ]),
  order('ORD-1003', 'Chloé Martin', 'chloe.martin@example.com', 'shipped', '2025-05-20', [['SKU-LAMP', 'Desk lamp', 1, 3900]]),
  order('ORD-1004', 'Dev Patel', 'dev.patel@example.com', 'processing', '2025-06-01', [['SKU-CHAIR', 'Office chair', 1, 24900]]),
  order('ORD-1005', 'Eva Novak', 'eva.novak@example.com', 'delivered', '2025-04-14', [['SKU-BOOTS', 'Hiking boots', 1, 12900]]),
  order('ORD-1006', 'Femi Adeyemi', 'femi.adeyemi@example.com', 'cancelled', '2025-06-03', [['SKU-TENT', 'Two-person tent', 1, 17900]]),
];

function order(id: string, name: string, email: string, status: string, placedOn: string, lines: [string, string, number, number][]): OrderRow {
  const items = lines.map(([sku, itemName, quantity, unitPriceCents]) => ({ sku, name: itemName, quantity, unitPriceCents }));
  const total = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
  return { id, customer_name: name, customer_email: email, items, total_cents: total, currency: 'EUR', status, placed_on: placedOn };
}

const ORDER_ID = z
  .string()
  .trim()
  .regex(/^ORD-\d{4,}$/, 'an order id such as ORD-1001');

async function findOrder(db: Queryable, orderId: string, lock = false): Promise<OrderRow> {
  const [row] = await db.query<OrderRow>(`SELECT * FROM orders WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [orderId]);
  if (!row) throw new ApiError(404, 'invalid_request_error', 'order_not_found', `no order with id ${orderId}`, { param: 'orderId' });
  return row;
}

async function orderEffects(db: Queryable, orderId: string, operation: 'refund' | 'ticket') {
  return db.query<{ resource_id: string; request: Record<string, unknown>; state: 'active' | 'undone' }>(
    `SELECT resource_id, request, state FROM effects
     WHERE service = 'support' AND operation = $2 AND request->>'orderId' = $1 ORDER BY created_at, key`,
    [orderId, operation],
  );
}

const refundInput = z.object({
  orderId: ORDER_ID,
  amountCents: z.number().int().positive(),
  reason: z.string().trim().min(1).max(500),
});

const ticketInput = z.object({
  orderId: ORDER_ID,
  subject: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(5000),
});

export const supportService: ServiceModule = {
  async seed(db) {
    for (const o of SEED_ORDERS) {
      await db.query(
        `INSERT INTO orders (id, customer_name, customer_email, items, total_cents, currency, status, placed_on)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [o.id, o.customer_name, o.customer_email, JSON.stringify(o.items), o.total_cents, o.currency, o.status, o.placed_on],
      );
    }
  },
  reads: [
    {
      method: 'GET',
      path: /^\/orders\/(?<orderId>[^/]+)$/,
      async handle(db, req) {
        const orderId = parseParams(ORDER_ID, decodeURIComponent(req.params.orderId));
        const row = await findOrder(db, orderId);
        const refunds = await orderEffects(db, orderId, 'refund');
        const tickets = await orderEffects(db, orderId, 'ticket');
        return {
          status: 200,
          body: {
            orderId: row.id,
            customer: { name: row.customer_name, email: row.customer_email },
            items: row.items,
            totalCents: row.total_cents,
            currency: row.currency,
            status: row.status,
            placedOn: row.placed_on,
            refundedCents: refunds.filter((r) => r.state === 'active').reduce((sum, r) => sum + Number(r.request.amountCents), 0),
            refunds: refunds.map((r) => ({
              refundId: r.resource_id,
              amountCents: r.request.amountCents,
              reason: r.request.reason,
              status: r.state === 'active' ? 'succeeded' : 'reversed',
            })),
            tickets: tickets.map((t) => ({ ticketId: t.resource_id, subject: t.request.subject, status: t.state === 'active' ? 'open' : 'closed' })),
          },
        };
      },
    },
  ],
  operations: [
    {
      method: 'POST',
      path: '/refunds',
      service: 'support',
      operation: 'refund',
      input: refundInput,
      compensable: true,
      async perform(tx, input: z.output<typeof refundInput>) {
        // The row lock serialises refunds of one order, so two of them cannot both pass the check.
        const row = await findOrder(tx, input.orderId, true);
        const refunded = (await orderEffects(tx, input.orderId, 'refund'))
          .filter((r) => r.state === 'active')
          .reduce((sum, r) => sum + Number(r.request.amountCents), 0);
        const remaining = row.total_cents - refunded;
        if (input.amountCents > remaining) {
          throw new ApiError(
            400,
            'invalid_request_error',
            'refund_exceeds_remaining',
            `refund of ${input.amountCents} cents exceeds the ${remaining} cents left to refund on ${input.orderId}`,
            { param: 'amountCents' },
          );
        }
        const refundId = newId('RF');
        return {
          status: 201,
          body: { refundId, ...input, currency: row.currency, status: 'succeeded' },
          effect: { resourceId: refundId, request: input },
        };
      },
      async undo() {
        return { reversalId: newId('RV'), status: 'reversed' };
      },
    },
    {
      method: 'POST',
      path: '/tickets',
      service: 'support',
      operation: 'ticket',
      input: ticketInput,
      compensable: true,
      async perform(tx, input: z.output<typeof ticketInput>) {
        await findOrder(tx, input.orderId);
        const ticketId = newId('TK');
        return {
          status: 201,
          body: { ticketId, orderId: input.orderId, subject: input.subject, status: 'open' },
          effect: { resourceId: ticketId, request: input },
        };
      },
      async undo() {
        return { status: 'closed', closeReason: 'opened_by_mistake' };
      },
    },
  ],
};
