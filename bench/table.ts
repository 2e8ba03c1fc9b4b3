/**
 * The printed table: one row per figure, sagent next to its baseline and the peer (`@temporalio/ai-sdk`),
 * with the target where there is one. `ratio` is sagent ÷ baseline, `÷ peer` sagent ÷ peer.
 */
import type { BenchResults } from './run';
import type { TokenResult } from './tokens';
import type { ThreadCpu } from './proc';
import { ratioSpread, spreadText as spread } from './stats';

type Cell = string | number | null;
interface Row {
  figure: string;
  sagent: Cell;
  baseline: Cell;
  ratio?: Cell;
  peer?: Cell;
  peerRatio?: Cell;
  target?: string;
  met?: boolean | null;
}

const MB = 1024 * 1024;

export function renderTable(results: BenchResults): string {
  const { overhead, history, throughput, tokens, replay, environment: env } = results;
  const rows: (Row | string)[] = [];
  const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(3) : null);

  /** A row with sagent, baseline and peer values and both ratios. */
  const three = (figure: string, sagent: number, baseline: number, peer: number, extra: Partial<Row> = {}): Row => ({
    figure,
    sagent,
    baseline,
    ratio: ratio(sagent, baseline),
    peer,
    peerRatio: ratio(sagent, peer),
    ...extra,
  });

  rows.push(`1. Overhead per step (weather workload, ${overhead.steps} steps, median of ${overhead.repeats}) · baseline: plainLoop · peer: @temporalio/ai-sdk`);
  const op = overhead.peer;
  rows.push(
    three('ms per step', overhead.sagentMsPerStep, overhead.baselineMsPerStep, op.msPerStep, {
      ratio: overhead.ratio.toFixed(3),
      target: 'ratio ≤ 1.05',
      met: overhead.ratio <= 1.05,
    }),
  );
  rows.push({ figure: '  sagent − plain, ms per step', sagent: (overhead.sagentMsPerStep - overhead.baselineMsPerStep).toFixed(2), baseline: null });
  // Each repeat runs both sides one after the other: the ratio per repeat shows how far the machine moved the median's.
  const perRepeat = ratioSpread(overhead.sagentSamplesMs, overhead.baselineSamplesMs);
  rows.push({ figure: `  sagent ÷ plain per repeat (${perRepeat.pairs.length} pairs)`, sagent: spread(perRepeat), baseline: null });
  const oq = overhead.sagentQuery;
  rows.push(three('  contexts by query only: ms per step', oq.msPerStep, overhead.baselineMsPerStep, op.msPerStep));
  rows.push(
    three(
      '  contexts by query only: model activity ms',
      oq.breakdown.modelActivityMs,
      overhead.baselineBreakdown.modelActivityMs,
      op.breakdown.modelActivityMs,
    ),
  );
  rows.push(three('  contexts by query only: worker CPU ms/step', oq.workerCpuMsPerStep, overhead.baselineWorkerCpuMsPerStep, op.workerCpuMsPerStep));
  const [sb, bb, pb] = [overhead.sagentBreakdown, overhead.baselineBreakdown, op.breakdown];
  rows.push(three('  model activity ms (median)', sb.modelActivityMs, bb.modelActivityMs, pb.modelActivityMs));
  rows.push(three('  tool activity ms (median)', sb.toolActivityMs, bb.toolActivityMs, pb.toolActivityMs));
  rows.push(three('  workflow task wait ms (median)', sb.workflowTaskWaitMs, bb.workflowTaskWaitMs, pb.workflowTaskWaitMs));
  rows.push(three('  workflow task run ms (median)', sb.workflowTaskRunMs, bb.workflowTaskRunMs, pb.workflowTaskRunMs));
  rows.push(three('  worker CPU ms per step (median)', overhead.sagentWorkerCpuMsPerStep, overhead.baselineWorkerCpuMsPerStep, op.workerCpuMsPerStep));

  rows.push('2. History growth (reference workload, one run per size) · baseline: naiveLoop · peer: @temporalio/ai-sdk');
  const ended = (point: { status: string; stepsDone: number }) => (point.status === 'COMPLETED' ? '' : ` (${point.status} at step ${point.stepsDone})`);
  history.sagent.forEach((point, index) => {
    const naive = history.naive[index];
    const peer = history.peer[index];
    rows.push({
      figure: `bytes @ ${point.steps} steps`,
      sagent: point.bytes,
      baseline: `${naive.bytes}${ended(naive)}`,
      ratio: ratio(point.bytes, naive.bytes),
      peer: `${peer.bytes}${ended(peer)}`,
      peerRatio: ratio(point.bytes, peer.bytes),
    });
    rows.push(
      three(
        `  bytes/step @ ${point.steps}`,
        point.bytesPerStep,
        naive.bytesPerStep,
        peer.bytesPerStep,
        point === history.sagent.at(-1) ? { target: '≤ 4096', met: point.bytesPerStep <= 4096 } : {},
      ),
    );
    rows.push(three(`  events @ ${point.steps}`, point.events, naive.events, peer.events));
  });
  const largest = history.sagent.at(-1);
  if (history.sagentGrowthRatio !== null && largest) {
    rows.push({
      figure: `bytes/step @ ${largest.steps} ÷ @ 30`,
      sagent: history.sagentGrowthRatio,
      baseline: growthOf(history.naive, largest.steps),
      peer: growthOf(history.peer, largest.steps),
      target: '≤ 1.10',
      met: history.sagentGrowthRatio <= 1.1,
    });
  }
  const suggested = history.naiveContinueAsNewSuggestedAtStep;
  const sagentSuggested = history.sagent.find((point) => point.continueAsNewSuggestedAtStep !== null);
  const peerSuggested = history.peer.find((point) => point.continueAsNewSuggestedAtStep !== null);
  const longest = Math.max(...history.sagent.map((point) => point.steps));
  rows.push({
    figure: 'continueAsNewSuggested first at step',
    sagent: sagentSuggested ? `${sagentSuggested.continueAsNewSuggestedAtStep} (at ${sagentSuggested.historyBytesWhenSuggested} B)` : `not within ${longest}`,
    baseline: suggested === null ? 'never' : `${suggested} (at ${history.naiveHistoryBytesWhenSuggested} B)`,
    peer: peerSuggested ? `${peerSuggested.continueAsNewSuggestedAtStep} (at ${peerSuggested.historyBytesWhenSuggested} B)` : `not within ${longest}`,
  });
  const terminatedAt = (points: BenchResults['history']['naive']) => {
    const cut = points.find((point) => point.status === 'TERMINATED');
    return cut ? cut.stepsDone : `not within ${longest}`;
  };
  rows.push({
    figure: 'terminated by the server at step',
    sagent: terminatedAt(history.sagent),
    baseline: terminatedAt(history.naive),
    peer: terminatedAt(history.peer),
  });
  const long = history.longRun;
  rows.push({ figure: `${long.steps}-step run: runs in chain`, sagent: long.runs, baseline: null });
  rows.push({ figure: `${long.steps}-step run: bytes, whole chain`, sagent: long.totalBytes, baseline: null });
  rows.push({
    figure: `${long.steps}-step run: largest run bytes`,
    sagent: long.maxRunBytes,
    baseline: null,
    target: '≤ 10 MB',
    met: long.maxRunBytes <= 10 * MB,
  });
  rows.push({ figure: `${long.steps}-step run: largest run events`, sagent: long.maxRunEvents, baseline: null });
  rows.push({
    figure: `${long.steps}-step run: largest ÷ first full link (${long.firstFullLinkBytes} B), wall s`,
    sagent: long.maxOverFirstFull,
    baseline: Math.round(long.wallMs / 1000),
    target: '≤ 1.10',
    met: long.maxOverFirstFull !== null && long.maxOverFirstFull <= 1.1,
  });

  rows.push(
    `3. Throughput (${throughput.runs} concurrent ${throughput.steps}-step runs, weather workload, median of ${throughput.repeats} alternating bursts; each worker its own process) · baseline: plainLoop · peer: @temporalio/ai-sdk`,
  );
  const [ts, tb, tp] = [throughput.sagent, throughput.baseline, throughput.peer];
  const side = (figure: string, pick: (side: typeof ts) => number) => rows.push(three(figure, pick(ts), pick(tb), pick(tp)));
  side('wall time ms', (t) => t.wallMs);
  side('runs/s', (t) => t.runsPerSecond);
  const steps = ratio(ts.stepsPerSecond, tb.stepsPerSecond);
  rows.push(
    three('steps/s', ts.stepsPerSecond, tb.stepsPerSecond, tp.stepsPerSecond, {
      target: 'ratio ≥ 0.95, > peer',
      met: Number(steps) >= 0.95 && ts.stepsPerSecond > tp.stepsPerSecond,
    }),
  );
  const paired = throughput.pairedRatios;
  if (paired) {
    rows.push({
      figure: `  sagent ÷ plain per burst pair, steps/s (${paired.stepsPerSecond.pairs.length} pairs)`,
      sagent: spread(paired.stepsPerSecond),
      baseline: null,
      target: 'median ≥ 0.95',
      met: paired.stepsPerSecond.median >= 0.95,
    });
    rows.push({
      figure: '  sagent ÷ plain per burst pair, worker CPU ms/step',
      sagent: spread(paired.workerCpuMsPerStep),
      baseline: null,
      target: 'median ≤ 1.10',
      met: paired.workerCpuMsPerStep.median <= 1.1,
    });
  }
  side('p50 run latency ms', (t) => t.p50LatencyMs);
  side('p99 run latency ms', (t) => t.p99LatencyMs);
  side('worker CPU ms per step', (t) => t.workerCpuMsPerStep);
  // Bursts measured before the split was recorded have none.
  const thread = (name: keyof ThreadCpu) => (t: typeof ts) => t.workerThreadCpuMsPerStep?.[name] ?? Number.NaN;
  side('  of which main thread (activities)', thread('main'));
  side('  of which workflow thread (workflow code)', thread('workflowThread'));
  side("  of which Temporal core's threads", thread('core'));
  side('  of which the rest (GC, compilation, libuv)', thread('rest'));
  side('  worker CPU, cores busy', (t) => t.workerCpuCores);
  side('worker RSS lowest start MB', (t) => t.workerRssStartMb);
  rows.push(
    three('worker RSS highest peak MB', ts.workerRssPeakMb, tb.workerRssPeakMb, tp.workerRssPeakMb, { target: '≤ 400', met: ts.workerRssPeakMb <= 400 }),
  );
  const tq = throughput.sagentQuery;
  rows.push(three('  contexts by query only: steps/s', tq.stepsPerSecond, tb.stepsPerSecond, tp.stepsPerSecond));
  rows.push(three('  contexts by query only: p50 latency ms', tq.p50LatencyMs, tb.p50LatencyMs, tp.p50LatencyMs));
  rows.push(three('  contexts by query only: worker CPU ms/step', tq.workerCpuMsPerStep, tb.workerCpuMsPerStep, tp.workerCpuMsPerStep));

  rows.push(...tokenRows(tokens));

  rows.push(
    `5. Replay of a ${replay.steps}-step history (Worker.runReplayHistory, median of ${replay.repeats}, sagent's and plain's alternating) · baseline: plainLoop · peer: @temporalio/ai-sdk, its own SDK`,
  );
  const rp = replay.peer;
  rows.push(three('replay ms', replay.sagent.medianMs, replay.baseline.medianMs, rp.medianMs));
  const replayPairs = replay.pairedRatio;
  if (replayPairs) {
    rows.push({
      figure: `  sagent ÷ plain per replay pair (${replayPairs.pairs.length} pairs)`,
      sagent: spread(replayPairs),
      baseline: null,
      target: 'median ≤ 1.2',
      met: replayPairs.median <= 1.2,
    });
  }
  rows.push({
    figure: '  history events / bytes',
    sagent: `${replay.sagent.events} / ${replay.sagent.bytes}`,
    baseline: `${replay.baseline.events} / ${replay.baseline.bytes}`,
    peer: `${rp.events} / ${rp.bytes}${rp.status === 'COMPLETED' ? '' : ` (${rp.status})`}`,
  });

  const header = `sagent benchmarks (${results.mode}) · ${env.date} · nproc ${env.nproc} · node ${env.node} · ${env.temporalCli} · ${results.durationSeconds}s · load ${env.loadAverage1mAtStart} → ${env.loadAverage1m}`;
  const peerLine = `peer: ${env.peer} · worker processes: ${env.workers}`;
  return [header, peerLine, '', ...format(rows)].join('\n');
}

