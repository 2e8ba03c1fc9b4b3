/**
 * The live timeline of a run. Each timeline entry is printed once, when it settles; on a terminal a spinner and a
 * status line show what is in flight, piped output gets plain lines only. Shared by `watch`, `start --wait` and the
 * demo.
 */
import type { PendingApproval, RunState, TimelineEntry } from '../shared/contracts';
import { earlierStepsLine } from './compacted';
import { brief, clock, shortHash, until, usd, type Output, type Style } from './io';
import { WAITING_FOR_TURN, type RunView } from '../operations/run-view';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

const MARKS: Record<TimelineEntry['state'], { mark: string; style: Style }> = {
  ok: { mark: '✓', style: 'green' },
  error: { mark: '✗', style: 'red' },
  waiting: { mark: '⏸', style: 'yellow' },
  info: { mark: '•', style: 'cyan' },
  started: { mark: '…', style: 'gray' },
};

/** What `TimelineRenderer` prints for: the run, its UI link, and how approval hints name the CLI. */
export interface TimelineOptions {
  workflowId: string;
  uiUrl: string;
  /** How the approval hints name the CLI. @default 'sagent' */
  cli?: string;
  /** Print how to approve or reject each new pending call. @default true */
  approvalHints?: boolean;
  /** Prefix of every line, to tell runs apart when several are shown. @default '' */
  prefix?: string;
}

/** Prints a run's timeline as it grows, each entry once, with a live status line on a terminal. */
export class TimelineRenderer {
  private readonly printed = new Set<string>();
  private readonly announced = new Set<string>();
  private statusText = '';
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private lastStatus: string | null = null;
  private saidEarlierSteps = false;
  /** The source and turn whose text line is open (text still arriving), or null. */
  private openText: string | null = null;

  constructor(
    private readonly out: Output,
    private readonly options: TimelineOptions,
  ) {}

  /** Prints what is new in `state` and refreshes the status line. */
  update(state: RunState): void {
    this.withStatusCleared(() => this.printNew(state));
    const inFlight = state.timeline.filter((entry) => entry.state === 'started').map((entry) => entry.title);
    const figures = `step ${state.steps} · ${usd(state.usage.costUsd)}`;
    const waiting = state.statusDetail?.startsWith(WAITING_FOR_TURN) ? ` (${state.statusDetail})` : '';
    const doing = inFlight.length > 0 ? ` · ${inFlight.join(', ')}${waiting}` : state.statusDetail ? ` · ${state.statusDetail}` : '';
    this.setStatus(`${state.status} · ${figures}${doing}`);
  }

  /** Prints each settled entry not printed yet, status changes worth a line, and each new approval request. */
  private printNew(state: RunState): void {
    // Entries a long run no longer keeps are said once, as a count, before the first entry that is printed.
    const earlier = earlierStepsLine(state.compacted);
    if (earlier && !this.saidEarlierSteps && this.printed.size === 0) this.line(this.out.style('gray', `  ${earlier}`));
    this.saidEarlierSteps = true;
    for (const { key, entry } of keyed(state.timeline)) {
      if (entry.state === 'started' || this.printed.has(key)) continue;
      this.printed.add(key);
      this.line(this.formatEntry(entry));
    }
    if (state.status !== this.lastStatus && ['blocked', 'budget_exhausted', 'model_unavailable'].includes(state.status)) {
      this.line(this.out.style('yellow', `  ! ${state.status}${state.statusDetail ? `: ${state.statusDetail}` : ''}`));
      if (state.status === 'model_unavailable') {
        const cli = this.options.cli ?? 'sagent';
        this.line(`      try now:   ${cli} resume ${quoteArg(this.options.workflowId)} --as <you>`);
        this.line(`      roll back: ${cli} abort ${quoteArg(this.options.workflowId)} --as <you> --reason "<why>"`);
      }
      if (state.status === 'blocked') {
        const cli = this.options.cli ?? 'sagent';
        const stuck = state.effects.find((effect) => effect.compensation === 'failed');
        const effect = stuck ? `effect-${stuck.seq}` : '<effectId>';
        this.line(`      retry: ${cli} retry-compensation ${quoteArg(this.options.workflowId)} ${effect} --as <you> --reason "<why>"`);
        this.line(`      skip:  ${cli} skip-compensation ${quoteArg(this.options.workflowId)} ${effect} --as <you> --reason "<why>"`);
      }
    }
    this.lastStatus = state.status;
    for (const request of state.pendingApprovals) {
      const key = `${request.callId}:${request.argsHash}`;
      if (this.announced.has(key)) continue;
      this.announced.add(key);
      for (const hint of this.approvalLines(request)) this.line(hint);
    }
  }

  /** Shows a status without a state (no worker answers yet). */
  waiting(text: string): void {
    // Piped output has no status line: say it once, as a plain line.
    if (!this.out.live && text !== this.statusText) this.line(`  … ${text}`);
    this.setStatus(text);
  }

  /**
   * A piece of Claude's text as it arrives: written at once, on the open text line of its source (`''` for the run
   * itself, else a sub-agent's name) and turn; a timeline line closes it. The status line waits meanwhile.
   */
  text(source: string, turn: number, piece: string): void {
    const key = `${source}\u0000${turn}`;
    if (this.openText !== key) {
      this.closeText();
      this.clearStatus();
      this.out.raw(`${this.options.prefix ?? ''}  ${this.out.style('gray', '»')} ${source ? `${source}: ` : ''}`);
      this.openText = key;
    }
    this.out.raw(piece.replace(/\r?\n/g, `\n${this.options.prefix ?? ''}    `));
  }

