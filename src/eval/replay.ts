/**
 * Replay evals: the tasks of recorded runs (from a namespace or from exported histories) run again on today's code,
 * and where the trajectory or the outcome differs from the recording. Optionally the recorded tool results are
 * played back instead of calling the tools, so only the agent's own decisions can differ.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { newKeyPair } from '../policies/signature';
import { checkRunInput } from '../shared/run-input';
import type { AgentRunInput } from '../shared/contracts';
import type { EvalEnvironment, SagentClient } from './environment';
import { recordOf, recordedToolResults, type RunRecord } from './record';
import { EVAL_APPROVER, driveRun, pool, recordOfRun } from './runner';
import type { Stub } from './suite';

/** A recorded run: its record, and its histories for playing back tool results. */
export interface RecordedRun {
  /** The recorded workflow id, or the history file's name (`sagent history <id> > <id>.json` keeps them equal). */
  id: string;
  record: RunRecord;
  histories: History[];
}

/** A recorded run against its replay: the differences in status, tool calls and effects (none: the same). */
export interface ReplayResult {
  id: string;
  workflowId: string;
  uiUrl: string;
  recorded: { status: string; calls: string[]; effects: string[] };
  replayed: { status: string; calls: string[]; effects: string[] } | null;
  /** Empty when the run did the same again. */
  differences: string[];
}

/** What `replayRuns` takes: where the recorded runs run again, and how. */
export interface ReplayOptions {
  /** Where the runs run again: a client of a worker that runs the agents. */
  environment: EvalEnvironment;
  /** Play back the recorded tool results instead of calling the tools (needs an environment with stubs). @default false */
  toolResults?: boolean;
  /** Runs replayed at a time. @default 4 */
  concurrency?: number;
  /** How long one replayed run may take to end. @default 60_000 */
  timeoutMs?: number;
  /** Told one line per replayed run. @default none */
  say?(line: string): void;
}

/** Reads exported histories (`sagent history` output); a file's sub-agents are not part of it. */
export function recordedRunsFromFiles(files: readonly string[]): Promise<RecordedRun[]> {
  return Promise.all(
    files.map(async (file) => {
      let history: History;
      try {
        history = historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8')));
      } catch (err) {
        throw new Error(`history ${file}: not a history as \`sagent history\` writes it (${(err as Error).message})`);
      }
      const id = path.basename(file).replace(/\.json$/, '');
      const record = await recordOf(id, async (wanted) => (wanted === id ? history : null));
      return { id, record, histories: [history] };
    }),
  );
}

/** The closed runs a visibility query finds (at most `limit`), read with their sub-agents. */
export async function recordedRunsFromQuery(client: Client, sagent: SagentClient, query: string, limit = 50): Promise<RecordedRun[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: `(${query}) AND ExecutionStatus != 'Running'` })) {
    // Sub-agents' runs are read with their parent.
    if (execution.parentExecution) continue;
    if (!ids.includes(execution.workflowId)) ids.push(execution.workflowId);
    if (ids.length >= limit) break;
  }
  return Promise.all(
    ids.map(async (id) => {
      const histories: History[] = [];
      const record = await recordOf(id, async (wanted) => {
        const history = await sagent.history(wanted).catch(() => null);
        if (history) histories.push(history);
        return history;
      });
      return { id, record, histories };
    }),
  );
}