/** Section 4 alone, as `npx tsx bench/tokens.ts` prints it. */
export function renderTokenTable(tokens: TokenResult): string {
  return format(tokenRows(tokens)).join('\n');
}

function tokenRows(tokens: TokenResult): (Row | string)[] {
  const rows: (Row | string)[] = [];
  const ratio = (a: number, b: number) => (b !== 0 ? (a / b).toFixed(3) : null);
  rows.push(
    "4. Input tokens per reference run (scripted model's count; billed-equivalent = uncached + 0.1× cache reads + 1.25× cache writes) · baseline: naive loop with cache_control (docs), naive loop without",
  );
  for (const point of tokens.points) {
    const { sagent, naiveCached, naive } = point;
    rows.push({
      figure: `billed-equivalent @ ${point.steps} steps`,
      sagent: sagent.billedEquivalent,
      baseline: `${naiveCached.billedEquivalent} cached · ${naive.billedEquivalent} uncached`,
      ratio: point.billedVsCached.toFixed(3),
      target: '≤ 1 (cached)',
      met: point.billedVsCached <= 1,
    });
    rows.push({
      figure: `  largest request @ ${point.steps}`,
      sagent: sagent.largestRequest,
      baseline: `${naiveCached.largestRequest} cached · ${naive.largestRequest} uncached`,
      ratio: ratio(sagent.largestRequest, naiveCached.largestRequest),
    });
    rows.push({
      figure: `  total input @ ${point.steps} (reads in full)`,
      sagent: sagent.totalInput,
      baseline: `${naiveCached.totalInput} cached · ${naive.totalInput} uncached`,
      ratio: point.totalVsUncached.toFixed(3),
    });
    rows.push({
      figure: `  uncached/read/write @ ${point.steps}`,
      sagent: `${sagent.uncached}/${sagent.cacheRead}/${sagent.cacheWrite}`,
      baseline: `${naiveCached.uncached}/${naiveCached.cacheRead}/${naiveCached.cacheWrite} cached`,
    });
  }
  if (tokens.largestGrowth !== null) {
    const last = tokens.points.at(-1)!;
    // Flat: a compaction cycle's peak moves by up to a turn with the turns' sizes, and a longer run sees more cycles.
    rows.push({
      figure: `largest request @ ${last.steps} ÷ @ 100`,
      sagent: tokens.largestGrowth,
      baseline: ratio(last.naiveCached.largestRequest, tokens.points.find((point) => point.steps === 100)!.naiveCached.largestRequest),
      target: '≤ 1.05 (flat)',
      met: tokens.largestGrowth <= 1.05,
    });
  }
  const every = tokens.everyLength;
  const behind = every.behind.length === 0 ? 'none' : `${every.behind.length} (${spans(every.behind)})`;
  rows.push({ figure: `  lengths 1-${every.upTo} where sagent > cached`, sagent: behind, baseline: null });
  if (every.worstAt !== null)
    rows.push({
      figure: '  largest deficit there',
      sagent: `${every.worstDeficit} at ${every.worstAt} steps (${pct(every.worstDeficitShare)})`,
      baseline: null,
    });
  const check = tokens.crossCheck;
  rows.push({
    figure: `naive, Temporal vs direct @ ${check.steps} (total)`,
    sagent: null,
    baseline: `${check.temporal} vs ${check.direct}`,
    target: 'equal',
    met: check.temporal === check.direct,
  });
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
  const columns = ['figure', 'sagent', 'baseline', 'ratio', 'peer', 'peerRatio', 'target', 'met'] as const;
  const titles: Record<(typeof columns)[number], string> = {
    figure: 'figure',
    sagent: 'sagent',
    baseline: 'baseline',
    ratio: 'ratio',
    peer: 'peer',
    peerRatio: '÷ peer',
    target: 'target',
    met: 'met',
  };
  const text = (row: Row, column: (typeof columns)[number]): string => {
    if (column === 'met') return row.met === undefined || row.met === null ? '' : row.met ? 'yes' : 'NO';
    const value = row[column];
    return value === undefined || value === null ? '' : String(value);
  };
  const tableRows = rows.filter((row): row is Row => typeof row !== 'string');
  const widths = columns.map((column) => Math.max(titles[column].length, ...tableRows.map((row) => text(row, column).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((column) => titles[column])), line(widths.map((width) => '-'.repeat(width)))];
  for (const row of rows) out.push(typeof row === 'string' ? row : line(columns.map((column) => text(row, column))));
  return out;
}