  /** A line of the caller's own between timeline entries. */
  say(text: string): void {
    this.withStatusCleared(() => this.line(text));
  }

  /** Stops redrawing while the caller asks a question on the terminal. */
  pause(): void {
    this.clearStatus();
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.drawStatus();
  }

  /** Prints the outcome and the UI link; the renderer is done after this. */
  finish(view: RunView): void {
    this.stopSpinner();
    if (view.state) this.printNew(view.state);
    for (const text of outcomeLines(this.out, view)) this.line(text);
    this.line(`  UI: ${this.options.uiUrl}`);
  }

  /** Stops the spinner without printing an outcome (an error, an interrupt). */
  stop(): void {
    this.stopSpinner();
    this.clearStatus();
    this.closeText();
  }

  private approvalLines(request: PendingApproval): string[] {
    const lines = [
      this.out.style(
        'yellow',
        `  ⏸ ${request.tool} awaits approval (${request.callId}, argsHash ${shortHash(request.argsHash)}, expires ${until(request.expiresAt)}): ${brief(request.input, 100)}`,
      ),
    ];
    if (this.options.approvalHints === false) return lines;
    const cli = this.options.cli ?? 'sagent';
    const id = quoteArg(this.options.workflowId);
    lines.push(`      approve: ${cli} approve ${id} ${request.callId} --as <you> --expect-hash ${shortHash(request.argsHash)}`);
    lines.push(`      reject:  ${cli} reject ${id} ${request.callId} --as <you> --reason "<why>"`);
    return lines;
  }

  private formatEntry(entry: TimelineEntry): string {
    const { mark, style } = MARKS[entry.state];
    const duration = entry.durationMs !== undefined ? ` (${formatMs(entry.durationMs)})` : '';
    const detail = entry.detail ? ` · ${entry.detail}` : '';
    const text = `  ${clock(entry.at)} ${this.out.style(style, mark)} ${entry.kind.padEnd(12)} ${entry.title}${duration}${detail}`;
    return text;
  }

  private line(text: string): void {
    this.closeText();
    this.out.line(`${this.options.prefix ?? ''}${text}`);
  }

  private closeText(): void {
    if (this.openText === null) return;
    this.openText = null;
    this.out.raw('\n');
  }

  private setStatus(text: string): void {
    this.statusText = text;
    if (!this.out.live) return;
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.frame = (this.frame + 1) % FRAMES.length;
        this.drawStatus();
      }, FRAME_MS);
      this.timer.unref();
    }
    this.drawStatus();
  }

  private drawStatus(): void {
    if (!this.out.live || this.paused || !this.statusText || !this.timer || this.openText !== null) return;
    const text = `${FRAMES[this.frame]} ${this.options.workflowId} · ${this.statusText}`;
    const width = Math.max(20, this.out.columns - 1);
    this.out.raw(`\r\x1b[2K${this.out.style('cyan', text.length > width ? `${text.slice(0, width - 1)}…` : text)}`);
  }

  private clearStatus(): void {
    if (this.out.live && this.timer && !this.paused && this.openText === null) this.out.raw('\r\x1b[2K');
  }

  private withStatusCleared(fn: () => void): void {
    this.clearStatus();
    fn();
    this.drawStatus();
  }

  private stopSpinner(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearStatus();
    this.timer = null;
  }
}

/** The outcome of a closed run in one or two lines. */
export function outcomeLines(out: Output, view: RunView): string[] {
  const steps = view.steps === null ? '' : ` in ${view.steps} step${view.steps === 1 ? '' : 's'}`;
  const undone = view.effects.filter((effect) => effect.compensation === 'compensated').length;
  const effects = view.effects.length > 0 ? ` · ${view.effects.length} effect${view.effects.length === 1 ? '' : 's'}, ${undone} undone` : '';
  const figures = `${steps} · ${usd(view.usage.costUsd)}${effects}`;
  switch (view.status) {
    case 'completed': {
      const lines = [out.style('green', `✓ ${view.workflowId} completed${figures}`)];
      const text = view.outcome?.finalText;
      if (text) lines.push(`  ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
      return lines;
    }
    case 'compensated':
      return [out.style('yellow', `↺ ${view.workflowId} compensated${figures}`), `  ${view.statusDetail ?? 'rolled back'}`];
    case 'cancelled':
      return [out.style('yellow', `⊘ ${view.workflowId} cancelled${figures}`)];
    case 'failed':
      return [out.style('red', `✗ ${view.workflowId} failed${figures}`), `  ${view.failure ?? view.statusDetail ?? ''}`];
    default:
      return [`${view.workflowId} ${view.status}${figures}${view.statusDetail ? ` · ${view.statusDetail}` : ''}`];
  }
}

/** Entries with a stable key: when, what, and which of several identical ones. */
function keyed(timeline: readonly TimelineEntry[]): Array<{ key: string; entry: TimelineEntry }> {
  const seen = new Map<string, number>();
  return timeline.map((entry) => {
    const base = `${entry.at}|${entry.kind}|${entry.title}|${entry.effectId ?? ''}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { key: `${base}#${n}`, entry };
  });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Quotes an argument for a shell when it needs it. */
export function quoteArg(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
