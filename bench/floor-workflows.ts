/** The floor benchmark's workflow: a chain of no-op activities, one after another, and nothing else. */
import { proxyActivities } from '@temporalio/workflow';
import type { FloorActivities } from './floor-activities';

const { noop } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30s' });

/** Runs `count` no-op activities in sequence; every step is one workflow task and one activity round trip. */
export async function noopChain(count: number): Promise<number> {
  for (let step = 0; step < count; step++) await noop();
  return count;
}
