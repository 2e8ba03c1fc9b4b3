/** A payment processor: charges, refunded on undo. Card 4000000000000002 is always declined (Stripe's test card). */
import { z } from 'zod';
import { ApiError, type ServiceModule } from './http';
import { newId } from './ids';

export const DECLINED_CARD = '4000000000000002';

const chargeInput = z.object({
  amountCents: z.number().int().positive().max(100_000_000),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'a three-letter ISO currency code')
    .transform((c) => c.toUpperCase()),
  card: z
    .string()
    .transform((c) => c.replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^\d{12,19}$/, 'a card number of 12 to 19 digits')),
  description: z.string().trim().min(1).max(500),
});

export const paymentsService: ServiceModule = {
  operations: [
    {
      method: 'POST',
      path: '/payments/charges',
      service: 'payments',
      operation: 'charge',
      input: chargeInput,
      compensable: true,
      async perform(_tx, input: z.output<typeof chargeInput>) {
        if (input.card === DECLINED_CARD) {
          throw new ApiError(402, 'card_error', 'card_declined', 'Your card was declined.', { param: 'card' });
        }
        const chargeId = newId('CH');
        const cardLast4 = input.card.slice(-4);
        // The ledger never keeps the full card number.
        const request = { amountCents: input.amountCents, currency: input.currency, cardLast4, description: input.description };
        return {
          status: 201,
          body: { chargeId, ...request, status: 'succeeded' },
          effect: { resourceId: chargeId, request },
        };
      },
      async undo() {
        return { refundId: newId('RE'), status: 'refunded' };
      },
    },
  ],
};