/** Runs each recorded task again and says where it differs from the recording. */
export async function replayRuns(runs: readonly RecordedRun[], options: ReplayOptions): Promise<ReplayResult[]> {
  const { environment } = options;
  if (options.toolResults && !environment.stubs) throw new Error('--tool-results needs an environment that can stub tools (--environment <module>)');
  const key = newKeyPair();
  const stamp = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  return pool(runs, options.concurrency ?? 4, async (run) => {
    const workflowId = `${run.id}-replay-${stamp}`;
    const approved = [...new Set(run.record.approvals.filter((approval) => approval.decision === 'approve').map((approval) => approval.tool))];
    if (options.toolResults) environment.stubs!.set(workflowId, stubsOf(run.histories));
    let replayed: RunRecord | null = null;
    let error: string | null = null;
    try {
      await environment.sagent.start(replayInput(run.record.input, key.publicKey), {
        workflowId,
        startedBy: `Replayed by \`sagent eval --replay\` from ${run.id}.`,
      });
      const driven = await driveRun(environment.sagent, workflowId, { approve: approved }, key.privateKey, options.timeoutMs ?? 60_000);
      replayed = await recordOfRun(environment.sagent, environment, workflowId);
      if (driven.timedOut) error = 'timed out (cancelled)';
    } catch (err) {
      error = `${(err as Error).name}: ${(err as Error).message}`;
    } finally {
      environment.stubs?.delete(workflowId);
    }
    const result = compareRuns(run, replayed, workflowId, environment.sagent.uiLink(workflowId));
    if (error) result.differences.unshift(`the replay did not finish: ${error}`);
    options.say?.(`  ${run.id}: ${result.differences.length === 0 ? 'same' : `${result.differences.length} difference(s)`}`);
    return result;
  });
}

/** The recorded input, with the eval as its (signing) approver in place of the people who decided. */
function replayInput(recorded: AgentRunInput, publicKey: string): AgentRunInput {
  const { carried: _carried, ...input } = recorded;
  const replay: AgentRunInput = { ...input, approval: { ...input.approval, approvers: [{ name: EVAL_APPROVER, publicKey }], anyNamespaceUser: undefined } };
  const checked = checkRunInput(JSON.parse(JSON.stringify(replay)));
  if (!checked.success) throw new Error(`the recorded input does not fit today's run input: ${checked.error}`);
  return checked.data;
}

function stubsOf(histories: readonly History[]): Record<string, Stub[]> {
  const stubs: Record<string, Stub[]> = {};
  for (const history of histories) {
    for (const [tool, results] of Object.entries(recordedToolResults(history))) (stubs[tool] ??= []).push(...results.map((result) => ({ result })));
  }
  return stubs;
}

/** The run's own calls and effects (a sub-agent's are not in an exported file, so they are left out on both sides). */
function shapeOf(record: RunRecord): { status: string; calls: string[]; effects: string[] } {
  return {
    status: record.status,
    calls: record.calls.filter((call) => call.workflowId === record.workflowId).map((call) => call.tool),
    effects: record.effects
      .filter((effect) => effect.depth === 0)
      .map((effect) => `${effect.tool}:${effect.state}${effect.compensation === 'compensated' ? '+undone' : ''}`),
  };
}

/** Compares a recorded run with its replay (null when the replay never ended) by status, tool calls and effects. */
export function compareRuns(run: RecordedRun, replayed: RunRecord | null, workflowId: string, uiUrl: string): ReplayResult {
  const recorded = shapeOf(run.record);
  const now = replayed ? shapeOf(replayed) : null;
  const differences: string[] = [];
  if (now) {
    if (now.status !== recorded.status) differences.push(`outcome: recorded ${recorded.status}, now ${now.status}`);
    const at = firstDifference(recorded.calls, now.calls);
    if (at >= 0)
      differences.push(
        `trajectory: call ${at + 1} was ${recorded.calls[at] ?? '(none)'}, now ${now.calls[at] ?? '(none)'} (recorded ${recorded.calls.join(' ')}; now ${now.calls.join(' ')})`,
      );
    const effectAt = firstDifference(recorded.effects, now.effects);
    if (effectAt >= 0) differences.push(`effects: recorded ${recorded.effects.join(', ') || 'none'}; now ${now.effects.join(', ') || 'none'}`);
  }
  return { id: run.id, workflowId, uiUrl, recorded, replayed: now, differences };
}

function firstDifference(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}
