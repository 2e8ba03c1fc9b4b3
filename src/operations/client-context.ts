/**
 * The leaf every client operation shares: the context it works with, the gRPC code of an error, and why a worker
 * cannot advance a run. It imports nothing of the operations, so they can all import it.
 */
import type { Client } from '@temporalio/client';

export interface ClientContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  queryTimeoutMs: number;
}

/** Why no worker advances a run: its workflow task fails again and again. */
export interface WorkflowTaskFailure {
  /** The workflow task's attempt now (2 and more: it failed before). */
  attempt: number;
  message: string;
  /** The worker replayed the run's history with code that makes other decisions than the code that wrote it. */
  nonDeterminism: boolean;
  /** What to do about it, in one sentence. */
  fix: string;
}

/** The gRPC status code of an error or of the error it wraps. */
export function grpcCode(err: unknown): number | undefined {
  for (let current = err, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
