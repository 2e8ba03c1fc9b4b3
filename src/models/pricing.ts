/**
 * Prices in USD per million tokens and context windows, per model, as the Messages API bills them (the pricing
 * page of the Claude docs, checked December 2026). A row names one model; a dated id (`claude-opus-4-20250514`) or
 * a variant (`claude-opus-4-7-fast`) is priced by its row, but a newer version never falls to an older row: a model
 * the table does not know is priced by the nearest row of its family at or above its version, else by the family's
 * newest row. A worker overrides or extends the table without a release (`SagentPluginOptions.pricing`, or
 * `SAGENT_PRICING`: inline JSON or the path of a JSON file).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ModelUsage } from '../shared/wire';

/** One model's price row: USD per million tokens (input, output, cache writes and reads) and its context window. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** A write to the 5-minute prompt cache. @default 1.25 × inputPerMTok */
  cacheWrite5mPerMTok?: number;
  /** A write to the 1-hour prompt cache. @default 2 × inputPerMTok */
  cacheWrite1hPerMTok?: number;
  /** A read from the prompt cache (hits and refreshes). @default 0.1 × inputPerMTok */
  cacheReadPerMTok?: number;
  /** Input tokens one request may carry. @default 200_000 */
  contextWindow?: number;
}

/** How long a prompt-cache entry lives: the API's two lifetimes. */
export type CacheTtl = '5m' | '1h';

const K200 = 200_000;
const M1 = 1_000_000;

/** A price row: input and output USD per million tokens, the context window, and any cache price of its own. */
const row = (inputPerMTok: number, outputPerMTok: number, contextWindow: number, cache: Partial<ModelPrice> = {}): ModelPrice => ({
  inputPerMTok,
  outputPerMTok,
  ...cache,
  contextWindow,
});

/** The models of the Claude pricing page, newest first within each family. */
export const PRICING: Readonly<Record<string, ModelPrice>> = {
  'claude-fable-5-1': row(10, 50, M1, { cacheReadPerMTok: 0.25 }),
  'claude-fable-5': row(10, 50, M1, { cacheReadPerMTok: 1 }),
  'claude-mythos-5-1': row(10, 50, M1, { cacheReadPerMTok: 0.25 }),
  'claude-mythos-5': row(10, 50, M1, { cacheReadPerMTok: 1 }),
  'claude-opus-5-5': row(4, 20, M1, { cacheReadPerMTok: 0.2 }),
  'claude-opus-5': row(5, 25, M1),
  'claude-opus-4-8': row(5, 25, M1),
  'claude-opus-4-7': row(5, 25, M1),
  'claude-opus-4-6': row(5, 25, M1),
  'claude-opus-4-5': row(5, 25, K200),
  'claude-opus-4-1': row(15, 75, K200),
  'claude-opus-4': row(15, 75, K200),
  'claude-3-opus': row(15, 75, K200),
  'claude-sonnet-5-5': row(2, 10, M1, { cacheReadPerMTok: 0.1 }),
  'claude-sonnet-5': row(2, 10, M1),
  'claude-sonnet-4-6': row(3, 15, M1),
  'claude-sonnet-4-5': row(3, 15, K200),
  'claude-sonnet-4': row(3, 15, K200),
  'claude-3-7-sonnet': row(3, 15, K200),
  // Haiku 5.5 at its rate for prompts up to 100K tokens; longer prompts cost five times as much (override to be safe).
  'claude-haiku-5-5': row(0.1, 0.5, M1),
  'claude-haiku-4-5': row(1, 5, K200),
  'claude-3-5-haiku': row(0.8, 4, K200),
  'claude-3-haiku': row(0.25, 1.25, K200, { cacheWrite5mPerMTok: 0.3, cacheWrite1hPerMTok: 0.5, cacheReadPerMTok: 0.03 }),
};

