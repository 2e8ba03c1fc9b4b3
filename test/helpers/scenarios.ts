/** Scripted runs that several test files share. */
import type { RespondingScenario } from '../../src/dev/scenario';

/** Claude asks for one `charge_card` with `input` in turn 1, then ends: the shape of the approval tests. */
export function chargeOnceScenario(name: string, runIdPrefix: string, input: Record<string, unknown>): RespondingScenario {
  return {
    name,
    match: { runIdPrefix },
    respond: (ctx) =>
      ctx.turn === 1
        ? {
            content: [
              { type: 'text', text: 'Charging the card.' },
              { type: 'tool_use', name: 'charge_card', input },
            ],
          }
        : { content: [{ type: 'text', text: 'Done.' }] },
  };
}
