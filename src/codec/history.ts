/**
 * A run's event history with its payloads decoded, as `sagent history` prints it and replay fixtures store it:
 * readable, and replayable by a worker without the key.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isSealed } from './encryption-codec';

/** A run's history as `WorkflowHandle.fetchHistory()` returns it. */
export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/**
 * Decodes, in place, every payload in `history` that the encryption codec sealed (inputs, results, failures' encoded
 * attributes, user metadata, memos); anything else is left as it is. Returns `history`.
 */
export async function decodeHistory(history: History, dataConverter: { payloadCodecs?: PayloadCodec[] } | undefined): Promise<History> {
  const codecs = [...(dataConverter?.payloadCodecs ?? [])].reverse();
  if (codecs.length === 0) return history;
  const sealed: Payload[] = [];
  collectSealed(history, sealed);
  for (const payload of sealed) {
    let decoded = [payload];
    for (const codec of codecs) decoded = await codec.decode(decoded);
    payload.metadata = decoded[0].metadata;
    payload.data = decoded[0].data;
  }
  return history;
}

function collectSealed(node: unknown, into: Payload[]): void {
  if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
  if (Array.isArray(node)) {
    for (const item of node) collectSealed(item, into);
    return;
  }
  if (isPayloadLike(node) && isSealed(node)) {
    into.push(node);
    return;
  }
  for (const value of Object.values(node)) collectSealed(value, into);
}

function isPayloadLike(node: object): node is Payload {
  const metadata = (node as Payload).metadata;
  return metadata !== null && typeof metadata === 'object' && ArrayBuffer.isView(metadata.encoding);
}
