/**
 * What an eval reads of a run: its task, the calls the model asked for, its effects and approvals, its usage and
 * outcome. Read from event histories (the run's and its sub-agents'), so a run just made and a run recorded last
 * month (`sagent history` output) are read the same way.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { History, Payload } from '@temporalio/common/lib/proto-utils';
import type { AgentRunInput, ApprovalRecord, EffectRecord, RunOutcome } from '../shared/contracts';
import type { ToolOutput } from '../shared/activity-io';
import type { ModelTurn } from '../shared/wire';

/** One call the model asked for, in the order it asked. */
export interface CallSeen {
  /** The workflow id of the run (a sub-agent's for its calls). */
  workflowId: string;
  agent: string;
  turn: number;
  tool: string;
  input: unknown;
  /** What the tool returned to the model (its projected text), when it ran; null for a call that did not run. */
  result: string | null;
}

/** An effect of the run tree, with the services' record of it when they were asked. */
export interface EffectSeen extends EffectRecord {
  /** 0 for the run's own, 1 for a sub-agent's, … */
  depth: number;
  /** The services' own state for its key (`active`, `undone`), or null when they keep none or were not asked. */
  serviceState: string | null;
}

/** A finished run as evals read it, from its history: status, calls, effects, approvals, usage and answer. */
export interface RunRecord {
  workflowId: string;
  agent: string;
  task: string;
  input: AgentRunInput;
  /** completed | compensated | cancelled | failed | terminated | timed_out | running */
  status: string;
  reason: string | null;
  finalText: string | null;
  steps: number;
  tokens: { input: number; output: number };
  costUsd: number;
  latencyMs: number;
  /** Every model-requested call of the run and its sub-agents, a sub-agent's right after the call that delegated. */
  calls: CallSeen[];
  effects: EffectSeen[];
  approvals: ApprovalRecord[];
  /** The calls that waited for a decision, as the eval saw them pending (absent for a recorded run). */
  approvalRequests?: ApprovalRequestSeen[];
}

/** A call that waited for a decision: its input, the policy rule that asked, and what the eval decided. */
export interface ApprovalRequestSeen {
  workflowId: string;
  callId: string;
  tool: string;
  input: unknown;
  rule: string | null;
  decision: 'approve' | 'reject';
}

/** One run's history, read: the pieces a record is made of. */
interface HistoryRead {
  input: AgentRunInput;
  outcome: RunOutcome | null;
  closedAs: string;
  startedAt: number;
  endedAt: number;
  turns: Array<{ turn: number; content: ModelTurn['content'] }>;
  /** runTool results by tool, in order: what a replay can play back. */
  toolResults: Array<{ tool: string; input: unknown; output: string }>;
  children: string[];
}

/** Reads one history. Throws when it is not the history of an `agentSaga` run. */
export function readHistory(history: History, label = 'history'): HistoryRead {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  if (!started) throw new Error(`${label}: the first event is not WorkflowExecutionStarted`);
  const input = decode(started.input?.payloads?.[0]) as AgentRunInput | undefined;
  if (!input || typeof input.agent !== 'string' || typeof input.task !== 'string') {
    throw new Error(`${label}: the run's input has no agent and task (not a sagent run, or its payloads are encrypted: export it with the codec key)`);
  }
  const scheduled = new Map<string, { name: string; input: unknown }>();
  const turns: HistoryRead['turns'] = [];
  const toolResults: HistoryRead['toolResults'] = [];
  const children: string[] = [];
  let outcome: RunOutcome | null = null;
  let closedAs = 'running';
  for (const event of events) {
    const id = String(event.eventId ?? '');
    const scheduledAttrs = event.activityTaskScheduledEventAttributes;
    if (scheduledAttrs) scheduled.set(id, { name: scheduledAttrs.activityType?.name ?? '', input: decode(scheduledAttrs.input?.payloads?.[0]) });
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const activity = scheduled.get(String(completed.scheduledEventId ?? ''));
      const result = decode(completed.result?.payloads?.[0]);
      if (activity?.name === 'callModel') {
        turns.push({
          turn: (activity.input as { turn?: number } | undefined)?.turn ?? turns.length + 1,
          content: (result as ModelTurn | undefined)?.content ?? [],
        });
      } else if (activity?.name === 'runTool') {
        const call = activity.input as { tool: string; input: unknown };
        toolResults.push({ tool: call.tool, input: call.input, output: (result as ToolOutput | undefined)?.content ?? '' });
      }
    }
    const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (child) children.push(child);
    if (event.workflowExecutionCompletedEventAttributes) {
      outcome = decode(event.workflowExecutionCompletedEventAttributes.result?.payloads?.[0]) as RunOutcome;
      closedAs = outcome?.status ?? 'completed';
    }
    if (event.workflowExecutionFailedEventAttributes) closedAs = 'failed';
    if (event.workflowExecutionCanceledEventAttributes) closedAs = 'cancelled';
    if (event.workflowExecutionTerminatedEventAttributes) closedAs = 'terminated';
    if (event.workflowExecutionTimedOutEventAttributes) closedAs = 'timed_out';
    if (event.workflowExecutionContinuedAsNewEventAttributes) closedAs = 'continued_as_new';
  }
  return { input, outcome, closedAs, startedAt: msOf(events[0]?.eventTime), endedAt: msOf(events[events.length - 1]?.eventTime), turns, toolResults, children };
}

