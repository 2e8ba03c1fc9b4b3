/**
 * Heap snapshots of a worker process for the fleet bench: the main thread's and every worker thread's (the workflow
 * thread holds the cached runs), taken through the in-process inspector (`NodeWorker` domain), since Node's
 * `--heapsnapshot-signal` covers the main thread only. Bench-only: the worker program installs it when
 * BENCH_HEAP_SNAPSHOT_DIR is set, and writes one set of files per SIGUSR2.
 */
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import v8 from 'node:v8';

interface AttachedWorker {
  sessionId: string;
  workerInfo: { workerId: string; title: string };
}

/** The signal that asks for snapshots; the worker program must take it out of the SDK's shutdown signals. */
export const HEAP_SNAPSHOT_SIGNAL = 'SIGUSR2';

/** Writes `<label>-main.heapsnapshot` and `<label>-thread-<id>.heapsnapshot` into `dir`; resolves with the files. */
export async function writeHeapSnapshots(dir: string, label: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const files = [v8.writeHeapSnapshot(path.join(dir, `${label}-main.heapsnapshot`))];
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
  const attached: AttachedWorker[] = [];
  session.on('NodeWorker.attachedToWorker', (message) => attached.push((message as unknown as { params: AttachedWorker }).params));
  try {
    await post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    // The threads already running are announced right after `enable`.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const worker of attached)
      files.push(await snapshotThread(session, worker, path.join(dir, `${label}-thread-${worker.workerInfo.workerId}.heapsnapshot`)));
  } finally {
    await post('NodeWorker.disable').catch(() => undefined);
    session.disconnect();
  }
  return files;
}

async function snapshotThread(session: inspector.Session, worker: AttachedWorker, file: string): Promise<string> {
  const out = fs.openSync(file, 'w');
  const requestId = 1;
  try {
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        const { sessionId, message: text } = (message as { params: { sessionId: string; message: string } }).params;
        if (sessionId !== worker.sessionId) return;
        const reply = JSON.parse(text) as { id?: number; method?: string; params?: { chunk: string }; error?: { message: string } };
        if (reply.method === 'HeapProfiler.addHeapSnapshotChunk') fs.writeSync(out, reply.params!.chunk);
        else if (reply.id === requestId) {
          session.off('NodeWorker.receivedMessageFromWorker', onMessage);
          if (reply.error) reject(new Error(`heap snapshot of thread ${worker.workerInfo.workerId}: ${reply.error.message}`));
          else resolve();
        }
      };
      session.on('NodeWorker.receivedMessageFromWorker', onMessage);
      session.post('NodeWorker.sendMessageToWorker', {
        sessionId: worker.sessionId,
        message: JSON.stringify({ id: requestId, method: 'HeapProfiler.takeHeapSnapshot', params: { reportProgress: false } }),
      });
    });
  } finally {
    fs.closeSync(out);
  }
  return file;
}
