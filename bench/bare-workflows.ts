/**
 * The fleet bench's floor, in a bundle of its own: a workflow that does nothing but wait for a signal, on the same
 * SDK and worker program as sagent's runs. Its own bundle, because a reusable workflow context evaluates a bundle's
 * modules once per run: in sagent's bundle it would carry sagent's code as well.
 */
import { condition, defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { AgentStatus } from '../src/shared/search-attributes';

/** Ends a {@link bareWait}. */
export const releaseSignal = defineSignal('release');

/** What a bare waiting workflow shows in `AgentStatus` while it waits, so the bench can count the ones that wait. */
export const BARE_WAITING = 'bare_waiting';

/** Waits for {@link releaseSignal}; it upserts one search attribute first, as a run waiting for approval does. */
export async function bareWait(): Promise<void> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  upsertSearchAttributes([{ key: AgentStatus, value: BARE_WAITING }]);
  await condition(() => released);
}
