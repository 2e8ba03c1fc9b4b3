/**
 * What a benchmark's entry script shares: a section measured on a stack of its own that is always stopped, a
 * printed table of columns, and the exit code on failure. The stack is loaded on use, so a module that imports its
 * measurement from here (a unit test, `bench/run.ts`) does not load the stack's worker code.
 */
import type { BenchStack } from './stack';

/** Starts the shared stack, runs `measure` on it with a `[name hh:mm:ss]` log on stderr, and always stops the stack. */
export async function withStack<T>(name: string, measure: (stack: BenchStack, log: (line: string) => void) => Promise<T>): Promise<T> {
  const { startStack } = await import('./stack');
  const log = (line: string) => console.error(`[${name} ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const stack = await startStack(log);
  try {
    return await measure(stack, log);
  } finally {
    await stack.stop();
  }
}

/** Prints `rows` under `header`, each column as wide as its widest cell. */
export function printColumns(header: readonly string[], rows: readonly string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
}

/** Runs an entry script's `main`; a failure prints its error and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
