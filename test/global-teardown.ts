/** Stops the Temporal dev server that global-setup started (a reused one is left alone) and removes its files and the shared bundle. */
import fs from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const handle = globalThis.__SAGENT_TEST_TEMPORAL__;
  if (!handle) return;
  globalThis.__SAGENT_TEST_TEMPORAL__ = undefined;
  await handle.server?.stop();
  await fs.rm(handle.dir, { recursive: true, force: true });
}
