/**
 * A Temporal dev server of one's own: free ports, its database and log in a directory the caller throws away. The
 * test suite, the eval environment and the benchmarks each start theirs this way.
 */
import path from 'node:path';
import { freePorts } from './ports';
import { ensureDevServer, type DevServer, type DevServerOptions } from './temporal';

/** What {@link startScratchDevServer} takes: {@link DevServerOptions} but the ports and the files, which it chooses. */
export interface ScratchDevServerOptions extends Omit<DevServerOptions, 'port' | 'uiPort' | 'stateDir' | 'dbFile' | 'logFile'> {
  /** Sets of free ports to try: another process may take a port between the probe and the server's bind. @default 3 */
  attempts?: number;
}

/** Another Temporal server answered on the free port chosen: a scratch server must be one this call started. */
class ScratchPortTakenError extends Error {
  override name = 'ScratchPortTakenError' as const;
}

/**
 * Starts `temporal server start-dev` on free ports with its database (`temporal.db`) and log (`temporal.log`) in `dir`,
 * trying fresh ports when another process takes one first. Never returns a server it did not start, so `stop()`
 * always stops it.
 */
export async function startScratchDevServer(dir: string, options: ScratchDevServerOptions = {}): Promise<DevServer> {
  const { attempts = 3, ...serverOptions } = options;
  for (let attempt = 1; ; attempt++) {
    const [port, uiPort] = await freePorts(2);
    try {
      const server = await ensureDevServer({
        startTimeoutMs: 60_000,
        ...serverOptions,
        port,
        uiPort,
        stateDir: dir,
        dbFile: path.join(dir, 'temporal.db'),
        logFile: path.join(dir, 'temporal.log'),
      });
      if (!server.started) throw new ScratchPortTakenError(`a Temporal server already answered on ${server.address}; a scratch server must be its own`);
      return server;
    } catch (err) {
      if (attempt >= attempts || (err as Error).name === 'TemporalNotFoundError') throw err;
    }
  }
}
