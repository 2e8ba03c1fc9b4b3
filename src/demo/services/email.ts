/** An email provider: a sent email cannot be unsent, so its undo answers 409 not_compensable. */
import { z } from 'zod';
import type { ServiceModule } from './http';
import { newId } from './ids';

const emailInput = z.object({
  to: z.email(),
  subject: z.string().trim().min(1).max(200),
  body: z.string().min(1).max(20_000),
});

export const emailService: ServiceModule = {
  operations: [
    {
      method: 'POST',
      path: '/emails',
      service: 'email',
      operation: 'email',
      input: emailInput,
      compensable: false,
      async perform(_tx, input: z.output<typeof emailInput>) {
        const emailId = newId('EM');
        return {
          status: 201,
          body: { emailId, to: input.to, subject: input.subject, status: 'sent' },
          effect: { resourceId: emailId, request: input },
        };
      },
    },
  ],
};