/** A model of no known family is priced as the most expensive known one, so a budget errs on the safe side. */
export const UNKNOWN_MODEL_PRICE: ModelPrice = { inputPerMTok: 15, outputPerMTok: 75, contextWindow: K200 };

/** How a model's price was found: its own row, the nearest row of its family, or the unknown-model price. */
export type PriceSource = 'row' | 'family' | 'unknown';

/** The price a model is charged at, and where it came from: its own row, its family's, or the unknown-model price. */
export interface ResolvedPrice {
  price: Required<ModelPrice>;
  source: PriceSource;
  /** The row used; null for the unknown-model price. */
  row: string | null;
}

/** A model id read as family and version: `claude-opus-4-7` and `claude-3-7-sonnet` alike. */
interface ModelName {
  family: string;
  version: number[];
}

const NEW_STYLE = /^claude-([a-z]+)-(\d{1,2})(?:-(\d{1,2}))?(?=$|[^0-9])/;
const OLD_STYLE = /^claude-(\d{1,2})(?:-(\d{1,2}))?-([a-z]+)(?=$|[^a-z])/;

function parseModel(model: string): ModelName | null {
  const newer = NEW_STYLE.exec(model);
  if (newer) return { family: newer[1], version: [Number(newer[2]), Number(newer[3] ?? 0)] };
  const older = OLD_STYLE.exec(model);
  if (older) return { family: older[3], version: [Number(older[1]), Number(older[2] ?? 0)] };
  return null;
}

function compareVersions(a: number[], b: number[]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** A row names the model itself, a dated snapshot of it, or a variant; `claude-opus-4` is not a row of `claude-opus-4-7`. */
function rowMatches(row: string, model: string): boolean {
  if (model === row) return true;
  if (!model.startsWith(`${row}-`)) return false;
  const rest = model.slice(row.length + 1);
  return /^\d{8}(?:$|\D)/.test(rest) || !/^\d/.test(rest);
}

function complete(price: ModelPrice): Required<ModelPrice> {
  return {
    inputPerMTok: price.inputPerMTok,
    outputPerMTok: price.outputPerMTok,
    cacheWrite5mPerMTok: price.cacheWrite5mPerMTok ?? price.inputPerMTok * 1.25,
    cacheWrite1hPerMTok: price.cacheWrite1hPerMTok ?? price.inputPerMTok * 2,
    cacheReadPerMTok: price.cacheReadPerMTok ?? price.inputPerMTok * 0.1,
    contextWindow: price.contextWindow ?? K200,
  };
}

/** Token usage with the cache writes split by lifetime, as the API reports them in `usage.cache_creation`. */
export interface BilledUsage extends ModelUsage {
  /** Of `cache_creation_input_tokens`, those written with the 1-hour lifetime. @default 0 */
  cache_creation_1h_input_tokens?: number;
}

const MAX_RESOLVED_MODELS = 256;

/** A pricing table: the built-in rows, with a worker's overrides on top. */
export class Pricing {
  readonly rows: Readonly<Record<string, ModelPrice>>;

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.rows = { ...PRICING, ...parsePricingOverrides(overrides, 'pricing overrides') };
  }

  /** Each model's resolved price, as every call asks twice: the rows never change after construction. */
  private readonly resolved = new Map<string, ResolvedPrice>();

  /** The price of `model`; never an older model's row when the model is newer than the rows it prefixes. */
  resolve(model: string): ResolvedPrice {
    const known = this.resolved.get(model);
    if (known) return { ...known, price: { ...known.price } };
    const resolved = this.resolveRow(model);
    // A worker asks about a handful of models; a bound keeps a stream of odd names from growing the map.
    if (this.resolved.size >= MAX_RESOLVED_MODELS) this.resolved.clear();
    this.resolved.set(model, resolved);
    return { ...resolved, price: { ...resolved.price } };
  }

  private resolveRow(model: string): ResolvedPrice {
    const exact = Object.keys(this.rows)
      .filter((row) => rowMatches(row, model))
      .sort((a, b) => b.length - a.length)[0];
    if (exact) return { price: complete(this.rows[exact]), source: 'row', row: exact };
    const name = parseModel(model);
    const family = name
      ? Object.keys(this.rows)
          .map((row) => ({ row, parsed: parseModel(row) }))
          .filter((entry): entry is { row: string; parsed: ModelName } => entry.parsed?.family === name.family)
          .sort((a, b) => compareVersions(a.parsed.version, b.parsed.version))
      : [];
    if (name && family.length > 0) {
      const chosen = family.find((entry) => compareVersions(entry.parsed.version, name.version) >= 0) ?? family[family.length - 1];
      return { price: complete(this.rows[chosen.row]), source: 'family', row: chosen.row };
    }
    return { price: complete(UNKNOWN_MODEL_PRICE), source: 'unknown', row: null };
  }

  priceOf(model: string): Required<ModelPrice> {
    return this.resolve(model).price;
  }

  /** What one call cost, cache writes priced by their lifetime and reads at the model's read rate. */
  costUsd(model: string, usage: BilledUsage): number {
    const price = this.priceOf(model);
    const written1h = Math.min(usage.cache_creation_1h_input_tokens ?? 0, usage.cache_creation_input_tokens);
    const written5m = usage.cache_creation_input_tokens - written1h;
    const perMTok =
      usage.input_tokens * price.inputPerMTok +
      written5m * price.cacheWrite5mPerMTok +
      written1h * price.cacheWrite1hPerMTok +
      usage.cache_read_input_tokens * price.cacheReadPerMTok +
      usage.output_tokens * price.outputPerMTok;
    return Math.round((perMTok / 1_000_000) * 1e8) / 1e8;
  }
}

