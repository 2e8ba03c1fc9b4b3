/**
 * An eval's report: a verdict per case (`passed | scored | failed`), the table a person reads, the JSON a baseline
 * is stored as, and the comparison with a baseline that says what got better or worse.
 */
import { z } from 'zod';
import type { ExpectationResult } from './expectations';

/** A case's verdict: every gate passed, passed with a score below 1, or a gate failed. */
export type Verdict = 'passed' | 'scored' | 'failed';

/** One run of a case, as the report lists it: its link, status, steps, tokens, cost and latency. */
export interface RunSummary {
  workflowId: string;
  uiUrl: string;
  status: string;
  steps: number;
  tokens: number;
  costUsd: number;
  latencyMs: number;
  /** The tools the model asked for, in order. */
  calls: string[];
  error: string | null;
}

/** One case's verdict over its runs, with the expectations that failed. */
export interface CaseReport {
  name: string;
  verdict: Verdict;
  /** Means over the case's runs. */
  steps: number;
  tokens: number;
  costUsd: number;
  latencyMs: number;
  runs: RunSummary[];
  expectations: ExpectationResult[];
}

/** A suite's report: every case's verdict and runs, comparable with a baseline report. */
export interface EvalReport {
  suite: string;
  file: string;
  environment: string;
  model: string | null;
  startedAt: string;
  durationMs: number;
  cases: CaseReport[];
}

/** `failed` when a gate fails; else `scored` when a score is below its threshold; else `passed`. */
export function caseVerdict(expectations: readonly ExpectationResult[]): Verdict {
  if (expectations.some((result) => result.mode === 'gate' && !result.passed)) return 'failed';
  if (expectations.some((result) => result.mode === 'score' && !result.passed)) return 'scored';
  return 'passed';
}

/** The report as a table: one row per case, the first failing expectation and why, the UI link of its first run. */
export function reportRows(report: EvalReport): string[][] {
  return report.cases.map((c) => {
    const failing = c.expectations.find((result) => !result.passed);
    return [
      c.name,
      c.verdict,
      formatNumber(c.steps),
      formatNumber(c.tokens),
      `$${c.costUsd.toFixed(4)}`,
      `${(c.latencyMs / 1000).toFixed(1)} s`,
      failing ? `${failing.label}: ${failing.why ?? `score ${failing.score.toFixed(2)} < ${failing.threshold}`}` : '',
      c.runs[0]?.uiUrl ?? '',
    ];
  });
}

/** The columns of the report table `sagent eval` prints. */
export const REPORT_HEADERS = ['case', 'verdict', 'steps', 'tokens', 'cost', 'latency', 'failed expectation', 'UI'];

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** What one case did against the baseline. */
export interface CaseChange {
  name: string;
  kind: 'regression' | 'improvement' | 'changed' | 'new' | 'missing';
  what: string;
}

const VERDICT_RANK: Record<Verdict, number> = { failed: 0, scored: 1, passed: 2 };

/**
 * Compares a report with a baseline: a verdict that got worse, or an expectation whose score fell by more than
 * `threshold`, is a regression; the reverse an improvement.
 */
export function compareReports(baseline: EvalReport, current: EvalReport, threshold = 0.1): CaseChange[] {
  const changes: CaseChange[] = [];
  for (const now of current.cases) {
    const before = baseline.cases.find((c) => c.name === now.name);
    if (!before) {
      changes.push({ name: now.name, kind: 'new', what: `not in the baseline; ${now.verdict} now` });
      continue;
    }
    if (VERDICT_RANK[now.verdict] !== VERDICT_RANK[before.verdict]) {
      const kind = VERDICT_RANK[now.verdict] < VERDICT_RANK[before.verdict] ? 'regression' : 'improvement';
      changes.push({ name: now.name, kind, what: `verdict ${before.verdict} → ${now.verdict}` });
    }
    for (const result of now.expectations) {
      const old = before.expectations.find((candidate) => candidate.label === result.label);
      if (!old || result.skipped || old.skipped) continue;
      const delta = result.score - old.score;
      if (Math.abs(delta) <= threshold) continue;
      const why = delta < 0 && result.why ? `: ${result.why}` : '';
      changes.push({
        name: now.name,
        kind: delta < 0 ? 'regression' : 'improvement',
        what: `${result.label} ${old.score.toFixed(2)} → ${result.score.toFixed(2)}${why}`,
      });
    }
    if (now.steps !== before.steps) changes.push({ name: now.name, kind: 'changed', what: `steps ${formatNumber(before.steps)} → ${formatNumber(now.steps)}` });
    const callsBefore = before.runs[0]?.calls.join(' ') ?? '';
    const callsNow = now.runs[0]?.calls.join(' ') ?? '';
    if (callsBefore !== callsNow && !changes.some((change) => change.name === now.name && change.kind !== 'changed')) {
      changes.push({ name: now.name, kind: 'changed', what: `calls changed (${callsBefore || 'none'} → ${callsNow || 'none'}), expectations unchanged` });
    }
  }
  for (const before of baseline.cases) {
    if (!current.cases.some((c) => c.name === before.name)) changes.push({ name: before.name, kind: 'missing', what: 'in the baseline, not run now' });
  }
  return changes;
}

const reportSchema = z
  .object({
    suite: z.string(),
    cases: z.array(
      z
        .object({
          name: z.string(),
          verdict: z.enum(['passed', 'scored', 'failed']),
          runs: z.array(z.object({ calls: z.array(z.string()) }).passthrough()),
          expectations: z.array(z.object({ label: z.string(), score: z.number() }).passthrough()),
        })
        .passthrough(),
    ),
  })
  .passthrough();

/** Reads stored reports (one report, or an array of them as `--json` writes for several suites). */
export function parseReports(value: unknown, file: string): EvalReport[] {
  const parsed = z.union([reportSchema, z.array(reportSchema)]).safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `baseline ${file}: not an eval report (${issue.path.join('.') || 'top level'}: ${issue.message}); write one with \`sagent eval <suite> --json <file>\``,
    );
  }
  return (Array.isArray(parsed.data) ? parsed.data : [parsed.data]) as unknown as EvalReport[];
}
