/**
 * Where the CLI writes and reads: the process's streams by default, fakes in tests. Colour and the live status
 * line only on a terminal; piped output is plain lines a script can read.
 */
import { styleText } from 'node:util';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** The streams and environment a CLI command reads and writes; tests pass their own. */
export interface CliIO {
  stdout: Stream;
  stderr: Stream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export type Style = Parameters<typeof styleText>[0];

/** Line-oriented output over a {@link CliIO}. */
export class Output {
  /** True when stdout is a terminal: spinner, status line and colour. */
  readonly live: boolean;
  private readonly colour: boolean;

  constructor(readonly io: CliIO) {
    this.live = io.stdout.isTTY === true && io.env.TERM !== 'dumb';
    this.colour = this.live && io.env.NO_COLOR === undefined && io.env.FORCE_COLOR !== '0';
  }

  /** One line (or several) on stdout. */
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** A stable JSON document on stdout. */
  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for people on stderr, so stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** Writes raw text on stdout (the live status line). */
  raw(text: string): void {
    this.io.stdout.write(text);
  }

  style(format: Style, text: string): string {
    return this.colour ? styleText(format, text) : text;
  }

  /** Terminal width, for cutting the status line. */
  get columns(): number {
    return this.io.stdout.columns || 100;
  }
}

/** Pads and aligns rows into columns; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)];
}

/** A compact one-line JSON rendering, cut to `max` characters. */
export function brief(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `$0.0123`: costs are small; four decimals show a turn's price. */
export function usd(value: number | null | undefined): string {
  return value === null || value === undefined ? '?' : `$${value.toFixed(4)}`;
}

/** The first characters of a hash, as `pending` shows it and `--expect-hash` accepts it. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** `14:02:31` in local time. */
export function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toTimeString().slice(0, 8);
}

/** `in 23h 59m`, `in 4m`, `expired`: how long until `iso`. */
export function until(iso: string, nowMs = Date.now()): string {
  const ms = Date.parse(iso) - nowMs;
  if (Number.isNaN(ms)) return iso;
  if (ms <= 0) return 'expired';
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `in ${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `in ${hours}h ${minutes % 60}m` : `in ${Math.floor(hours / 24)}d ${hours % 24}h`;
}
