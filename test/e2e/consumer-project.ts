/**
 * A fresh npm project outside this repository that installs sagent from its packed tarball, for the consumer test:
 * the package, not our source tree, is what it runs. Also the few process helpers that test needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** What a child process did. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without npm's `npm_*` variables, so an `npm` run from `npm test` does not act on this repository. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  delete env.SAGENT_DEBUG;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command to its end; never rejects on a non-zero exit (the caller asserts the code). */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed; the error carries its output. */
export async function mustRun(command: string, args: readonly string[], options: Parameters<typeof run>[2]): Promise<Ran> {
  const ran = await run(command, args, options);
  if (ran.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${ran.code}:\n${ran.stdout.slice(-4000)}\n${ran.stderr.slice(-4000)}`);
  }
  return ran;
}

/** A long-running child (a worker, a server) that has printed a line matching `ready`. */
export interface Service {
  /** The match of `ready` in its output. */
  ready: RegExpMatchArray;
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

export function startService(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number },
): Promise<Service> {
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${path.basename(args.at(-1) ?? command)} ${why}:\n${output.slice(-6000)}`)));
    };
    const timer = setTimeout(() => fail(`printed nothing matching ${options.ready} within ${options.timeoutMs ?? 90_000} ms`), options.timeoutMs ?? 90_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-50_000);
      const ready = output.match(options.ready);
      if (ready) {
        clearTimeout(timer);
        resolve({ ready, output: () => output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => fail(`exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`));
  });
}

/** The files the README marks `<!-- consumer:<file> -->`, by file name: the example the consumer project runs. */
export async function readmeExample(): Promise<Record<string, string>> {
  const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const [, file, code] of readme.matchAll(/<!-- consumer:(\S+) -->\s*```\w*\n([\s\S]*?)```/g)) files[file] = code;
  return files;
}

/** The version this repository pins for a package, so the consumer installs what the npm cache already has. */
export async function pinnedVersion(name: string): Promise<string> {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
  const version = pkg.dependencies?.[name] ?? pkg.devDependencies?.[name];
  if (!version) throw new Error(`package.json pins no version of ${name}`);
  return `${name}@${version}`;
}

export interface ConsumerProject {
  dir: string;
  /** A binary of the project's node_modules/.bin. */
  bin(name: string): string;
  /** Removes the project and the tarball. */
  remove(): Promise<void>;
}

/** One project to make: what it installs beside the tarball, and the files written into it. */
export interface ConsumerProjectSpec {
  dependencies: string[];
  files: Record<string, string>;
}

/**
 * `npm pack`s this repository once (its prepack builds dist/), then makes one npm project per spec under the system
 * temp dir, each installing the tarball and its `dependencies` (all installs at once, from the npm cache first), and
 * writes `files` into it. Every project's `remove()` removes them all.
 */
export async function createConsumerProjects(specs: readonly ConsumerProjectSpec[]): Promise<ConsumerProject[]> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'sagent-consumer-'));
  const remove = () => fs.rm(base, { recursive: true, force: true });
  try {
    await mustRun('npm', ['pack', '--pack-destination', base], { cwd: ROOT, timeoutMs: 360_000 });
    const tarball = (await fs.readdir(base)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack left no tarball in ${base}`);
    const settled = await Promise.allSettled(
      specs.map(async (spec, index) => {
        const dir = path.join(base, `project-${index + 1}`);
        await fs.mkdir(dir);
        await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'sagent-consumer', private: true, version: '1.0.0' }, null, 2));
        const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(base, tarball), ...spec.dependencies];
        await mustRun('npm', install, { cwd: dir, timeoutMs: 300_000 });
        for (const [file, text] of Object.entries(spec.files)) await fs.writeFile(path.join(dir, file), text);
        return { dir, bin: (name: string) => path.join(dir, 'node_modules', '.bin', name), remove };
      }),
    );
    const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((result) => (result as PromiseFulfilledResult<ConsumerProject>).value);
  } catch (err) {
    await remove();
    throw err;
  }
}
