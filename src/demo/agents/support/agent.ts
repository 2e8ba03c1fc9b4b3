/**
 * A second agent in another domain, on the same core: a customer-support desk that looks up orders,
 * refunds, opens tickets and emails customers. Sandbox-safe (zod and the tool framework only).
 */
import { z } from 'zod';
import { defineAgent, defineTool } from '../../../workflow';

const orderId = z
  .string()
  .trim()
  .regex(/^ORD-\d{4,}$/, 'an order id such as ORD-1001')
  .describe('The order id, e.g. "ORD-1001"');

export const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'An order: customer name and email, items, totalCents and currency, status, refunds so far (refundedCents) ' + 'and support tickets. Read-only.',
  input: z.object({ orderId }),
  risk: 'read',
  secret: ['customer.email'],
});

export const issueRefund = defineTool({
  name: 'issue_refund',
  description:
    "Refunds part or all of an order to the customer's original payment method. Needs a human approval first, " +
    'so the call waits for it. The amount cannot exceed what is left to refund (totalCents - refundedCents from ' +
    'lookup_order). Reversed automatically (reverse_refund) if the case is abandoned.',
  input: z.object({
    orderId,
    amountCents: z.number().int().positive().describe("Amount to refund in cents, in the order's currency: 1450 for 14.50"),
    reason: z.string().trim().min(1).max(500).describe('Why the refund is given, for the order history, e.g. "arrived broken"'),
  }),
  risk: 'privileged',
  compensation: 'reverse_refund',
});

export const openTicket = defineTool({
  name: 'open_ticket',
  description:
    'Opens a support ticket on an order for follow-up by the team (a replacement, an investigation). Returns a ' +
    'ticketId. Closed automatically as opened by mistake (close_ticket) if the case is abandoned.',
  input: z.object({
    orderId,
    subject: z.string().trim().min(1).max(200).describe('One line saying what needs doing'),
    body: z.string().trim().min(1).max(5000).describe('The details the team needs: what happened, what was agreed'),
  }),
  risk: 'reversible',
  compensation: 'close_ticket',
});

export const emailCustomer = defineTool({
  name: 'email_customer',
  description:
    'Sends an email to the customer. It cannot be unsent, so it needs a human approval first and the call waits ' +
    'for it. Send it once, at the end, saying what was done.',
  input: z.object({
    to: z.email().describe("The customer's email address, from lookup_order"),
    subject: z.string().trim().min(1).max(200).describe('Subject line'),
    body: z.string().min(1).max(20_000).describe('Plain-text body'),
  }),
  risk: 'irreversible',
  secret: ['to'],
});

const SYSTEM_PROMPT = `You are a customer-support agent for an online shop. You resolve one customer's request with the tools you have.

How to work:
1. Look up the order first. Use only what lookup_order returns: the customer's email, the items, the amounts and what was already refunded.
2. Decide what the shop owes the customer: a refund (never more than what is left to refund), a ticket for the team to follow up, or both.
3. Refund with issue_refund; open a ticket with open_ticket when someone must act later (a replacement, an investigation).
4. Finally email the customer once, saying what was done, with the refund amount and the ticket id.
Amounts are in cents of the order's currency.

When a tool fails you get an error result with a code, a message and sometimes a hint. A rejected call fails the same way again if repeated unchanged: fix the arguments or choose another option. Temporary failures are retried for you.
issue_refund and email_customer wait for a human approval. If the approver rejects a call, do not repeat it unchanged.
You cannot reverse anything yourself. If the request cannot be resolved, call abort with the reason: refunds and tickets made so far are undone automatically.

Finish with a short summary: what was refunded, which ticket was opened and what the customer was told.`;

export const supportAgent = defineAgent({
  name: 'support',
  description: 'Resolves a customer-support request: order lookup, refunds, tickets and an email to the customer.',
  system: SYSTEM_PROMPT,
  tools: [lookupOrder, issueRefund, openTicket, emailCustomer],
});
