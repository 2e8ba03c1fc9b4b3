/**
 * The benchmark's paired ratios: sagent ÷ plain per pair of neighbouring samples, with the median and interquartile
 * range the table prints; and the table's per-repeat row for the sequential section, from the samples of a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ratioSpread } from '../../bench/stats';
import { renderTable } from '../../bench/table';
import type { BenchResults } from '../../bench/run';

describe('bench/stats ratioSpread', () => {
  it('divides pair by pair, not median by median, and reports the median and quartiles of the pairs', () => {
    // The medians (17.5 and 10) would say 1.75; the pairs say 1.5 (one pair is 3.0, the rest 1.5 or less).
    const spread = ratioSpread([30, 15, 20, 12], [10, 10, 20, 8]);
    expect(spread.pairs).toEqual([3, 1.5, 1, 1.5]);
    expect(spread.median).toBe(1.5);
    expect(spread.p25).toBeLessThanOrEqual(spread.median);
    expect(spread.p75).toBeGreaterThanOrEqual(spread.median);
    expect(spread.iqr).toBeCloseTo(spread.p75 - spread.p25, 3);
  });
});

describe('bench/table', () => {
  it("prints the sequential section's ratio per repeat from the run's own samples", () => {
    const results = JSON.parse(fs.readFileSync(path.join(__dirname, '../../bench/results/latest.json'), 'utf8')) as BenchResults;
    const { sagentSamplesMs, baselineSamplesMs } = results.overhead;
    const pairs = sagentSamplesMs.map((ms, index) => ms / baselineSamplesMs[index]).sort((a, b) => a - b);
    const middle = pairs.length % 2 ? pairs[(pairs.length - 1) / 2] : (pairs[pairs.length / 2 - 1] + pairs[pairs.length / 2]) / 2;
    const row = renderTable(results)
      .split('\n')
      .find((line) => line.includes('sagent ÷ plain per repeat'));
    expect(row).toContain(`(${pairs.length} pairs)`);
    const printed = Number(/per repeat \(\d+ pairs\)\s+([\d.]+) \(IQR/.exec(row ?? '')?.[1]);
    expect(printed).toBeCloseTo(middle, 2);
  });
});
