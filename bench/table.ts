/** The printed table: one row per figure, sagent next to its baseline, with the target where there is one. */
import type { BenchResults } from './run';
import type { TokenResult } from './tokens';

type Cell = string | number | null;
interface Row {
  figure: string;
  sagent: Cell;
  baseline: Cell;
  ratio?: Cell;
  target?: string;
  met?: boolean | null;
}

const MB = 1024 * 1024;

export function renderTable(results: BenchResults): string {
  const { overhead, history, throughput, tokens, replay, environment: env } = results;
  const rows: (Row | string)[] = [];
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(3) : null);

  rows.push(`1. Overhead per step (weather workload, ${overhead.steps} steps, median of ${overhead.repeats}) · baseline: plainLoop`);
  rows.push({ figure: 'ms per step', sagent: overhead.sagentMsPerStep, baseline: overhead.baselineMsPerStep, ratio: overhead.ratio.toFixed(3), target: 'ratio ≤ 1.15', met: overhead.ratio <= 1.15 });
  rows.push({ figure: '  sagent − plain, ms per step', sagent: (overhead.sagentMsPerStep - overhead.baselineMsPerStep).toFixed(2), baseline: null });
  const [sb, bb] = [overhead.sagentBreakdown, overhead.baselineBreakdown];
  rows.push({ figure: '  model activity ms (median)', sagent: sb.modelActivityMs, baseline: bb.modelActivityMs, ratio: ratio(sb.modelActivityMs, bb.modelActivityMs) });
  rows.push({ figure: '  tool activity ms (median)', sagent: sb.toolActivityMs, baseline: bb.toolActivityMs, ratio: ratio(sb.toolActivityMs, bb.toolActivityMs) });
  rows.push({ figure: '  workflow task wait ms (median)', sagent: sb.workflowTaskWaitMs, baseline: bb.workflowTaskWaitMs, ratio: ratio(sb.workflowTaskWaitMs, bb.workflowTaskWaitMs) });
  rows.push({ figure: '  workflow task run ms (median)', sagent: sb.workflowTaskRunMs, baseline: bb.workflowTaskRunMs, ratio: ratio(sb.workflowTaskRunMs, bb.workflowTaskRunMs) });

  rows.push('2. History growth (reference workload, one run per size) · baseline: naiveLoop');
  history.sagent.forEach((point, index) => {
    const naive = history.naive[index];
    const naiveNote = naive.status === 'COMPLETED' ? '' : ` (${naive.status} at step ${naive.stepsDone})`;
    rows.push({ figure: `bytes @ ${point.steps} steps`, sagent: point.bytes, baseline: `${naive.bytes}${naiveNote}`, ratio: ratio(point.bytes, naive.bytes) });
    rows.push({ figure: `  bytes/step @ ${point.steps}`, sagent: point.bytesPerStep, baseline: naive.bytesPerStep, ratio: ratio(point.bytesPerStep, naive.bytesPerStep), ...(point === history.sagent.at(-1) ? { target: '≤ 4096', met: point.bytesPerStep <= 4096 } : {}) });
    rows.push({ figure: `  events @ ${point.steps}`, sagent: point.events, baseline: naive.events, ratio: ratio(point.events, naive.events) });
  });
  const largest = history.sagent.at(-1);
  if (history.sagentGrowthRatio !== null && largest) {
    rows.push({ figure: `bytes/step @ ${largest.steps} ÷ @ 30`, sagent: history.sagentGrowthRatio, baseline: growthOf(history.naive, largest.steps), target: '≤ 1.10', met: history.sagentGrowthRatio <= 1.1 });
  }
  const suggested = history.naiveContinueAsNewSuggestedAtStep;
  const sagentSuggested = history.sagent.find((point) => point.continueAsNewSuggestedAtStep !== null);
  const longest = Math.max(...history.sagent.map((point) => point.steps));
  rows.push({
    figure: 'continueAsNewSuggested first at step',
    sagent: sagentSuggested ? `${sagentSuggested.continueAsNewSuggestedAtStep} (at ${sagentSuggested.historyBytesWhenSuggested} B)` : `not within ${longest}`,
    baseline: suggested === null ? 'never' : `${suggested} (at ${history.naiveHistoryBytesWhenSuggested} B)`,
  });
  const long = history.longRun;
  rows.push({ figure: `${long.steps}-step run: runs in chain`, sagent: long.runs, baseline: null });
  rows.push({ figure: `${long.steps}-step run: bytes, whole chain`, sagent: long.totalBytes, baseline: null });
  rows.push({ figure: `${long.steps}-step run: largest run bytes`, sagent: long.maxRunBytes, baseline: null, target: '≤ 10 MB', met: long.maxRunBytes <= 10 * MB });
  rows.push({ figure: `${long.steps}-step run: largest run events`, sagent: long.maxRunEvents, baseline: null });

  rows.push(`3. Throughput (${throughput.runs} concurrent ${throughput.steps}-step runs, weather workload, median of ${throughput.repeats} bursts; in-process worker) · baseline: plainLoop`);
  const t = throughput;
  rows.push({ figure: 'wall time ms', sagent: t.sagent.wallMs, baseline: t.baseline.wallMs, ratio: ratio(t.sagent.wallMs, t.baseline.wallMs) });
  rows.push({ figure: 'runs/s', sagent: t.sagent.runsPerSecond, baseline: t.baseline.runsPerSecond, ratio: ratio(t.sagent.runsPerSecond, t.baseline.runsPerSecond) });
  rows.push({ figure: 'steps/s', sagent: t.sagent.stepsPerSecond, baseline: t.baseline.stepsPerSecond, ratio: ratio(t.sagent.stepsPerSecond, t.baseline.stepsPerSecond) });
  rows.push({ figure: 'p50 run latency ms', sagent: t.sagent.p50LatencyMs, baseline: t.baseline.p50LatencyMs, ratio: ratio(t.sagent.p50LatencyMs, t.baseline.p50LatencyMs) });
  rows.push({ figure: 'p99 run latency ms', sagent: t.sagent.p99LatencyMs, baseline: t.baseline.p99LatencyMs, ratio: ratio(t.sagent.p99LatencyMs, t.baseline.p99LatencyMs) });
  rows.push({ figure: 'process RSS lowest start MB', sagent: t.sagent.rssStartMb, baseline: t.baseline.rssStartMb });
  rows.push({ figure: 'process RSS highest peak MB', sagent: t.sagent.rssPeakMb, baseline: t.baseline.rssPeakMb, ratio: ratio(t.sagent.rssPeakMb, t.baseline.rssPeakMb) });

  rows.push(...tokenRows(tokens));

  rows.push(`5. Replay of a ${replay.steps}-step history (Worker.runReplayHistory, median of ${replay.repeats}) · baseline: plainLoop`);
  rows.push({ figure: 'replay ms', sagent: replay.sagent.medianMs, baseline: replay.baseline.medianMs, ratio: ratio(replay.sagent.medianMs, replay.baseline.medianMs) });
  rows.push({ figure: '  history events / bytes', sagent: `${replay.sagent.events} / ${replay.sagent.bytes}`, baseline: `${replay.baseline.events} / ${replay.baseline.bytes}` });

  const header = `sagent benchmarks (${results.mode}) · ${env.date} · nproc ${env.nproc} · node ${env.node} · ${env.temporalCli} · ${results.durationSeconds}s · load ${env.loadAverage1mAtStart} → ${env.loadAverage1m}`;
  return [header, '', ...format(rows)].join('\n');
}

