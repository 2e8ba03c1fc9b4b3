/**
 * Replay: the time `Worker.runReplayHistory` takes to replay a long history (what a worker pays when a run
 * leaves its cache, and what the replay tests pay), for sagent, for the plain loop of the same length, and
 * for the peer, whose history is replayed by `bench/peer/replay.js` with the peer's own SDK and Node. sagent's and
 * plain's replays alternate in this process after one uncounted replay of each (the first pays for compiling the
 * SDK's replay path), so neither side's samples all come first.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { PEER_NODE, type BenchStack } from './stack';
import { median, ratioSpread, resultWithin, round, spreadText, tag, type RatioSpread } from './stats';
import { benchWorkflowId, sagentInput, TASKS } from './workload';

export interface ReplayPlan {
  steps: number;
  repeats: number;
}

export interface ReplaySide {
  medianMs: number;
  samplesMs: number[];
  events: number;
  bytes: number;
}

export interface ReplayResult {
  steps: number;
  repeats: number;
  sagent: ReplaySide;
  baseline: ReplaySide;
  /** sagent ÷ plain per pair of neighbouring replays: its median and interquartile range. Absent from older runs. */
  pairedRatio?: RatioSpread;
  /** `status` is TERMINATED when the server ended the peer's run at its history limit before `steps`. */
  peer: ReplaySide & { status: string };
}

export async function measureReplay(stack: BenchStack, plan: ReplayPlan, log: (line: string) => void): Promise<ReplayResult> {
  const sagentHandle = await stack.startSagent(
    benchWorkflowId('reference', plan.steps, `replay-sagent-${tag()}`),
    sagentInput('reference', plan.steps, 100_000),
  );
  await resultWithin(sagentHandle, 5 * 60_000);
  const plainHandle = await stack.startBaseline('plainLoop', benchWorkflowId('reference', plan.steps, `replay-plain-${tag()}`), {
    task: TASKS.reference,
    maxTurns: plan.steps + 10,
  });
  await resultWithin(plainHandle, 5 * 60_000);
  const [sagentHistory, plainHistory] = [await replayable(sagentHandle), await replayable(plainHandle)];
  // One replay of each first, not counted.
  await replayOnce(stack, sagentHistory);
  await replayOnce(stack, plainHistory);
  const samples = { sagent: [] as number[], baseline: [] as number[] };
  for (let repeat = 0; repeat < plan.repeats; repeat++) {
    samples.sagent.push(await replayOnce(stack, sagentHistory));
    samples.baseline.push(await replayOnce(stack, plainHistory));
  }
  const sagent = sideOf(sagentHistory, samples.sagent);
  const baseline = sideOf(plainHistory, samples.baseline);
  const pairedRatio = ratioSpread(samples.sagent, samples.baseline);
  log(`replay: sagent ${plan.steps} steps (${sagent.events} events): median ${sagent.medianMs} ms`);
  log(`replay: plain ${plan.steps} steps (${baseline.events} events): median ${baseline.medianMs} ms`);
  log(`replay: sagent ÷ plain per pair ${spreadText(pairedRatio)}; pairs ${pairedRatio.pairs.join(', ')}`);
  const peer = await peerReplayTimes(stack, plan);
  log(`replay: peer ${plan.steps} steps (${peer.events} events, ${peer.status}): median ${peer.medianMs} ms`);
  return { steps: plan.steps, repeats: plan.repeats, sagent, baseline, pairedRatio, peer };
}

const execFileAsync = promisify(execFile);

/** A peer run of `plan.steps` reference steps, its history written as JSON and replayed in the peer's folder. */
async function peerReplayTimes(stack: BenchStack, plan: ReplayPlan): Promise<ReplaySide & { status: string }> {
  const handle = await stack.startPeer(benchWorkflowId('reference', plan.steps, `replay-peer-${tag()}`), { task: TASKS.reference, maxTurns: plan.steps + 10 });
  // The server may terminate the peer's run at its history limit: what was recorded replays all the same.
  await resultWithin(handle, 5 * 60_000).catch(() => undefined);
  const description = await handle.describe();
  const file = path.join(stack.dbDir, `${handle.workflowId}.history.json`);
  await fs.writeFile(file, historyToJSON(await historyInSmallPages(stack, handle.workflowId)));
  try {
    const { stdout } = await execFileAsync(PEER_NODE, [path.join(stack.peerDir, 'replay.js'), file, handle.workflowId, String(plan.repeats)], {
      maxBuffer: 1024 * 1024,
    });
    const { samplesMs } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { samplesMs: number[] };
    return {
      medianMs: round(median(samplesMs)),
      samplesMs: samplesMs.map((ms) => round(ms)),
      events: description.historyLength,
      bytes: description.historySize ?? Number.NaN,
      status: description.status.name,
    };
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** The whole history, a few events a page: a page of the peer's large events would pass the gRPC message limit. */
async function historyInSmallPages(stack: BenchStack, workflowId: string): Promise<History> {
  const events: NonNullable<History['events']> = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.client.options.namespace,
      execution: { workflowId },
      maximumPageSize: 8,
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

interface Replayable {
  workflowId: string;
  history: History;
  events: number;
  bytes: number;
}

async function replayable(handle: WorkflowHandle): Promise<Replayable> {
  const description = await handle.describe();
  return {
    workflowId: handle.workflowId,
    history: await handle.fetchHistory(),
    events: description.historyLength,
    bytes: description.historySize ?? Number.NaN,
  };
}

/** One replay of the whole history, in ms. */
async function replayOnce(stack: BenchStack, { history, workflowId }: Replayable): Promise<number> {
  const started = performance.now();
  await Worker.runReplayHistory({ workflowBundle: stack.bundle }, history, workflowId);
  return performance.now() - started;
}

function sideOf({ events, bytes }: Replayable, samples: number[]): ReplaySide {
  return { medianMs: round(median(samples)), samplesMs: samples.map((ms) => round(ms)), events, bytes };
}
