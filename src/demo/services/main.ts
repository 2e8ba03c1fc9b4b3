/**
 * `npm run services`: the demo's third-party API stand-ins. Port from `--port` or `SAGENT_SERVICES_PORT`
 * (default 4500); PGlite in `.sagent/services-db` unless `DATABASE_URL` points at PostgreSQL.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DATA_DIR } from './db';
import { DEFAULT_SERVICES_PORT, startServices } from './server';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return port;
}

function defaultPort(): number {
  const fromEnv = process.env.SAGENT_SERVICES_PORT;
  if (!fromEnv) return DEFAULT_SERVICES_PORT;
  try {
    return parsePort(fromEnv);
  } catch {
    console.error(`error: SAGENT_SERVICES_PORT="${fromEnv}" is not a port: set it to an integer from 0 to 65535, or unset it`);
    process.exit(1);
  }
}

async function run(): Promise<void> {
  const program = new Command('services')
    .description('Stand-ins for the airline, hotel, car rental, payments, email and support APIs the demo agents call')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, defaultPort())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', `PGlite data directory, or memory:// (ignored when DATABASE_URL is set)`, DEFAULT_DATA_DIR)
    .option('--quiet', 'do not log each request')
    .parse();
  const opts = program.opts<{ port: number; host: string; dataDir: string; quiet?: boolean }>();
  const databaseUrl = process.env.DATABASE_URL || undefined;

  let services;
  try {
    services = await startServices({
      port: opts.port,
      host: opts.host,
      ...(databaseUrl ? { databaseUrl } : { dataDir: opts.dataDir }),
      log: opts.quiet ? undefined : (line) => console.log(line),
    });
  } catch (err) {
    console.error(startupHint(err as NodeJS.ErrnoException, opts.port, opts.host, databaseUrl, opts.dataDir));
    process.exit(1);
  }
  console.log(`sagent services listening on ${services.url} (database: ${services.database})`);
  console.log(`tools find them with SAGENT_SERVICES_URL=${services.url}`);

  const stop = () => {
    services.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** One line that says what went wrong and what to do about it. */
function startupHint(err: NodeJS.ErrnoException, port: number, host: string, databaseUrl: string | undefined, dataDir: string): string {
  if (err.code === 'EADDRINUSE') return `error: port ${port} on ${host} is in use: stop the other process, or pass --port <n> (or set SAGENT_SERVICES_PORT)`;
  if (err.code === 'EACCES') return `error: no permission to listen on ${host}:${port}: pick a port above 1024 with --port <n>`;
  if (databaseUrl)
    return `error: cannot use DATABASE_URL (${err.message}): check the URL and that PostgreSQL is running, or unset DATABASE_URL to use the embedded database`;
  return `error: cannot open the embedded database in ${dataDir} (${err.message}): check the directory is writable, or pass --data-dir <dir>`;
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
