/** `keys create|show`: an approver's Ed25519 key pair, so the runs that list its public key accept only their signature. */
import type { Command } from 'commander';
import { createKey, keyPath, loadKey } from '../../operations/keys';
import { CliError, EXIT } from '../errors';
import { text } from '../parse';
import type { Session } from '../session';

export function registerKeyCommands(program: Command, session: Session): void {
  const keys = program.command('keys').description("an approver's signing key on this machine");
  keys
    .command('create')
    .description('create a key pair: the private key stays in your config dir (0600), the public key is printed')
    .requiredOption('--as <user>', 'the approver name the key signs for', text)
    .option('--force', 'replace an existing key (runs listing the old public key will refuse the new signatures)')
    .addHelpText(
      'after',
      `
Examples:
  $ sagent keys create --as alice
  $ sagent start --agent orders --task "..." --approver alice:<publicKey>
  $ sagent approve <run> <call> --as alice          # signed with alice's key

The key goes to $SAGENT_CONFIG_DIR/keys/<user>.json (default $XDG_CONFIG_HOME/sagent or ~/.config/sagent).
Exit codes: 0 created, 1 error (e.g. a key exists: pass --force).`,
    )
    .action(async (options: { as: string; force?: boolean }) =>
      session.run(undefined, async () => {
        const key = createKey(options.as, { force: options.force, env: session.io.env });
        session.io.stdout.write(`created the key of ${key.name} at ${keyPath(key.name, session.io.env)}\n`);
        session.io.stdout.write(`public key: ${key.publicKey}\n`);
        session.io.stdout.write(`start runs with: --approver ${key.name}:${key.publicKey}\n`);
        return EXIT.ok;
      }),
    );
  keys
    .command('show')
    .description('print the public key of an approver on this machine')
    .requiredOption('--as <user>', 'the approver name', text)
    .action(async (options: { as: string }) =>
      session.run(undefined, async () => {
        const key = loadKey(options.as, session.io.env);
        if (!key) throw new CliError(`no key for ${options.as}: create one with sagent keys create --as ${options.as}`);
        session.io.stdout.write(`${key.publicKey}\n`);
        return EXIT.ok;
      }),
    );
}
