/**
 * A worker's link to the fleet's breaker board: every `BREAKER_POLL_MS` it queries the board for operators'
 * overrides (a query: nothing lands in the board's history) and applies them to its breakers, and it signals its
 * own breakers' report when they change (and every `BREAKER_REPORT_EVERY_MS`, so the board knows it is alive).
 * The first report starts the board with signal-with-start, so no one has to create it. An override therefore
 * reaches every polling worker within one poll, about 2 s; the board is durable, so it survives a server or
 * worker restart.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  breakerBoardId,
  BREAKER_BOARD_WORKFLOW,
  BREAKER_POLL_MS,
  BREAKER_REPORT_EVERY_MS,
  breakerBoardQuery,
  breakerReportSignal,
  type WorkerBreakerReport,
} from '../shared/breakers';
import type { WorkerBreakers } from './registry';

/** What `BreakerSync` takes: the client that reaches the board, and this worker's breakers. */
export interface BreakerSyncOptions {
  /** The client that signals and queries the breaker board. */
  client: Client;
  /** The task queue the board runs on when this worker starts it (a worker of it must export the board). */
  taskQueue: string;
  /** This worker's breakers, reported to the board and steered by its overrides. */
  breakers: WorkerBreakers;
  /** @default host:pid:random */
  workerId?: string;
  /** @default BREAKER_POLL_MS */
  pollMs?: number;
  /** Told once per kind of failure to reach the board; the worker's breakers keep working on their own. @default console.warn */
  warn?: (message: string) => void;
}

/** Keeps one worker's breakers in step with the board until `stop()`. */
export class BreakerSync {
  readonly workerId: string;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastSent = { key: '', atMs: 0 };
  private readonly warned = new Set<string>();
  private stopping = false;

  constructor(private readonly options: BreakerSyncOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.ticking ??= this.tick().finally(() => {
        this.ticking = null;
      });
    };
    tick();
    this.timer = setInterval(tick, this.options.pollMs ?? BREAKER_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // The round in flight may meet the board going away with the worker that hosts it: nothing to tell anyone then.
    this.stopping = true;
    await this.ticking;
  }

  /** One round: read the overrides, then report if anything changed. */
  async tick(): Promise<void> {
    const { client, breakers } = this.options;
    try {
      const board = await client.workflow.getHandle(breakerBoardId(this.options.taskQueue)).query(breakerBoardQuery);
      breakers.setOverrides(board.overrides);
    } catch (err) {
      // Not started yet: the report below starts it.
      if (!(err instanceof WorkflowNotFoundError) && (err as Error)?.name !== 'WorkflowNotFoundError') this.warn('query', err);
    }
    const snapshot = breakers.snapshot();
    const key = JSON.stringify(snapshot.map(({ name, state, opened }) => [name, state, opened]));
    const now = Date.now();
    if (key === this.lastSent.key && now - this.lastSent.atMs < BREAKER_REPORT_EVERY_MS) return;
    const report: WorkerBreakerReport = { workerId: this.workerId, taskQueue: this.options.taskQueue, at: new Date(now).toISOString(), breakers: snapshot };
    try {
      await client.workflow.signalWithStart(BREAKER_BOARD_WORKFLOW, {
        workflowId: breakerBoardId(this.options.taskQueue),
        taskQueue: this.options.taskQueue,
        args: [],
        signal: breakerReportSignal,
        signalArgs: [report],
      });
      this.lastSent = { key, atMs: now };
    } catch (err) {
      this.warn('report', err);
    }
  }

  private warn(kind: string, err: unknown): void {
    if (this.stopping) return;
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    const say = this.options.warn ?? ((message: string) => console.warn(message));
    say(`sagent breakers: cannot reach the breaker board (${kind}): ${(err as Error)?.message ?? err}; this worker's breakers work on their own`);
  }
}
