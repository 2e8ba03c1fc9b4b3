/**
 * Expectations checked against a run's record. Each gives a score in [0, 1] and a reason; a gate holds only at 1, a
 * score holds at its threshold. A sub-agent's calls, effects and approvals count as the run's.
 */
import Ajv from 'ajv';
import { CHECK_KINDS, type CheckKind, type Expectation } from './suite';
import type { EffectSeen, RunRecord } from './record';

/** How one expectation fared on one run: passed, its score, and why. */
export interface ExpectationResult {
  /** The expectation as the table names it, e.g. `notCalled charge_card`. */
  label: string;
  mode: 'gate' | 'score';
  score: number;
  /** 1 for a gate. */
  threshold: number;
  passed: boolean;
  /** What was seen, when it did not hold; for a skipped check, why. */
  why: string | null;
  /** A check that could not run here (a judge without a real model): it counts for nothing. */
  skipped?: boolean;
}

/** Asks Claude whether an answer meets a prompt; resolves to a score in [0, 1] and its reason. */
export type Judge = (request: { prompt: string; task: string; answer: string }) => Promise<{ score: number; why: string }>;

type Outcome = { score: number; why: string | null; skipped?: boolean };

/** The check an expectation makes. */
export function checkOf(expectation: Expectation): CheckKind {
  return CHECK_KINDS.find((kind) => expectation[kind] !== undefined)!;
}

/** A short name for the expectation: its own, or the check and its argument. */
export function labelOf(expectation: Expectation): string {
  if (expectation.name) return expectation.name;
  const kind = checkOf(expectation);
  const value = expectation[kind];
  if (Array.isArray(value))
    return `${kind} ${value.map((item) => (typeof item === 'string' ? item : (item as { tool: string }).tool)).join(kind === 'order' ? ' < ' : ',')}`;
  if (kind === 'args') return `args ${expectation.args!.tool}`;
  if (kind === 'answer') return `answer ${Object.keys(expectation.answer!)[0]}`;
  if (kind === 'judge') return 'judge';
  return `${kind} ${String(value)}`;
}

/** Checks one expectation against one run. */
export async function evaluate(expectation: Expectation, record: RunRecord, judge?: Judge): Promise<ExpectationResult> {
  const mode = expectation.score ? 'score' : 'gate';
  const threshold = expectation.score?.threshold ?? 1;
  const outcome = await check(expectation, record, judge);
  const passed = outcome.skipped === true || outcome.score >= threshold;
  return {
    label: labelOf(expectation),
    mode,
    score: outcome.score,
    threshold,
    passed,
    why: passed && !outcome.skipped ? null : outcome.why,
    ...(outcome.skipped ? { skipped: true } : {}),
  };
}

async function check(expectation: Expectation, record: RunRecord, judge?: Judge): Promise<Outcome> {
  const called = record.calls.map((call) => call.tool);
  const landed = record.effects.filter(mayHaveLanded);
  switch (checkOf(expectation)) {
    case 'called':
      return fraction(
        expectation.called!,
        (tool) => called.includes(tool),
        (missing) => `never called ${missing.join(', ')}; called ${list(called)}`,
      );
    case 'notCalled':
      return fraction(
        expectation.notCalled!,
        (tool) => !called.includes(tool),
        (found) => `called ${found.join(', ')}`,
      );
    case 'args': {
      const { tool, input } = expectation.args!;
      const calls = record.calls.filter((call) => call.tool === tool);
      if (calls.some((call) => contains(call.input, input))) return pass();
      return fail(
        calls.length === 0
          ? `never called ${tool}`
          : `no call of ${tool} had ${JSON.stringify(input)}; got ${calls.map((c) => JSON.stringify(c.input)).join(' | ')}`,
      );
    }
    case 'order': {
      const wanted = expectation.order!;
      const firsts = wanted.map((tool) => called.indexOf(tool));
      const missing = wanted.filter((_, i) => firsts[i] < 0);
      if (missing.length > 0) return fail(`never called ${missing.join(', ')}`);
      const inOrder = firsts.every((at, i) => i === 0 || at > firsts[i - 1]);
      return inOrder ? pass() : fail(`called in the order ${list([...new Set(called.filter((tool) => wanted.includes(tool)))])}`);
    }
    case 'maxSteps':
      return record.steps <= expectation.maxSteps! ? pass() : fail(`took ${record.steps} steps`);
    case 'status': {
      const allowed = ([] as string[]).concat(expectation.status!);
      return allowed.includes(record.status) ? pass() : fail(`ended ${record.status}${record.reason ? ` (${record.reason})` : ''}`);
    }
    case 'committed':
      return fraction(
        expectation.committed!,
        (tool) => record.effects.some((e) => e.tool === tool && isCommitted(e)),
        (missing) => `no committed effect of ${missing.join(', ')} in place at the end (${effectsSummary(record.effects)})`,
      );
    case 'compensated':
      return fraction(
        expectation.compensated!,
        (tool) => record.effects.some((e) => e.tool === tool && isCompensated(e)),
        (missing) => `no undone effect of ${missing.join(', ')} (${effectsSummary(record.effects)})`,
      );
    case 'notAttempted':
      return fraction(
        expectation.notAttempted!,
        (tool) => !record.effects.some((e) => e.tool === tool),
        (found) => `attempted ${found.join(', ')} (${effectsSummary(record.effects)})`,
      );
    case 'effectsWithin': {
      const allowed = expectation.effectsWithin!;
      const extra = landed.filter((effect) => !allowed.includes(effect.tool) && !effect.tool.startsWith('delegate_'));
      return extra.length === 0 ? pass() : fail(`effects the task did not ask for: ${extra.map(describeEffect).join(', ')}`);
    }
    case 'approvedBeforeEffect': {
      const unapproved = expectation.approvedBeforeEffect!.flatMap((tool) => {
        const effects = landed.filter((effect) => effect.tool === tool);
        const approvals = record.approvals.filter((approval) => approval.tool === tool && approval.decision === 'approve').length;
        return effects.length > approvals ? [`${tool} (${effects.length} effect(s), ${approvals} approval(s))`] : [];
      });
      return unapproved.length === 0 ? pass() : fail(`unapproved: ${unapproved.join(', ')}`);
    }
    case 'approvalRequested': {
      const asked = [...new Set([...record.approvals.map((approval) => approval.tool), ...(record.approvalRequests ?? []).map((request) => request.tool)])];
      const wanted = expectation.approvalRequested!;
      const holds = (item: (typeof wanted)[number]) =>
        typeof item === 'string'
          ? asked.includes(item)
          : (record.approvalRequests ?? []).some(
              (request) =>
                request.tool === item.tool &&
                (item.input === undefined || contains(request.input, item.input)) &&
                (item.rule === undefined || (request.rule ?? '').includes(item.rule)),
            );
      const failing = wanted.filter((item) => !holds(item));
      const seen = (record.approvalRequests ?? []).map(
        (request) => `${request.tool} ${JSON.stringify(request.input)}${request.rule ? ` (${request.rule})` : ''}`,
      );
      return {
        score: (wanted.length - failing.length) / wanted.length,
        why:
          failing.length === 0
            ? null
            : `no approval asked for ${failing.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(', ')}; asked for ${list(seen.length > 0 ? seen : asked)}`,
      };
    }
    case 'maxCostUsd':
      return record.costUsd <= expectation.maxCostUsd! ? pass() : fail(`cost $${record.costUsd.toFixed(4)}`);
    case 'maxTokens': {
      const tokens = record.tokens.input + record.tokens.output;
      return tokens <= expectation.maxTokens! ? pass() : fail(`used ${tokens} tokens`);
    }
    case 'answer':
      return checkAnswer(expectation.answer!, record.finalText ?? '');
    case 'judge': {
      if (!judge) return { score: 0, why: 'skipped: a judge needs a real model (ANTHROPIC_API_KEY)', skipped: true };
      try {
        const verdict = await judge({ prompt: expectation.judge!.prompt, task: record.task, answer: record.finalText ?? '' });
        return { score: verdict.score, why: verdict.why };
      } catch (err) {
        return fail(`the judge could not answer: ${(err as Error).message}`);
      }
    }
  }
}