const modelPriceSchema = z
  .object({
    inputPerMTok: z.number().nonnegative(),
    outputPerMTok: z.number().nonnegative(),
    cacheWrite5mPerMTok: z.number().nonnegative().optional(),
    cacheWrite1hPerMTok: z.number().nonnegative().optional(),
    cacheReadPerMTok: z.number().nonnegative().optional(),
    contextWindow: z.number().int().positive().optional(),
  })
  .strict();

const overridesSchema = z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), modelPriceSchema);

/** Checks a table of price rows; throws one line naming what to fix. */
export function parsePricingOverrides(value: unknown, source: string): Record<string, ModelPrice> {
  const parsed = overridesSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  const problem = issue.code === 'invalid_key' ? 'not a model id (lowercase, such as claude-opus-4-7)' : issue.message;
  throw new Error(
    `${source}${where}: ${problem}; expected { "<model id>": { "inputPerMTok": n, "outputPerMTok": n, ` +
      `"cacheWrite5mPerMTok"?: n, "cacheWrite1hPerMTok"?: n, "cacheReadPerMTok"?: n, "contextWindow"?: n } }`,
  );
}

/**
 * The overrides of `SAGENT_PRICING`: inline JSON (starting with `{`) or the path of a JSON file. Empty when unset.
 */
export function pricingOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, ModelPrice> {
  const setting = env.SAGENT_PRICING?.trim();
  if (!setting) return {};
  let text = setting;
  if (!setting.startsWith('{')) {
    try {
      text = readFileSync(setting, 'utf8');
    } catch (err) {
      throw new Error(`SAGENT_PRICING: cannot read the pricing file ${setting} (${(err as Error).message}); give inline JSON or a readable JSON file`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`SAGENT_PRICING: not valid JSON (${(err as Error).message})`);
  }
  return parsePricingOverrides(json, 'SAGENT_PRICING');
}

const DEFAULT_PRICING = new Pricing();

export function priceOf(model: string): ModelPrice {
  return DEFAULT_PRICING.priceOf(model);
}

export function costUsd(model: string, usage: BilledUsage): number {
  return DEFAULT_PRICING.costUsd(model, usage);
}
