/**
 * Bounded time for one model call: a first-byte deadline and an idle-stream deadline, so a hung endpoint (one that
 * accepts and never answers, or stops after `message_start`) fails the attempt in seconds and Temporal's retry
 * policy takes over. Bytes count as progress, pings included: the SDK hides pings from its event stream, so the
 * client's `fetch` reports the bytes of every response it reads for a watched call.
 */
import { RUN_HEADER, TURN_HEADER } from '../shared/constants';

/** How long a model call may wait for bytes. */
export interface ModelTimeouts {
  /** From sending the request to the first byte of the answer (the response headers). @default 15_000 */
  firstByteMs: number;
  /** Between two chunks of a streamed answer (pings count). @default 15_000 */
  idleMs: number;
}

/**
 * The stock deadlines, the ones RELIABILITY.md measures: a streamed answer starts with its headers and then sends
 * events or pings, so 15 s of silence is a dead connection or a hung endpoint, and the retry goes elsewhere. Raise
 * them (worker option `modelTimeouts`) only for endpoints known to sit silent longer.
 */
export const DEFAULT_MODEL_TIMEOUTS: ModelTimeouts = { firstByteMs: 15_000, idleMs: 15_000 };

/** The stream went quiet past a deadline; classified as a retryable `ModelInvocationError.Timeout`. */
export class ModelStallError extends Error {
  override name = 'ModelStallError' as const;
  constructor(
    readonly phase: 'first_byte' | 'idle',
    readonly afterMs: number,
  ) {
    super(phase === 'first_byte' ? `the model sent nothing within ${afterMs} ms of the request` : `the model's stream was idle for ${afterMs} ms`);
  }
}

/** Watched calls by `<run>\u0000<turn>`, the headers every model request carries. */
const watched = new Map<string, () => void>();

const keyOf = (runId: string, turn: number | string) => `${runId}\u0000${turn}`;

/**
 * Aborts `controller` when the call stalls; `progress()` marks bytes or events arriving. A chunk only notes the time:
 * the one timer, when it fires, looks at when the newest chunk came and waits out the rest of the idle deadline.
 */
export class StallWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  /** When the newest bytes came (`performance.now()`): the idle deadline runs from here. */
  private lastProgress = 0;
  stalled: ModelStallError | null = null;

  constructor(
    private readonly timeouts: ModelTimeouts,
    private readonly controller: AbortController,
    private readonly key?: { runId: string; turn: number },
  ) {
    if (key) watched.set(keyOf(key.runId, key.turn), () => this.progress());
    this.wait(timeouts.firstByteMs);
  }

  progress(): void {
    this.lastProgress = performance.now();
    if (this.started) return;
    this.started = true;
    this.wait(this.timeouts.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.key) watched.delete(keyOf(this.key.runId, this.key.turn));
  }

  private wait(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), ms);
  }

  private check(): void {
    const { firstByteMs, idleMs } = this.timeouts;
    if (this.started) {
      const quiet = performance.now() - this.lastProgress;
      if (quiet < idleMs) return this.wait(idleMs - quiet);
    }
    this.stalled = this.started ? new ModelStallError('idle', idleMs) : new ModelStallError('first_byte', firstByteMs);
    this.controller.abort(this.stalled);
  }
}

/**
 * A `fetch` that reports the bytes of each response to the watchdog of the call it belongs to (found by the run and
 * turn headers); other requests pass through untouched.
 */
export function progressReportingFetch(inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    const runId = headers.get(RUN_HEADER);
    const turn = headers.get(TURN_HEADER);
    const response = await inner(input, init);
    const report = runId !== null && turn !== null ? watched.get(keyOf(runId, turn)) : undefined;
    if (!report || response.body === null) return response;
    report();
    // A pull source over the body's own reader: a chunk is read when the SDK asks for one, with none of a pipe's
    // machinery on either side.
    const reader = response.body.getReader();
    const observed = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        report();
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(observed, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
