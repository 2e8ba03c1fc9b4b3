/** Small numeric helpers for the benchmark's figures. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A short random tag that keeps workflow ids unique within one benchmark run. */
export function tag(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** A run's result, or an error saying where the run stands when it takes longer than `timeoutMs`. */
export async function resultWithin<T>(
  handle: { workflowId: string; result(): Promise<unknown>; describe(): Promise<{ status: { name: string }; historyLength: number }> },
  timeoutMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Both branches end in reject: the chain cannot fail unobserved.
      void handle
        .describe()
        .then(
          (d) => `${d.status.name}, ${d.historyLength} events`,
          (err) => `describe failed: ${String(err)}`,
        )
        .then((state) => reject(new Error(`${handle.workflowId} did not finish within ${timeoutMs / 1000}s (${state})`)));
    }, timeoutMs);
  });
  try {
    return (await Promise.race([handle.result(), timedOut])) as T;
  } finally {
    clearTimeout(timer);
  }
}

export interface RatioSpread {
  median: number;
  p25: number;
  p75: number;
  /** p75 − p25. */
  iqr: number;
  pairs: number[];
}

/** A paired ratio as the table and the logs print it: its median and interquartile range. */
export function spreadText(r: RatioSpread): string {
  return `${r.median} (IQR ${r.p25}-${r.p75})`;
}

/** The spread of `sagent[i] ÷ baseline[i]` over paired samples (neighbouring bursts, or neighbouring replays). */
export function ratioSpread(sagent: readonly number[], baseline: readonly number[]): RatioSpread {
  const pairs = sagent.map((value, index) => round(value / baseline[index], 3));
  const [p25, p75] = [percentile(pairs, 25), percentile(pairs, 75)];
  return { median: round(median(pairs), 3), p25, p75, iqr: round(p75 - p25, 3), pairs };
}
