/**
 * A throwaway dev server for one benchmark: free ports, its database and log in `dir`, and an error when another
 * server already answered (a measurement must never run on a server it does not own).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '../src/dev/ports';
import { ensureDevServer, type DevServer, type DevServerOptions } from '../src/dev/temporal';

export async function startScratchDevServer(dir: string, options: Partial<DevServerOptions> = {}): Promise<DevServer> {
  const [port, uiPort] = await freePorts(2);
  const devServer = await ensureDevServer({
    port,
    uiPort,
    stateDir: dir,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'temporal.log'),
    startTimeoutMs: 60_000,
    ...options,
  });
  if (!devServer.started) throw new Error(`a Temporal server already answered on ${devServer.address}; the benchmark needs its own`);
  return devServer;
}

/**
 * A RAM-backed directory when there is one: on a VM disk every fsync of the dev server's SQLite costs
 * milliseconds, which would swamp the cost of the workflows under measurement.
 */
export async function scratchRoot(): Promise<string> {
  try {
    await fs.access('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}
