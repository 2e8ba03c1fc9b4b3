/** `inbox`: serves the approval inbox page on this machine until Ctrl-C. */
import type { Command } from 'commander';
import { loadKey } from '../../operations/keys';
import { startInbox } from '../../inbox/server';
import { loadInboxTokens } from '../../inbox/tokens';
import { CliError, EXIT } from '../errors';
import type { Session } from '../session';

export function registerInboxCommand(program: Command, session: Session): void {
  program
    .command('inbox')
    .description('serve the approval inbox: every pending call across runs, decided by signed-in approvers')
    .option('--port <port>', 'where to listen on 127.0.0.1', '8899')
    .option('--sign-in-browser', 'each approver signs in their own browser with a key only it holds (this process holds none)')
    .addHelpText(
      'after',
      `
Examples:
  $ SAGENT_INBOX_TOKENS="alice:$(openssl rand -hex 16)" sagent inbox --port 8899

Approvers sign in with their token: SAGENT_INBOX_TOKENS (name:token, comma-separated) or the file
SAGENT_INBOX_TOKENS_FILE (default <config dir>/inbox-tokens.json, {"alice":"<token>"}). Decisions are made as the
token's approver and signed with their key from sagent keys create, when there is one; with --sign-in-browser,
each approver's browser creates its own Ed25519 key, shows its public key for the runs to list, and signs there.
Runs until Ctrl-C. Exit codes: 0 stopped, 1 error.`,
    )
    .action(async (options: { port: string; signInBrowser?: boolean }) =>
      session.run(undefined, async (connect) => {
        const { env } = session.io;
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a port number, not "${options.port}"`);
        const tokens = loadInboxTokens(env);
        if (tokens.size === 0) throw new CliError('no inbox tokens: set SAGENT_INBOX_TOKENS=alice:<token> or write <config dir>/inbox-tokens.json');
        const ctx = await connect();
        const inbox = await startInbox(
          options.signInBrowser
            ? { sagent: ctx.sagent, tokens, signing: 'browser', port }
            : { sagent: ctx.sagent, tokens, keyOf: (name) => loadKey(name, env)?.privateKey, port },
        );
        session.io.stdout.write(`approval inbox at ${inbox.url} for ${[...tokens.keys()].join(', ')}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await inbox.close();
        return EXIT.ok;
      }),
    );
}