/** Section 4 alone, as `npx tsx bench/tokens.ts` prints it. */
export function renderTokenTable(tokens: TokenResult): string {
  return format(tokenRows(tokens)).join('\n');
}

function tokenRows(tokens: TokenResult): (Row | string)[] {
  const rows: (Row | string)[] = [];
  const ratio = (a: number, b: number) => (b !== 0 ? (a / b).toFixed(3) : null);
  rows.push('4. Input tokens per reference run (scripted model\'s count; billed-equivalent = uncached + 0.1× cache reads + 1.25× cache writes) · baseline: naive loop with cache_control (docs), naive loop without');
  for (const point of tokens.points) {
    const { sagent, naiveCached, naive } = point;
    rows.push({ figure: `billed-equivalent @ ${point.steps} steps`, sagent: sagent.billedEquivalent, baseline: `${naiveCached.billedEquivalent} cached · ${naive.billedEquivalent} uncached`, ratio: point.billedVsCached.toFixed(3), target: '≤ 1 (cached)', met: point.billedVsCached <= 1 });
    rows.push({ figure: `  largest request @ ${point.steps}`, sagent: sagent.largestRequest, baseline: `${naiveCached.largestRequest} cached · ${naive.largestRequest} uncached`, ratio: ratio(sagent.largestRequest, naiveCached.largestRequest) });
    rows.push({ figure: `  total input @ ${point.steps} (reads in full)`, sagent: sagent.totalInput, baseline: `${naiveCached.totalInput} cached · ${naive.totalInput} uncached`, ratio: point.totalVsUncached.toFixed(3) });
    rows.push({ figure: `  uncached/read/write @ ${point.steps}`, sagent: `${sagent.uncached}/${sagent.cacheRead}/${sagent.cacheWrite}`, baseline: `${naiveCached.uncached}/${naiveCached.cacheRead}/${naiveCached.cacheWrite} cached` });
  }
  if (tokens.largestGrowth !== null) {
    const last = tokens.points.at(-1)!;
    // Flat: a compaction cycle's peak moves by up to a turn with the turns' sizes, and a longer run sees more cycles.
    rows.push({ figure: `largest request @ ${last.steps} ÷ @ 100`, sagent: tokens.largestGrowth, baseline: ratio(last.naiveCached.largestRequest, tokens.points.find((point) => point.steps === 100)!.naiveCached.largestRequest), target: '≤ 1.05 (flat)', met: tokens.largestGrowth <= 1.05 });
  }
  const every = tokens.everyLength;
  const behind = every.behind.length === 0 ? 'none' : `${every.behind.length} (${spans(every.behind)})`;
  rows.push({ figure: `  lengths 1-${every.upTo} where sagent > cached`, sagent: behind, baseline: null });
  if (every.worstAt !== null) rows.push({ figure: '  largest deficit there', sagent: `${every.worstDeficit} at ${every.worstAt} steps (${pct(every.worstDeficitShare)})`, baseline: null });
  const check = tokens.crossCheck;
  rows.push({ figure: `naive, Temporal vs direct @ ${check.steps} (total)`, sagent: null, baseline: `${check.temporal} vs ${check.direct}`, target: 'equal', met: check.temporal === check.direct });
  return rows;
}

