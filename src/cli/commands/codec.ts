/** `codec-server`: the Temporal codec server over sagent's encryption codec, for the Web UI and the `temporal` CLI. */
import type { Command } from 'commander';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { loadKeyring } from '../../codec/keys';
import { DEFAULT_CODEC_PORT, startCodecServer, uiOrigins } from '../../codec/server';
import { DEFAULT_UI_URL } from '../../shared/constants';
import { CliError, EXIT } from '../errors';
import type { Session } from '../session';

export function registerCodecCommands(program: Command, session: Session): void {
  program
    .command('codec-server')
    .description("decode and encode payloads for the Temporal Web UI and CLI with this machine's codec keys")
    .option('--port <port>', 'where to listen on 127.0.0.1', String(DEFAULT_CODEC_PORT))
    .option('--origin <origin...>', 'the Web UI origin allowed to call it (repeatable); default from SAGENT_UI_URL')
    .addHelpText(
      'after',
      `
Examples:
  $ SAGENT_CODEC_KEY_FILE=.sagent/codec-keys.json sagent codec-server --origin http://127.0.0.1:8233
  $ temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888/token/<token>
  $ temporal workflow show -w <id> --codec-endpoint http://127.0.0.1:8888 --codec-auth "Bearer <token>"

Keys come from SAGENT_CODEC_KEYS (id:base64key,..., newest last) or SAGENT_CODEC_KEY_FILE. The token is
SAGENT_CODEC_TOKEN, or a new one printed at start. Runs until Ctrl-C. Exit codes: 0 stopped, 1 error.`,
    )
    .action(async (options: { port: string; origin?: string[] }) =>
      session.run(undefined, async () => {
        const { env } = session.io;
        const keyring = loadKeyring(env);
        if (!keyring) throw new CliError('no codec key: set SAGENT_CODEC_KEYS (id:base64key, newest last) or SAGENT_CODEC_KEY_FILE');
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a port number, not "${options.port}"`);
        const origins = options.origin ?? uiOrigins(env.SAGENT_UI_URL ?? DEFAULT_UI_URL);
        const server = await startCodecServer({ codec: new EncryptionCodec(keyring), port, origins, token: env.SAGENT_CODEC_TOKEN || undefined });
        const say = (text: string) => session.io.stdout.write(`${text}\n`);
        say(`codec server at ${server.url} (keys ${keyring.map((key) => key.id).join(', ')}; new payloads use ${keyring.at(-1)!.id})`);
        say(`  Web UI codec endpoint: ${server.uiEndpoint}   (allowed origins: ${origins.join(', ')})`);
        say(`  temporal CLI: --codec-endpoint ${server.url} --codec-auth "Bearer ${server.token}"`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
        return EXIT.ok;
      }),
    );
}
