/**
 * `npm run bench:codec [-- --steps 10,30,100,300]`: history bytes per step of the `reference` workload with the payload
 * codec off and on, in the same process, on a throwaway dev server: one run per size (continue-as-new pushed out,
 * so one run holds every step), `describe().historySize` over the steps. Then, for the largest size, where the bytes
 * go: the history's events by type (count, bytes as stored) and their payloads (count, bytes, how many are small).
 * Targets: below 3 KB per step with the codec on, at most 4 KB per step off.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import globalSetup from '../test/global-setup';
import globalTeardown from '../test/global-teardown';
import { codecDataConverter } from '../src/codec/data-converter';
import { outcomeOf, startHarness, type Harness } from '../test/helpers/harness';
import { benchScenario, benchWorkflowId, sagentInput } from './workload';
import { tag } from './stats';

/** Far above any measured step count, so each run holds all its steps. */
const NO_CONTINUE_AS_NEW = 100_000;
const ON_TARGET = 3 * 1024;
const OFF_TARGET = 4 * 1024;

export interface CodecPoint {
  steps: number;
  bytes: number;
  events: number;
  bytesPerStep: number;
}

/** One kind of history event: how many, and how many bytes they take as the server stores them. */
export interface EventShare {
  type: string;
  count: number;
  bytes: number;
  payloads: number;
  payloadBytes: number;
}

async function measure(label: 'off' | 'on', sizes: readonly number[]): Promise<{ points: CodecPoint[]; shares: EventShare[] }> {
  const dataConverter = label === 'on' ? codecDataConverter({ SAGENT_CODEC_KEYS: `bench:${randomBytes(32).toString('base64')}` }) : undefined;
  const harness = await startHarness(`bench-codec-history-${label}`, [benchScenario], { dataConverter });
  try {
    const points: CodecPoint[] = [];
    let shares: EventShare[] = [];
    for (const steps of sizes) {
      const handle = await harness.start(benchWorkflowId('reference', steps, `codec-${label}-${tag()}`), sagentInput('reference', steps, NO_CONTINUE_AS_NEW));
      const outcome = await outcomeOf(handle);
      if (outcome.status !== 'completed') throw new Error(`the ${steps}-step run with the codec ${label} ended ${outcome.status}`);
      const description = await handle.describe();
      const bytes = Number(description.historySize);
      points.push({ steps, bytes, events: description.historyLength, bytesPerStep: Math.round(bytes / steps) });
      console.error(`[codec ${label}] ${steps} steps: ${bytes} bytes, ${description.historyLength} events`);
      if (steps === sizes.at(-1)) shares = await sharesOf(harness, handle.workflowId);
    }
    return { points, shares };
  } finally {
    await harness.stop();
  }
}

/** The run's events by type, sized as stored (the raw history, payloads as the codec left them). */
async function sharesOf(harness: Harness, workflowId: string): Promise<EventShare[]> {
  const byType = new Map<string, EventShare>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await harness.client.workflowService.getWorkflowExecutionHistory({
      namespace: harness.temporal.namespace,
      execution: { workflowId },
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      const type = temporal.api.enums.v1.EventType[event.eventType ?? 0].replace(/^EVENT_TYPE_/, '');
      const share = byType.get(type) ?? { type, count: 0, bytes: 0, payloads: 0, payloadBytes: 0 };
      share.count += 1;
      share.bytes += temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      for (const payload of payloadsOf(event)) {
        share.payloads += 1;
        share.payloadBytes += temporal.api.common.v1.Payload.encode(payload).finish().length;
      }
      byType.set(type, share);
    }
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return [...byType.values()].sort((a, b) => b.bytes - a.bytes);
}

/** Every payload an event carries, wherever it sits (inputs, results, headers, memo, details). */
function payloadsOf(value: unknown, found: temporal.api.common.v1.IPayload[] = []): temporal.api.common.v1.IPayload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return found;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) {
    found.push(record as temporal.api.common.v1.IPayload);
    return found;
  }
  for (const child of Object.values(record)) payloadsOf(child, found);
  return found;
}

function sizesFromArgs(): number[] {
  const index = process.argv.indexOf('--steps');
  return index > 0 ? process.argv[index + 1].split(',').map(Number) : [10, 30, 100, 300];
}

async function run(): Promise<void> {
  const sizes = sizesFromArgs();
  await globalSetup();
  try {
    const off = await measure('off', sizes);
    const on = await measure('on', sizes);
    console.log('history bytes per step, reference workload (one run per size), codec off vs on:');
    console.log('  steps   off B    off B/step   on B     on B/step   on ÷ off');
    for (const [index, point] of off.points.entries()) {
      const sealed = on.points[index];
      console.log(
        `  ${String(point.steps).padStart(5)}  ${String(point.bytes).padStart(8)}  ${String(point.bytesPerStep).padStart(9)}  ${String(sealed.bytes).padStart(8)}  ${String(sealed.bytesPerStep).padStart(9)}   ${(sealed.bytes / point.bytes).toFixed(3)}`,
      );
    }
    const [lastOff, lastOn] = [off.points.at(-1)!, on.points.at(-1)!];
    console.log(
      `targets at ${lastOn.steps} steps: on ${lastOn.bytesPerStep} B/step < ${ON_TARGET}: ${lastOn.bytesPerStep < ON_TARGET ? 'met' : 'NOT met'}; off ${lastOff.bytesPerStep} B/step ≤ ${OFF_TARGET}: ${lastOff.bytesPerStep <= OFF_TARGET ? 'met' : 'NOT met'}`,
    );
    for (const [label, shares] of [
      ['off', off.shares],
      ['on', on.shares],
    ] as const) {
      console.log(`where the bytes go at ${lastOn.steps} steps, codec ${label} (event type: count, bytes, payloads, payload bytes):`);
      for (const share of shares.slice(0, 10)) {
        console.log(
          `  ${share.type.padEnd(40)} ${String(share.count).padStart(5)}  ${String(share.bytes).padStart(8)}  ${String(share.payloads).padStart(5)}  ${String(share.payloadBytes).padStart(8)}`,
        );
      }
    }
  } finally {
    await globalTeardown();
  }
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
