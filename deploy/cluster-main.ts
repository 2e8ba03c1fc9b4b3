/**
 * `npm run cluster` / `npm run cluster:stop` / `npm run cluster:status`: a Temporal cluster on PostgreSQL on this
 * machine (see deploy/cluster/cluster.ts), left running in the background.
 *
 *   npm run cluster                          # builds or reuses the server, starts PostgreSQL, the server, the UI
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 npm run worker
 *   npm run cluster:stop [-- --wipe]         # --wipe also deletes its database
 */
import { Command, InvalidArgumentError } from 'commander';
import { answersAsTemporal } from '../src/dev/temporal';
import { DEFAULT_STATE_DIR, readState, startCluster, stopCluster } from './cluster/cluster';
import { HISTORY_SHARDS, TEMPORAL_VERSION } from './cluster/settings';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number');
  return port;
}

const progress = (line: string) => console.error(`[cluster] ${line}`);

const program = new Command('cluster').description(`a Temporal ${TEMPORAL_VERSION} cluster on PostgreSQL, ${HISTORY_SHARDS} history shards`);
program
  .command('start', { isDefault: true })
  .description('build or reuse the server, start PostgreSQL, the server and the Web UI, create the namespace')
  .option('--port <port>', 'the frontend gRPC port', parsePort, 7233)
  .option('--ui-port <port>', 'the Web UI port', parsePort, 8080)
  .option('--no-ui', 'skip the Web UI (by default it is built once from its Go module and started)')
  .option('--state-dir <dir>', 'pids, logs and the database', DEFAULT_STATE_DIR)
  .action(async (opts: { port: number; uiPort: number; ui: boolean; stateDir: string }) => {
    const cluster = await startCluster({ ...opts, progress });
    console.log(
      `Temporal ${TEMPORAL_VERSION} cluster at ${cluster.address} (namespace ${cluster.namespace}, ${HISTORY_SHARDS} history shards, PostgreSQL on 127.0.0.1:${cluster.ports.postgres})`,
    );
    console.log(cluster.uiUrl ? `Web UI: ${cluster.uiUrl}` : `no Web UI: ${cluster.uiSkipped ?? 'not started (--no-ui)'}`);
    console.log(`use it: TEMPORAL_ADDRESS=${cluster.address} npm run worker; stop it: npm run cluster:stop`);
  });
program
  .command('stop')
  .description('stop the UI, the server and PostgreSQL')
  .option('--wipe', 'also delete the database and the logs')
  .option('--state-dir <dir>', 'pids, logs and the database', DEFAULT_STATE_DIR)
  .action(async (opts: { wipe?: boolean; stateDir: string }) => {
    const stopped = await stopCluster({ ...opts, progress });
    console.log(stopped ? 'cluster stopped' : `no cluster was running (state in ${opts.stateDir})`);
  });
program
  .command('status')
  .description('say whether the cluster answers')
  .option('--state-dir <dir>', 'pids, logs and the database', DEFAULT_STATE_DIR)
  .action(async (opts: { stateDir: string }) => {
    const state = await readState(opts.stateDir);
    const address = state ? `127.0.0.1:${state.ports.frontend}` : null;
    if (address && (await answersAsTemporal(address))) {
      console.log(`Temporal ${state!.version} cluster answers at ${address} (server pid ${state!.serverPid}, PostgreSQL on port ${state!.ports.postgres})`);
      return;
    }
    console.error(`no cluster answers${address ? ` at ${address}` : ''}: start it with \`npm run cluster\``);
    process.exitCode = 1;
  });

program.parseAsync().catch((err: Error) => {
  console.error(err.name === 'ClusterSetupError' ? `cluster: ${err.message}` : err);
  process.exit(1);
});