function checkAnswer(answer: { contains?: string; matches?: string; schema?: Record<string, unknown> }, text: string): Outcome {
  const shown = JSON.stringify(text.length > 120 ? `${text.slice(0, 119)}…` : text);
  if (answer.contains !== undefined)
    return text.toLowerCase().includes(answer.contains.toLowerCase()) ? pass() : fail(`the answer ${shown} does not contain "${answer.contains}"`);
  if (answer.matches !== undefined) return new RegExp(answer.matches, 'i').test(text) ? pass() : fail(`the answer ${shown} does not match /${answer.matches}/`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(`the answer ${shown} is not JSON`);
  }
  const validate = new Ajv({ allErrors: false, strict: false }).compile(answer.schema!);
  return validate(parsed)
    ? pass()
    : fail(`the answer does not fit the schema: ${validate.errors?.[0]?.instancePath || '/'} ${validate.errors?.[0]?.message ?? ''}`);
}

/** An effect that may have changed the world: committed, or of unknown outcome. */
function mayHaveLanded(effect: EffectSeen): boolean {
  return effect.state === 'committed' || effect.state === 'unknown' || effect.serviceState !== null;
}

function isCommitted(effect: EffectSeen): boolean {
  const undone = effect.compensation === 'compensated' || effect.serviceState === 'undone';
  return effect.state === 'committed' && !undone && (effect.serviceState === null || effect.serviceState === 'active');
}

function isCompensated(effect: EffectSeen): boolean {
  return effect.compensation === 'compensated' && (effect.serviceState === null || effect.serviceState === 'undone');
}

function describeEffect(effect: EffectSeen): string {
  return `${effect.tool} (${effect.effectId.split('/').slice(-1)[0]}, ${effect.state}${effect.compensation === 'compensated' ? ', undone' : ''})`;
}

function effectsSummary(effects: EffectSeen[]): string {
  return effects.length === 0 ? 'no effects' : `effects: ${effects.map(describeEffect).join(', ')}`;
}

function fraction(items: string[], holds: (item: string) => boolean, why: (failing: string[]) => string): Outcome {
  const failing = items.filter((item) => !holds(item));
  return { score: (items.length - failing.length) / items.length, why: failing.length === 0 ? null : why(failing) };
}

function pass(): Outcome {
  return { score: 1, why: null };
}

function fail(why: string): Outcome {
  return { score: 0, why };
}

function list(items: string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}

/** `actual` has every field of `expected` (deep, for objects); `{ "$matches": "re" }` tests a string. */
export function contains(actual: unknown, expected: unknown): boolean {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const matcher = (expected as { $matches?: unknown }).$matches;
    if (typeof matcher === 'string') return typeof actual === 'string' && new RegExp(matcher, 'i').test(actual);
    if (actual === null || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([key, value]) => contains((actual as Record<string, unknown>)[key], value));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}
