/**
 * Claude's text, as it streams in, sent to the run's live feed in small batches: one signal per batch, never one
 * per piece, so the history holds a few events per turn. The feed is a view: a batch that cannot be sent is
 * dropped, never a reason to fail the model call.
 */
import type { FeedBatch } from '../shared/feed';

/** How the text of a model call is batched for the live feed. */
export interface LiveFeedOptions {
  /** The longest a piece of text waits before it is sent. @default 500 */
  flushMs: number;
  /** A batch is sent at once when its text reaches this many bytes. @default 4096 */
  maxBatchBytes: number;
  /** How long the end of a call waits for its last batch to be taken. @default 2000 */
  closeTimeoutMs: number;
}

export const DEFAULT_LIVE_FEED: LiveFeedOptions = { flushMs: 500, maxBatchBytes: 4096, closeTimeoutMs: 2000 };

export class FeedPublisher {
  private buffer = '';
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (batch: FeedBatch) => Promise<void>,
    private readonly turn: number,
    private readonly attempt: number,
    private readonly options: LiveFeedOptions = DEFAULT_LIVE_FEED,
  ) {
    // A retry says so at once, so readers drop the failed attempt's text before the new text comes.
    if (attempt > 1) this.flush(true);
  }

  push(text: string): void {
    if (!text) return;
    this.buffer += text;
    if (Buffer.byteLength(this.buffer) >= this.options.maxBatchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
  }

  /** Sends what is buffered and waits (bounded) until every batch is taken; the call's answer goes back after it. */
  async close(): Promise<void> {
    this.flush();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.sending, new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.options.closeTimeoutMs)))]);
    clearTimeout(timeout);
  }

  private flush(evenEmpty = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.buffer && !evenEmpty) return;
    this.seq += 1;
    const batch: FeedBatch = { turn: this.turn, attempt: this.attempt, seq: this.seq, text: this.buffer };
    this.buffer = '';
    // One batch at a time, in order; a failed send is dropped (the run may have moved on).
    this.sending = this.sending.then(() => this.send(batch)).catch(() => undefined);
  }
}
