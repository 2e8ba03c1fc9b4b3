/** Pricing: what a model call costs, including prompt-cache reads and writes. */
import { costUsd, priceOf, UNKNOWN_MODEL_PRICE } from '../../src/models/pricing';
import type { ModelUsage } from '../../src/shared/wire';

const MTOK = 1_000_000;

function usage(partial: Partial<ModelUsage>): ModelUsage {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...partial };
}

describe('costUsd', () => {
  it('prices input and output per million tokens', () => {
    expect(costUsd('claude-sonnet-4-6', usage({ input_tokens: MTOK }))).toBe(3);
    expect(costUsd('claude-sonnet-4-6', usage({ output_tokens: MTOK }))).toBe(15);
    expect(costUsd('claude-haiku-4-5', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(6);
    expect(costUsd('claude-opus-4-6', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(30);
  });

  it('bills cache writes at 1.25x and cache reads at 0.1x the input price', () => {
    expect(costUsd('claude-sonnet-4-6', usage({ cache_creation_input_tokens: MTOK }))).toBe(3.75);
    expect(costUsd('claude-sonnet-4-6', usage({ cache_read_input_tokens: MTOK }))).toBe(0.3);
  });

  it('adds everything up for a realistic call, rounded to 1e-8 dollars', () => {
    // (1234 + 100 * 1.25 + 1000 * 0.1) * 3 + 567 * 15 = 4377 + 8505 = 12882 micro-dollars.
    const call = usage({ input_tokens: 1234, output_tokens: 567, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 });
    expect(costUsd('claude-sonnet-4-6', call)).toBe(0.012882);
    expect(costUsd('claude-3-5-haiku-20241022', usage({ input_tokens: 1 }))).toBe(0.0000008);
    expect(costUsd('claude-sonnet-4-6', usage({}))).toBe(0);
  });

  it('prices an unknown model as the most expensive known one', () => {
    expect(UNKNOWN_MODEL_PRICE).toEqual({ inputPerMTok: 15, outputPerMTok: 75 });
    expect(costUsd('some-future-model', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(90);
  });
});

describe('priceOf', () => {
  it('lets the longest matching prefix win', () => {
    expect(priceOf('claude-opus-4-1-20250805')).toEqual({ inputPerMTok: 15, outputPerMTok: 75 });
    expect(priceOf('claude-opus-4-5-20251101')).toEqual({ inputPerMTok: 5, outputPerMTok: 25 });
    expect(priceOf('claude-opus-4-6')).toEqual({ inputPerMTok: 5, outputPerMTok: 25 });
    expect(priceOf('claude-opus-4-20250514')).toEqual({ inputPerMTok: 15, outputPerMTok: 75 });
  });

  it('matches dated and undated names of a family', () => {
    expect(priceOf('claude-sonnet-4-20250514')).toEqual({ inputPerMTok: 3, outputPerMTok: 15 });
    expect(priceOf('claude-3-7-sonnet-latest')).toEqual({ inputPerMTok: 3, outputPerMTok: 15 });
    expect(priceOf('claude-haiku-4-5-20251001')).toEqual({ inputPerMTok: 1, outputPerMTok: 5 });
    expect(priceOf('claude-3-5-haiku-latest')).toEqual({ inputPerMTok: 0.8, outputPerMTok: 4 });
  });

  it('does not match a name that only contains a known prefix', () => {
    expect(priceOf('my-claude-sonnet-4')).toEqual(UNKNOWN_MODEL_PRICE);
    expect(priceOf('')).toEqual(UNKNOWN_MODEL_PRICE);
  });
});
