/**
 * What continue-as-new carries, field by field: follows a run's chain of runs and sizes each run's history and
 * the carried input it started from (the `carried` field of its first event's input), so a field that grows with
 * the run shows up as a column that keeps rising.
 *
 * `npx tsx bench/carried.ts [--steps 1000] [--links 2,10,100] [--every 100]`: starts its own stack, runs the
 * `reference` workload for `--steps` steps, and prints the carried bytes per field at the start of each link asked
 * for, then every link's history bytes.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { AgentRunInput, CarriedState } from '../src/shared/contracts';
import { runMain, withStack } from './entry';

/** One run of a chain: its history's size, and the carried input it started from (null for the first). */
export interface ChainLink {
  /** 1 for the first run of the chain. */
  link: number;
  runId: string;
  /** `describe().historySize`: the server's byte count of this run's history. */
  bytes: number;
  events: number;
  /** Model turns taken before this run started (the carried `turn`). */
  turnAtStart: number;
  /** Bytes of each carried field, as JSON, at this run's start; empty for the first run. */
  carriedBytes: Record<string, number>;
  /** Bytes of the whole carried input at this run's start (0 for the first run). */
  carriedTotal: number;
}

/** Bytes of each field of a carried state, as JSON (what the payload converter writes), and their sum. */
export function carriedFieldBytes(carried: CarriedState | undefined): { fields: Record<string, number>; total: number } {
  if (!carried) return { fields: {}, total: 0 };
  const fields = Object.fromEntries(Object.entries(carried).map(([key, value]) => [key, Buffer.byteLength(JSON.stringify(value ?? null))]));
  return { fields, total: Buffer.byteLength(JSON.stringify(carried)) };
}

/** The run input a history starts from, decoded with the default (JSON) payload converter. */
export function startInputOf(history: temporal.api.history.v1.IHistory): AgentRunInput | undefined {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<AgentRunInput>(payload) : undefined;
}

/** Follows the chain of runs from `firstRunId` through its continued-as-new events, sizing each run. */
export async function followChain(client: Client, workflowId: string, firstRunId: string): Promise<ChainLink[]> {
  const links: ChainLink[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const run: WorkflowHandle = client.workflow.getHandle(workflowId, runId);
    const description = await run.describe();
    const history: temporal.api.history.v1.IHistory = await run.fetchHistory();
    const carried = startInputOf(history)?.carried;
    const sizes = carriedFieldBytes(carried);
    links.push({
      link: links.length + 1,
      runId,
      bytes: description.historySize ?? Number.NaN,
      events: description.historyLength,
      turnAtStart: carried?.turn ?? 0,
      carriedBytes: sizes.fields,
      carriedTotal: sizes.total,
    });
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return links;
}

/** Rows of carried bytes per field at the start of the links asked for (those that exist), one column per link. */
export function carriedTable(links: readonly ChainLink[], wanted: readonly number[]): string[] {
  const chosen = wanted.map((n) => links.find((link) => link.link === n)).filter((link): link is ChainLink => link !== undefined);
  if (chosen.length === 0) return ['(no link asked for exists)'];
  const fields = [...new Set(chosen.flatMap((link) => Object.keys(link.carriedBytes)))];
  const header = ['field', ...chosen.map((link) => `link ${link.link}`)];
  const rows = fields.map((field) => [field, ...chosen.map((link) => String(link.carriedBytes[field] ?? '-'))]);
  rows.push(['(whole carried input)', ...chosen.map((link) => String(link.carriedTotal))]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  return [header, ...rows].map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '));
}

async function main(): Promise<void> {
  const { benchWorkflowId, sagentInput } = await import('./workload');
  const { resultWithin, tag } = await import('./stats');
  const flag = (name: string) => {
    const index = process.argv.indexOf(name);
    return index > 0 ? process.argv[index + 1] : undefined;
  };
  const steps = Number(flag('--steps') ?? 1000);
  const every = flag('--every') ? Number(flag('--every')) : undefined;
  const wanted = (flag('--links') ?? '2,10,100').split(',').map(Number);
  await withStack('carried', async (stack, log) => {
    const workflowId = benchWorkflowId('reference', steps, `carried-${tag()}`);
    const began = performance.now();
    const handle = await stack.startSagent(workflowId, sagentInput('reference', steps, every));
    const outcome = await resultWithin<{ status: string }>(handle, 60 * 60_000);
    const wallMs = performance.now() - began;
    log(`${steps} steps ${outcome.status} in ${Math.round(wallMs / 1000)} s`);
    const links = await followChain(stack.client, workflowId, handle.firstExecutionRunId);
    console.log(`carried bytes per field at the start of links ${wanted.join(', ')} (${links.length} links):`);
    for (const line of carriedTable(links, wanted)) console.log(`  ${line}`);
    console.log('history bytes per link:');
    console.log(`  ${links.map((link) => `${link.link}:${link.bytes}`).join(' ')}`);
    const largest = Math.max(...links.map((link) => link.bytes));
    const ratio = links.length > 1 ? (largest / links[0].bytes).toFixed(3) : 'n/a';
    console.log(
      `${links.length} links · first full link ${links[0].bytes} B · largest ${largest} B · largest ÷ first full ${ratio} · wall ${Math.round(wallMs / 1000)} s`,
    );
  });
}

if (require.main === module) runMain(main);
