/**
 * Prices in USD per million tokens, per model family. Cache writes cost 1.25x input (5-minute cache)
 * and cache reads 0.1x input, as the Messages API bills them.
 */
import type { ModelUsage } from '../shared/wire';

export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

/** Longest matching prefix wins. */
export const PRICING: Readonly<Record<string, ModelPrice>> = {
  'claude-opus-4-6': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-7-sonnet': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
};

/** An unknown model is priced as the most expensive known one, so a budget errs on the safe side. */
export const UNKNOWN_MODEL_PRICE: ModelPrice = { inputPerMTok: 15, outputPerMTok: 75 };

export function priceOf(model: string): ModelPrice {
  const match = Object.keys(PRICING)
    .filter((prefix) => model.startsWith(prefix))
    .sort((a, b) => b.length - a.length)[0];
  return match ? PRICING[match] : UNKNOWN_MODEL_PRICE;
}

export function costUsd(model: string, usage: ModelUsage): number {
  const price = priceOf(model);
  const input =
    usage.input_tokens + usage.cache_creation_input_tokens * 1.25 + usage.cache_read_input_tokens * 0.1;
  const cost = (input * price.inputPerMTok + usage.output_tokens * price.outputPerMTok) / 1_000_000;
  return Math.round(cost * 1e8) / 1e8;
}
