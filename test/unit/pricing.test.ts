/** Pricing: what a model call costs, including prompt-cache reads and writes by lifetime, and a worker's overrides. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costUsd, priceOf, Pricing, PRICING, pricingOverridesFromEnv, UNKNOWN_MODEL_PRICE } from '../../src/models/pricing';
import type { ModelUsage } from '../../src/shared/wire';

const MTOK = 1_000_000;

function usage(partial: Partial<ModelUsage> & { cache_creation_1h_input_tokens?: number }): ModelUsage {
  return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...partial };
}

const rates = (inputPerMTok: number, outputPerMTok: number) => ({ inputPerMTok, outputPerMTok });

describe('costUsd', () => {
  it('prices input and output per million tokens', () => {
    expect(costUsd('claude-sonnet-4-6', usage({ input_tokens: MTOK }))).toBe(3);
    expect(costUsd('claude-sonnet-4-6', usage({ output_tokens: MTOK }))).toBe(15);
    expect(costUsd('claude-haiku-4-5', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(6);
    expect(costUsd('claude-opus-4-6', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(30);
  });

  it('bills 5-minute cache writes at 1.25x, 1-hour writes at 2x and cache reads at 0.1x the input price', () => {
    expect(costUsd('claude-sonnet-4-6', usage({ cache_creation_input_tokens: MTOK }))).toBe(3.75);
    expect(costUsd('claude-sonnet-4-6', usage({ cache_creation_input_tokens: MTOK, cache_creation_1h_input_tokens: MTOK }))).toBe(6);
    // Half written for an hour, half for five minutes: 0.5 * 6 + 0.5 * 3.75.
    expect(costUsd('claude-sonnet-4-6', usage({ cache_creation_input_tokens: MTOK, cache_creation_1h_input_tokens: MTOK / 2 }))).toBe(4.875);
    expect(costUsd('claude-sonnet-4-6', usage({ cache_read_input_tokens: MTOK }))).toBe(0.3);
  });

  it("uses a row's own cache rates where the API departs from the multipliers", () => {
    expect(costUsd('claude-opus-5-5', usage({ cache_read_input_tokens: MTOK }))).toBe(0.2);
    expect(costUsd('claude-3-haiku-20240307', usage({ cache_creation_input_tokens: MTOK }))).toBe(0.3);
  });

  it('adds everything up for a realistic call, rounded to 1e-8 dollars', () => {
    // (1234 + 100 * 1.25 + 1000 * 0.1) * 3 + 567 * 15 = 4377 + 8505 = 12882 micro-dollars.
    const call = usage({ input_tokens: 1234, output_tokens: 567, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 });
    expect(costUsd('claude-sonnet-4-6', call)).toBe(0.012882);
    expect(costUsd('claude-3-5-haiku-20241022', usage({ input_tokens: 1 }))).toBe(0.0000008);
    expect(costUsd('claude-sonnet-4-6', usage({}))).toBe(0);
  });

  it('prices a model of no known family as the most expensive known one', () => {
    expect(UNKNOWN_MODEL_PRICE).toMatchObject(rates(15, 75));
    expect(costUsd('some-future-model', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(90);
  });
});

describe('priceOf', () => {
  it('prices claude-opus-4-7, the model the production guides name, at its own $5/$25 row', () => {
    // regression: it fell to the claude-opus-4 row ($15/$75) by prefix.
    expect(new Pricing().resolve('claude-opus-4-7')).toMatchObject({ row: 'claude-opus-4-7', source: 'row', price: rates(5, 25) });
    expect(costUsd('claude-opus-4-7', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(30);
  });

  it('answers a model asked again as the first time, and a caller that changes its answer changes nothing', () => {
    const pricing = new Pricing();
    const first = pricing.resolve('claude-opus-4-7');
    first.price.inputPerMTok = 999;
    expect(pricing.resolve('claude-opus-4-7')).toMatchObject({ row: 'claude-opus-4-7', source: 'row', price: rates(5, 25) });
    expect(pricing.resolve('some-future-model')).toMatchObject({ source: 'unknown', row: null });
    for (let n = 0; n < 300; n++) pricing.resolve(`odd-model-${n}`);
    expect(pricing.resolve('claude-opus-4-7').price).toMatchObject(rates(5, 25));
  });

  it('matches dated snapshots and variants of a model to its row, never to a neighbour', () => {
    expect(priceOf('claude-opus-4-1-20250805')).toMatchObject(rates(15, 75));
    expect(priceOf('claude-opus-4-5-20251101')).toMatchObject(rates(5, 25));
    expect(priceOf('claude-opus-4-20250514')).toMatchObject(rates(15, 75));
    expect(priceOf('claude-sonnet-4-20250514')).toMatchObject(rates(3, 15));
    expect(priceOf('claude-sonnet-4-5-20250929')).toMatchObject(rates(3, 15));
    expect(priceOf('claude-3-7-sonnet-latest')).toMatchObject(rates(3, 15));
    expect(priceOf('claude-haiku-4-5-20251001')).toMatchObject(rates(1, 5));
    expect(priceOf('claude-3-5-haiku-latest')).toMatchObject(rates(0.8, 4));
    expect(priceOf('claude-sonnet-5-5-20261001')).toMatchObject(rates(2, 10));
  });

  it('prices every model the README and the production guides name from its own row', () => {
    const pricing = new Pricing();
    for (const model of ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-opus-4-7', 'claude-haiku-4-5']) {
      expect(pricing.resolve(model)).toMatchObject({ source: 'row', row: model });
    }
  });

  it('never prices a newer model of a family as an older one', () => {
    const pricing = new Pricing();
    const versionOf = (id: string) => {
      const [major, minor = 0] = id.split('-').slice(2).map(Number);
      return major * 100 + minor;
    };
    const families = new Map<string, string[]>();
    for (const row of Object.keys(PRICING)) {
      const family = /^claude-([a-z]+)-\d/.exec(row)?.[1];
      if (family) families.set(family, [...(families.get(family) ?? []), row]);
    }
    expect([...families.keys()].sort()).toEqual(['fable', 'haiku', 'mythos', 'opus', 'sonnet']);
    for (const [family, rows] of families) {
      const newest = Math.max(...rows.map(versionOf));
      for (const row of rows) {
        const version = versionOf(row);
        // The next minor and the next major release after every row.
        for (const next of [version + 1, (Math.floor(version / 100) + 1) * 100]) {
          const model = `claude-${family}-${Math.floor(next / 100)}${next % 100 ? `-${next % 100}` : ''}`;
          if (PRICING[model]) continue;
          const resolved = pricing.resolve(model);
          expect({ model, source: resolved.source }).toEqual({ model, source: 'family' });
          // Priced by a row at or above its version, or by the family's newest when it is newer than every row.
          expect({ model, at: versionOf(resolved.row ?? '') }).toEqual({ model, at: expect.any(Number) });
          expect(versionOf(resolved.row ?? '')).toBeGreaterThanOrEqual(Math.min(next, newest));
        }
      }
    }
    expect(pricing.resolve('claude-opus-4-9').row).toBe('claude-opus-5');
    expect(pricing.resolve('claude-opus-7').row).toBe('claude-opus-5-5');
  });

  it('does not match a name that only contains a known prefix', () => {
    expect(priceOf('my-claude-sonnet-4')).toMatchObject(rates(15, 75));
    expect(priceOf('')).toMatchObject(rates(15, 75));
  });

  it("knows each model's context window", () => {
    expect(priceOf('claude-opus-4-7').contextWindow).toBe(1_000_000);
    expect(priceOf('claude-haiku-4-5').contextWindow).toBe(200_000);
  });
});

describe('pricing overrides', () => {
  it('replace a row and add a model without a release', () => {
    const pricing = new Pricing({ 'claude-opus-4-7': rates(4, 20), 'claude-opus-9': { ...rates(1, 2), contextWindow: 50_000 } });
    expect(pricing.costUsd('claude-opus-4-7', usage({ input_tokens: MTOK, output_tokens: MTOK }))).toBe(24);
    expect(pricing.resolve('claude-opus-9-20270101')).toMatchObject({ row: 'claude-opus-9', source: 'row', price: { contextWindow: 50_000 } });
    // The built-in table is untouched.
    expect(costUsd('claude-opus-4-7', usage({ input_tokens: MTOK }))).toBe(5);
  });

  it('come from SAGENT_PRICING as inline JSON or as the path of a JSON file', () => {
    expect(pricingOverridesFromEnv({ SAGENT_PRICING: '{"claude-opus-4-7":{"inputPerMTok":4,"outputPerMTok":20}}' })).toEqual({
      'claude-opus-4-7': rates(4, 20),
    });
    const file = join(mkdtempSync(join(tmpdir(), 'sagent-pricing-')), 'prices.json');
    writeFileSync(file, JSON.stringify({ 'claude-sonnet-9': { inputPerMTok: 1, outputPerMTok: 2, cacheReadPerMTok: 0.05 } }));
    expect(pricingOverridesFromEnv({ SAGENT_PRICING: file })).toEqual({ 'claude-sonnet-9': { inputPerMTok: 1, outputPerMTok: 2, cacheReadPerMTok: 0.05 } });
    expect(pricingOverridesFromEnv({})).toEqual({});
  });

  it('refuse a bad table with a line that says what to fix', () => {
    expect(() => pricingOverridesFromEnv({ SAGENT_PRICING: '{"claude-opus-4-7":{"inputPerMTok":-1,"outputPerMTok":20}}' })).toThrow(
      /SAGENT_PRICING at claude-opus-4-7.inputPerMTok: .*expected \{ "<model id>"/,
    );
    expect(() => pricingOverridesFromEnv({ SAGENT_PRICING: '{"claude-opus-4-7":{"input":4}}' })).toThrow(/SAGENT_PRICING at claude-opus-4-7/);
    expect(() => pricingOverridesFromEnv({ SAGENT_PRICING: '{not json' })).toThrow(/SAGENT_PRICING: not valid JSON/);
    expect(() => pricingOverridesFromEnv({ SAGENT_PRICING: '/nonexistent/prices.json' })).toThrow(/cannot read the pricing file \/nonexistent\/prices.json/);
    expect(() => new Pricing({ 'Claude Opus': rates(1, 1) })).toThrow(/pricing overrides at Claude Opus: not a model id/);
  });
});
