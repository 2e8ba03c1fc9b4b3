/** The `sagent` command line: one commander program, its commands registered by group. */
import { Command, CommanderError } from 'commander';
import { registerApprovalCommands } from './commands/approvals';
import { registerBreakerCommands } from './commands/breakers';
import { registerCodecCommands } from './commands/codec';
import { registerEvalCommand } from './commands/eval';
import { registerInspectCommands } from './commands/inspect';
import { registerInboxCommand } from './commands/inbox';
import { registerKeyCommands } from './commands/keys';
import { registerOperateCommands } from './commands/operate';
import { registerRunCommands } from './commands/run';
import { registerVersionCommands } from './commands/versions';
import type { ContextOptions } from './context';
import { EXIT, type ExitCode } from './errors';
import type { CliIO } from './io';
import { Session } from './session';
import { DEFAULT_TASK_QUEUE, DEFAULT_UI_URL } from '../shared/constants';

const OVERVIEW = `
Environment:
  TEMPORAL_ADDRESS     the Temporal frontend (default 127.0.0.1:7233, the dev server)
  TEMPORAL_NAMESPACE   default "default"; TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE as @temporalio/envconfig reads them
  SAGENT_TASK_QUEUE    where runs are started (default "${DEFAULT_TASK_QUEUE}")
  SAGENT_UI_URL        the Temporal Web UI for links (default ${DEFAULT_UI_URL})
  SAGENT_SERVICES_URL  services to cross-check \`sagent ledger\` with (as --services-url)
  SAGENT_DEPLOYMENT    the Worker Deployment \`sagent versions\` lists (default "sagent")
  SAGENT_DEBUG=1       print stacks with errors

Exit codes: 0 completed (or the action succeeded), 2 compensated or cancelled, 3 blocked, 1 any error.

Examples:
  $ sagent start --agent orders --task "Refund order 1042 to Ada Lovelace" --approver alice --wait
  $ sagent pending
  $ sagent approve orders-3f2a1b9c call-4 --as alice --expect-hash 3f2a1b9c0d4e
  $ sagent ledger orders-3f2a1b9c`;

/** Builds the program; actions report through `session`. */
export function createProgram(session: Session): Command {
  const { io } = session;
  const program = new Command('sagent')
    .description('durable, compensating AI agents on Temporal')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText('after', OVERVIEW);
  registerRunCommands(program, session);
  registerApprovalCommands(program, session);
  registerOperateCommands(program, session);
  registerInspectCommands(program, session);
  registerCodecCommands(program, session);
  registerKeyCommands(program, session);
  registerInboxCommand(program, session);
  registerEvalCommand(program, session);
  registerVersionCommands(program, session);
  registerBreakerCommands(program, session);
  for (const command of program.commands) {
    command.exitOverride();
  }
  return program;
}

/** Runs the CLI on `argv` (as `process.argv`: node, script, args...) and resolves to its exit code. */
export async function runCli(argv: readonly string[], io: CliIO, contextOptions: ContextOptions = {}): Promise<ExitCode> {
  const session = new Session(io, contextOptions);
  const program = createProgram(session);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError || (err as Error).name === 'CommanderError') {
      // Commander already printed its one line (or the help); it says 0 for --help and --version.
      return (err as CommanderError).exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    session.fail(err);
  }
  return session.exitCode;
}
