/** The support agent's tools on the worker: real HTTP to the orders/support desk and the email service. */
import type { z } from 'zod';
import type { ToolImplementation, ToolImplementations } from '../../../index';
import { createServiceClient } from '../http';
import type { emailCustomer, issueRefund, lookupOrder, openTicket } from './agent';

type InputOf<T extends { input: z.ZodType }> = z.output<T['input']>;

export interface SupportToolsOptions {
  /** Base URL of the services, e.g. `http://127.0.0.1:4500`. */
  servicesUrl: string;
}

const SUPPORT_HINTS = {
  order_not_found: 'No such order: check the id with the customer; ids look like ORD-1001.',
  refund_exceeds_remaining: 'Refund at most totalCents - refundedCents; call lookup_order to see what is left.',
} as const;

export function createSupportTools(options: SupportToolsOptions): ToolImplementations {
  const services = createServiceClient({ servicesUrl: options.servicesUrl, hints: SUPPORT_HINTS });
  const post = (path: string) => (body: unknown, ctx: { idempotencyKey: string; signal: AbortSignal }) =>
    services.call({ method: 'POST', path, body, idempotencyKey: ctx.idempotencyKey, signal: ctx.signal });
  const undo: ToolImplementation['compensate'] = (_input, ctx) => services.undo(ctx);

  const lookupOrderImpl: ToolImplementation<InputOf<typeof lookupOrder>> = {
    run: (input, ctx) => services.call({ method: 'GET', path: `/orders/${encodeURIComponent(input.orderId)}`, signal: ctx.signal }),
  };
  const issueRefundImpl: ToolImplementation<InputOf<typeof issueRefund>> = { run: post('/refunds'), compensate: undo };
  const openTicketImpl: ToolImplementation<InputOf<typeof openTicket>> = { run: post('/tickets'), compensate: undo };
  const emailCustomerImpl: ToolImplementation<InputOf<typeof emailCustomer>> = { run: post('/emails') };

  return {
    lookup_order: lookupOrderImpl,
    issue_refund: issueRefundImpl,
    open_ticket: openTicketImpl,
    email_customer: emailCustomerImpl,
  };
}