/** 3,4,5,9 → "3-5, 9". */
function spans(values: number[]): string {
  const parts: string[] = [];
  let start = values[0];
  for (let index = 1; index <= values.length; index++) {
    if (index < values.length && values[index] === values[index - 1] + 1) continue;
    parts.push(start === values[index - 1] ? `${start}` : `${start}-${values[index - 1]}`);
    start = values[index];
  }
  return parts.join(', ');
}

function growthOf(points: BenchResults['history']['naive'], steps: number): Cell {
  const at30 = points.find((point) => point.steps === 30);
  const last = points.find((point) => point.steps === steps);
  if (!at30 || !last) return null;
  const value = (last.bytesPerStep / at30.bytesPerStep).toFixed(3);
  return last.status === 'COMPLETED' ? value : `${value} (${last.status})`;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function format(rows: (Row | string)[]): string[] {
  const columns = ['figure', 'sagent', 'baseline', 'ratio', 'target', 'met'] as const;
  const text = (row: Row, column: (typeof columns)[number]): string => {
    if (column === 'met') return row.met === undefined || row.met === null ? '' : row.met ? 'yes' : 'NO';
    const value = row[column];
    return value === undefined || value === null ? '' : String(value);
  };
  const tableRows = rows.filter((row): row is Row => typeof row !== 'string');
  const widths = columns.map((column) => Math.max(column.length, ...tableRows.map((row) => text(row, column).length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line([...columns]), line(widths.map((width) => '-'.repeat(width)))];
  for (const row of rows) out.push(typeof row === 'string' ? row : line(columns.map((column) => text(row, column))));
  return out;
}
