/**
 * The tokens-per-minute governor of the model queue: the rate it writes follows the largest call of the last minute,
 * stays under the requests ceiling, is not rewritten for small moves, and a failed write is tried again.
 */
import { countedTokens, queueRateFor, TokenRateGovernor } from '../../src/models/token-limit';

const usage = (input: number, output: number, cacheWrite = 0) => ({ input_tokens: input, output_tokens: output, cache_creation_input_tokens: cacheWrite });

describe('queueRateFor', () => {
  it('turns tokens a minute into calls a second at the size of a call', () => {
    expect(queueRateFor({ tokensPerMinute: 60_000, requestsPerSecond: 10, burstCalls: 0 }, 2000)).toBe(0.5);
  });

  it('leaves room in each minute for the calls an idle queue takes at once', () => {
    expect(queueRateFor({ tokensPerMinute: 60_000, requestsPerSecond: 10 }, 2000)).toBe(26 / 60);
    // Never below half what the limit allows, however large the burst.
    expect(queueRateFor({ tokensPerMinute: 6000, requestsPerSecond: 10, burstCalls: 10 }, 2000)).toBe(1.5 / 60);
  });

  it('never exceeds the requests ceiling', () => {
    expect(queueRateFor({ tokensPerMinute: 6_000_000, requestsPerSecond: 1 }, 10)).toBe(1);
  });
});

describe('countedTokens', () => {
  it('counts input, cache writes and output; cache reads are not in a tokens-per-minute limit', () => {
    expect(countedTokens({ ...usage(100, 50, 25), cache_read_input_tokens: 1_000_000 } as never)).toBe(175);
  });
});

describe('TokenRateGovernor', () => {
  function governor(now: { ms: number }, writes: number[], fail = { next: false }) {
    return new TokenRateGovernor(
      { tokensPerMinute: 12_000, requestsPerSecond: 5, initialTokensPerCall: 1000, burstCalls: 0 },
      async (rate) => {
        if (fail.next) {
          fail.next = false;
          throw new Error('unavailable');
        }
        writes.push(rate);
      },
      () => now.ms,
    );
  }

  it('starts from the initial estimate, then follows the largest call of the last minute', async () => {
    const now = { ms: 0 };
    const writes: number[] = [];
    const gov = governor(now, writes);
    expect(await gov.adjust()).toBe(0.2); // 12,000 / 60 / 1000
    gov.record(usage(3000, 1000));
    gov.record(usage(500, 100));
    expect(await gov.adjust()).toBe(0.05); // the 4000-token call sets the pace
    now.ms = 61_000; // the big call left the window
    gov.record(usage(1500, 500));
    expect(await gov.adjust()).toBe(0.1);
    expect(writes).toEqual([0.2, 0.05, 0.1]);
  });

  it('does not rewrite the rate for a move of 5 % or less', async () => {
    const now = { ms: 0 };
    const writes: number[] = [];
    const gov = governor(now, writes);
    gov.record(usage(1000, 0));
    await gov.adjust();
    gov.record(usage(1040, 0));
    expect(await gov.adjust()).toBeNull();
    expect(writes).toEqual([0.2]);
  });

  it('writes again after a failed write', async () => {
    const now = { ms: 0 };
    const writes: number[] = [];
    const fail = { next: true };
    const gov = governor(now, writes, fail);
    await expect(gov.adjust()).rejects.toThrow('unavailable');
    expect(await gov.adjust()).toBe(0.2);
  });

  it('refuses a limit that is not a positive number, saying which field', () => {
    expect(() => new TokenRateGovernor({ tokensPerMinute: 0, requestsPerSecond: 1 }, async () => undefined)).toThrow(/tokensPerMinute: a positive number/);
    expect(() => new TokenRateGovernor({ tokensPerMinute: 10, requestsPerSecond: 1, initialTokensPerCall: -1 }, async () => undefined)).toThrow(
      /initialTokensPerCall/,
    );
    expect(() => new TokenRateGovernor({ tokensPerMinute: 10, requestsPerSecond: 1, burstCalls: -1 }, async () => undefined)).toThrow(/burstCalls: 0 or more/);
  });
});