/** Where the histories of a run tree come from: the server, or files a user exported. */
export type HistorySource = (workflowId: string) => Promise<History | null>;

/** Builds the record of a run and its sub-agents; `services` gives the services' own rows for a key prefix. */
export async function recordOf(
  workflowId: string,
  histories: HistorySource,
  services?: (workflowId: string) => Promise<Map<string, string> | null>,
): Promise<RunRecord> {
  const root = await histories(workflowId);
  if (!root) throw new Error(`no history for ${workflowId}`);
  const read = readHistory(root, workflowId);
  const serviceStates = (await services?.(workflowId)) ?? null;
  const record: RunRecord = {
    workflowId,
    agent: read.input.agent,
    task: read.input.task,
    input: read.input,
    status: read.closedAs,
    reason: read.outcome?.reason ?? null,
    finalText: read.outcome?.finalText ?? null,
    steps: read.outcome?.steps ?? read.turns.length,
    tokens: { input: read.outcome?.usage.inputTokens ?? 0, output: read.outcome?.usage.outputTokens ?? 0 },
    costUsd: read.outcome?.usage.costUsd ?? 0,
    latencyMs: read.endedAt - read.startedAt,
    calls: [],
    effects: flattenEffects(read.outcome?.effects ?? [], 0, serviceStates),
    approvals: [...(read.outcome?.approvals ?? [])],
  };
  await addCalls(record, workflowId, read, histories);
  return record;
}

/** The run's calls in order, and after each delegating call the sub-agent's calls, usage and approvals. */
async function addCalls(record: RunRecord, workflowId: string, read: HistoryRead, histories: HistorySource): Promise<void> {
  const children = [...read.children];
  const results = [...read.toolResults];
  for (const turn of read.turns) {
    for (const block of turn.content) {
      if (block.type !== 'tool_use') continue;
      const exact = results.findIndex((entry) => entry.tool === block.name && sameJson(entry.input, block.input));
      const at = exact >= 0 ? exact : results.findIndex((entry) => entry.tool === block.name);
      const result = at >= 0 ? results.splice(at, 1)[0].output : null;
      record.calls.push({ workflowId, agent: read.input.agent, turn: turn.turn, tool: block.name, input: block.input, result });
      if (!block.name.startsWith('delegate_')) continue;
      const childId = children.shift();
      const child = childId ? await histories(childId) : null;
      if (!childId || !child) continue;
      const childRead = readHistory(child, childId);
      record.steps += childRead.outcome?.steps ?? childRead.turns.length;
      record.tokens.input += childRead.outcome?.usage.inputTokens ?? 0;
      record.tokens.output += childRead.outcome?.usage.outputTokens ?? 0;
      record.costUsd += childRead.outcome?.usage.costUsd ?? 0;
      record.approvals.push(...(childRead.outcome?.approvals ?? []));
      await addCalls(record, childId, childRead, histories);
    }
  }
}

function flattenEffects(effects: readonly EffectRecord[], depth: number, services: Map<string, string> | null): EffectSeen[] {
  return [...effects]
    .sort((a, b) => a.seq - b.seq)
    .flatMap((effect) => [
      { ...effect, depth, serviceState: services?.get(effect.effectId) ?? null },
      ...flattenEffects(effect.delegation?.effects ?? [], depth + 1, services),
    ]);
}

/** The tool results a run recorded, by tool in call order: what a replay plays back instead of calling the tools. */
export function recordedToolResults(history: History): Record<string, unknown[]> {
  const byTool: Record<string, unknown[]> = {};
  for (const { tool, output } of readHistory(history).toolResults) {
    let result: unknown = output;
    try {
      result = JSON.parse(output);
    } catch {
      // A text result stays text.
    }
    (byTool[tool] ??= []).push(result);
  }
  return byTool;
}

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(payload);
  } catch {
    return undefined;
  }
}

function msOf(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!time) return 0;
  const seconds = time.seconds as number | { toNumber(): number } | string | null | undefined;
  const whole = typeof seconds === 'object' && seconds !== null ? seconds.toNumber() : Number(seconds ?? 0);
  return whole * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
