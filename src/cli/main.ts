/**
 * The `sagent` CLI: start runs, watch them, approve their risky calls, steer and inspect them.
 * `npm run sagent -- <command>`, or `sagent <command>` once linked (`bin/sagent.js`).
 */
import { processIO, type CliIO } from './io';
import { runCli } from './program';
import { shutdownTelemetry } from '../observability';

export { runCli } from './program';

/** Runs the CLI and resolves to its exit code (0, 1, 2 or 3); never calls `process.exit`. */
export function main(argv: readonly string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  return runCli(argv, io);
}

/** Runs `main` as the process's entry point: sets the exit code and lets stdout drain. */
export function runAsScript(argv: readonly string[] = process.argv): void {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  main(argv).then(
    async (code) => {
      process.exitCode = code;
      await shutdownTelemetry();
      // Stdout drains before exit; something the SDK left open must not keep the CLI alive.
      setTimeout(() => process.exit(code), 2_000).unref();
    },
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/** `sagent … | head -1`: once the reader is gone there is nobody to tell, so stop without a stack trace. */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
}

if (require.main === module) runAsScript();
