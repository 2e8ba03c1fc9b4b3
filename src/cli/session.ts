/**
 * One command's life: connect when the command needs the server, turn any error into one line and an exit code,
 * close the connection afterwards.
 */
import { resolveConnection } from '../temporal/connection';
import { openContext, type CliContext, type ContextOptions } from './context';
import { CliError, describeError, EXIT, type ErrorContext, type ExitCode } from './errors';
import type { CliIO } from './io';

export class Session {
  exitCode: ExitCode = EXIT.ok;

  constructor(
    readonly io: CliIO,
    private readonly contextOptions: ContextOptions = {},
  ) {}

  /**
   * Runs a command body. `connect` opens the connection on first use, so a command can check its arguments before
   * it needs the server.
   */
  async run(workflowId: string | undefined, body: (connect: () => Promise<CliContext>) => Promise<ExitCode>): Promise<void> {
    let ctx: CliContext | undefined;
    const connect = async () => (ctx ??= await openContext(this.io, this.contextOptions));
    try {
      this.exitCode = await body(connect);
    } catch (err) {
      this.fail(err, { workflowId, ...this.where(ctx) });
    } finally {
      await ctx?.close().catch(() => undefined);
    }
  }

  /** Reports an error as one line on stderr (a stack only with SAGENT_DEBUG=1) and sets the exit code. */
  fail(err: unknown, where: ErrorContext = {}): void {
    this.io.stderr.write(`error: ${describeError(err, where)}\n`);
    if (this.io.env.SAGENT_DEBUG === '1' && err instanceof Error && err.stack) this.io.stderr.write(`${err.stack}\n`);
    this.exitCode = err instanceof CliError ? err.exitCode : EXIT.error;
  }

  private where(ctx: CliContext | undefined): ErrorContext {
    if (ctx) return { namespace: ctx.namespace, address: ctx.address };
    try {
      const config = resolveConnection(this.io.env);
      return { namespace: config.namespace, address: config.address };
    } catch {
      return {};
    }
  }
}
