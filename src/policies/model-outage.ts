/**
 * How a run rides out a model that does not answer: which failures fall back to the next model, which pause the
 * run (and what a person must fix), which end it, how long it waits between tries, and when it gives up. Pure:
 * the time comes in as `nowMs`.
 */
import type { ModelBook, ModelOutageSettings } from '../shared/run';
import type { ModelTurn } from '../shared/wire';
import { addUsage, ZERO_USAGE } from './budget';

export const DEFAULT_MODEL_OUTAGE: Omit<ModelOutageSettings, 'fallbackModels'> = {
  fallbackAfter: 3,
  attemptsPerModel: 4,
  retryInitialMs: 30_000,
  retryMaxMs: 10 * 60 * 1000,
  horizonMs: 6 * 60 * 60 * 1000,
  fallbackCooldownMs: 10 * 60 * 1000,
};

export function resolveModelOutage(fallbackModels: readonly string[] | undefined, partial: Partial<ModelOutageSettings> | undefined): ModelOutageSettings {
  const given = Object.fromEntries(Object.entries(partial ?? {}).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_MODEL_OUTAGE, ...given, fallbackModels: [...(fallbackModels ?? [])] };
}

/**
 * What one failed model call means for the run:
 * - `overloaded`: the provider said overloaded or rate-limited; the next model in the list gets the next attempt;
 * - `unavailable`: down for now (5xx, timeouts, connection errors); the run pauses and tries again later;
 * - `fixable`: only a person can fix it (a revoked key, a missing model, a spend limit); the run pauses, saying what;
 * - `fatal`: nobody can fix it (the API rejects the request as invalid); the saga ends as it always did.
 */
export type ModelFailureKind = { kind: 'overloaded' } | { kind: 'unavailable' } | { kind: 'fixable'; fix: string } | { kind: 'fatal' };

/** Reads a failure by its dotted type (`ModelInvocationError.Overloaded`, from the worker's classification). */
export function classifyModelFailure(type: string | undefined, model: string): ModelFailureKind {
  switch (type) {
    case 'ModelInvocationError.Overloaded':
    case 'ModelInvocationError.RateLimit':
      return { kind: 'overloaded' };
    case 'ModelInvocationError.Authentication':
      return { kind: 'fixable', fix: 'the API key was refused (401 authentication_error, revoked or invalid): give the workers a valid ANTHROPIC_API_KEY' };
    case 'ModelInvocationError.PermissionDenied':
      return { kind: 'fixable', fix: `the API key may not use ${model} (403 permission_error): grant the key access or name another model` };
    case 'ModelInvocationError.NotFound':
      return { kind: 'fixable', fix: `the model ${model} was not found (404 not_found_error): check the model name and the account's access` };
    case 'ModelInvocationError.SpendLimit':
      return { kind: 'fixable', fix: "the account's spend limit or credit is used up: raise it in the provider's console" };
    case 'ModelInvocationError.BadRequest':
    case 'ModelInvocationError.RequestTooLarge':
    case 'ModelInvocationError.Unprocessable':
    case 'ModelInvocationError.AnswerTooLarge':
      return { kind: 'fatal' };
    default:
      return { kind: 'unavailable' };
  }
}

/** The models one call tries, in order: the chosen one, then the fallbacks (each once). */
export function modelsToTry(chosen: string, settings: ModelOutageSettings): string[] {
  return [chosen, ...settings.fallbackModels.filter((model) => model !== chosen)].filter((model, index, all) => all.indexOf(model) === index);
}

/** Where a call starts in its list: at the model it fell back to, while that fallback's cool-down lasts. */
export function startIndex(models: readonly string[], fallback: { model: string; untilMs: number } | null, nowMs: number): number {
  if (!fallback || nowMs >= fallback.untilMs) return 0;
  return Math.max(0, models.indexOf(fallback.model));
}

/** Attempts of one model within one call: capped while another model is left, so the fallback gets its turn. */
export function attemptsFor(settings: ModelOutageSettings, hasNext: boolean): number {
  return hasNext ? settings.fallbackAfter : settings.attemptsPerModel;
}

export type OutageVerdict = { kind: 'wait'; delayMs: number; nextTryAt: string } | { kind: 'give_up'; reason: string };

/**
 * After the `pauses`-th failed round since the outage began at `sinceMs`: wait (doubling from `retryInitialMs` to
 * `retryMaxMs`, never past the horizon), or give up once the horizon the run set has passed.
 */
export function outageVerdict(settings: ModelOutageSettings, sinceMs: number, pauses: number, nowMs: number): OutageVerdict {
  const deadline = sinceMs + settings.horizonMs;
  if (nowMs >= deadline) {
    return {
      kind: 'give_up',
      reason: `the model stayed unavailable for ${describeMs(nowMs - sinceMs)}, past the ${describeMs(settings.horizonMs)} the run allows (modelOutage.horizonMs)`,
    };
  }
  const grown = settings.retryInitialMs * 2 ** Math.min(pauses, 30);
  const delayMs = Math.max(1, Math.min(grown, settings.retryMaxMs, deadline - nowMs));
  return { kind: 'wait', delayMs, nextTryAt: new Date(nowMs + delayMs).toISOString() };
}

/** "90s", "12m", "6h": how long, as people say it. */
export function describeMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 2 * 60 * 60 * 1000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round((ms / 3_600_000) * 10) / 10}h`;
}

/**
 * The book of models after `model` answered: its usage and cost, one more switch when the run's previous turn was
 * answered by another model (the prompt cache is per model, so that turn starts cold), one more fallback when the
 * turn was answered by a fallback rather than the model the run chose.
 */
export function bookModelTurn(book: ModelBook | undefined, model: string, answer: ModelTurn, previous: string | null, fellBack: boolean): ModelBook {
  const usage = { ...(book?.usage ?? {}) };
  usage[model] = addUsage(usage[model] ?? ZERO_USAGE, answer.usage, answer.cost_usd);
  const switched = previous !== null && previous !== model;
  return { usage, switches: (book?.switches ?? 0) + (switched ? 1 : 0), fallbacks: (book?.fallbacks ?? 0) + (fellBack ? 1 : 0), last: model };
}
