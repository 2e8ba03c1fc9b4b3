/**
 * Turn planning: reads Claude's answer and plans its tool calls. Each call is validated (registry, zod, loop
 * guards); a state-changing one gets its seq, effect id and call id, and one that needs a person its argsHash.
 * Pure: it takes the run's counters and returns new ones, so nothing changes until the loop applies the plan.
 */
import { approvalFor, type ApprovalRequirement } from '../policies/approval';
import { argsHashOf } from '../policies/canonical';
import { appendTurn, type Conversation } from '../policies/context';
import { callKeyOf } from '../policies/loop-guard';
import { countRefusal, repeatAnswer, repeatVerdict, type RepeatMemory, type RepeatedRefusal } from '../policies/repeat-guard';
import { checkToolCall } from '../policies/tool-call';
import { decideCall, withAutoVerdict, type CallVerdict, type PolicyContext } from '../policies/tool-policy';
import type { AuditEntry, AutoVerdict } from '../shared/policy';
import type { PendingApproval, PlannedCall, TurnInFlight } from '../shared/records';
import { toolError, type ToolErrorCode } from '../shared/tool-errors';
import type { ContentBlock, ModelTurn, ToolResultBlockParam, ToolUseBlock } from '../shared/wire';
import { changesWorld, type ToolDefinition } from '../tools/define';
import { errorResult } from './calls';
import type { RunMemory } from './run-memory';
import type { RunSettings } from './settings';

/** Distinct calls remembered for the identical-call guard; the oldest are forgotten so carried state stays bounded. */
const CALL_KEYS_KEPT = 500;

/** The memory fields a plan gives new values for. */
type PlannedFields = Pick<RunMemory, 'conversation' | 'callsPerTool' | 'callCounts' | 'nextSeq' | 'repeats'>;

/** What the planner needs of the run memory, as it stands after the model call. */
export type PlanningState = PlannedFields & Pick<RunMemory, 'turn' | 'limits' | 'taint'>;

/** Behaviour that old histories did not have; off when they replay (`patched()` in the loop). */
export interface PlanningGuards {
  /** Identical state-changing calls answered from the committed one; refusals counted, a stuck model stopped. */
  repeats: boolean;
  /** Calls decided by the policy rules (allow, ask, deny), the MCP defaults and the taint, and audited. */
  policy?: boolean;
  /** A read the policy asks about waits for a person (it was refused before), and MCP reads ask by default. */
  askReads?: boolean;
  /** Calls the rules let through are put to the worker's `auto` verdict source before planning. */
  auto?: boolean;
  /** The worker's `auto` verdicts, by `tool_use` id, asked before planning (see `autoCandidates`). */
  autos?: Readonly<Record<string, AutoVerdict>>;
}

/** A call the rules let through (allow or ask), to put to the worker's `auto` verdict source before planning. */
export interface AutoCandidate {
  toolUseId: string;
  tool: ToolDefinition;
  input: unknown;
  verdict: CallVerdict;
}

/** An approval to open: the request, and why the policy asks for it. */
export interface ApprovalAsk {
  request: PendingApproval;
  reason: string;
}

/** What to do with Claude's answer. */
export type TurnPlan =
  /** The saga ends: Claude refused, or called the abort tool. */
  | { kind: 'abort'; reason: string }
  /** No tool calls, and no final answer yet (a paused or cut answer): ask again. */
  | { kind: 'continue'; conversation: Conversation }
  | { kind: 'final'; conversation: Conversation; finalText: string }
  /** Tool calls to run; the turn joins the conversation once their results are known. */
  | (PlannedFields & { kind: 'tools'; inFlight: TurnInFlight; asks: ApprovalAsk[]; audit: AuditEntry[] });

/** Reads Claude's answer: the final text, a continuation, or tool calls to plan. */
export function planTurn(answer: ModelTurn, state: PlanningState, settings: RunSettings, nowMs: number, guards: PlanningGuards = { repeats: true }): TurnPlan {
  const { content, continuing } = answerContent(answer, state);
  const before: Conversation = continuing ? { ...state.conversation, turns: state.conversation.turns.slice(0, -1) } : state.conversation;
  const kept = (note?: string) => appendTurn(before, { turn: state.turn, assistant: content, results: [], ...(note ? { note } : {}) }, settings.context);
  const toolUses = content.filter((block): block is ToolUseBlock => block.type === 'tool_use');

  if (answer.stop_reason === 'refusal') return { kind: 'abort', reason: 'Claude refused to continue the task' };
  if (answer.stop_reason === 'pause_turn') return { kind: 'continue', conversation: kept() };
  if (answer.stop_reason === 'max_tokens' && toolUses.length === 0) {
    return { kind: 'continue', conversation: kept('Your answer was cut off by the output limit. Continue exactly where you stopped, more briefly.') };
  }
  if (toolUses.length === 0) {
    const finalText = content
      .filter((block) => block.type === 'text')
      .map((block) => block.text)
      .join('\n')
      .trim();
    return { kind: 'final', conversation: kept(), finalText };
  }
  const abort = toolUses
    .map((block) => ({ block, tool: settings.agent.toolsByName[block.name] }))
    .find(({ block, tool }) => tool?.control === 'abort_saga' && tool.input.safeParse(block.input).success);
  if (abort) return { kind: 'abort', reason: `Claude aborted: ${(abort.block.input as { reason: string }).reason}` };
  const planned = planCalls(toolUses, answer.stop_reason === 'max_tokens', state, settings, nowMs, guards);
  const verdict = repeatVerdict(planned.repeats.stuck);
  if (verdict.kind === 'stop') return { kind: 'abort', reason: verdict.reason };
  return {
    kind: 'tools',
    conversation: before,
    inFlight: { turn: state.turn, assistant: content, calls: planned.calls, readsDone: false, approvalsNotified: false },
    callsPerTool: planned.perTool,
    callCounts: planned.perCall,
    nextSeq: planned.nextSeq,
    repeats: planned.repeats,
    asks: planned.asks,
    audit: planned.audit,
  };
}

/** The answer's content, joined to the turn it continues when the one before was paused. */
function answerContent(answer: ModelTurn, state: Pick<PlanningState, 'conversation'>) {
  // A turn with neither results nor a note was paused (`pause_turn`): this answer continues it.
  const last = state.conversation.turns.at(-1);
  const continuing = last !== undefined && last.results.length === 0 && !last.note;
  const content: ContentBlock[] = continuing ? [...last.assistant, ...answer.content] : answer.content;
  return { content, continuing, last };
}

/**
 * The calls of Claude's answer that the rules do not deny, valid as far as the run's counters now tell: each is put
 * to the worker's `auto` verdict source before the turn is planned. Control tools never are.
 */
export function autoCandidates(answer: ModelTurn, state: PlanningState, settings: RunSettings, guards: PlanningGuards): AutoCandidate[] {
  if (answer.stop_reason === 'refusal' || answer.stop_reason === 'pause_turn') return [];
  const toolUses = answerContent(answer, state).content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
  return toolUses.flatMap((block) => {
    const check = checkToolCall(block, {
      agent: settings.agent,
      offered: settings.offeredTools,
      counts: { perTool: state.callsPerTool, perCall: state.callCounts },
      limits: state.limits,
      truncated: answer.stop_reason === 'max_tokens',
    });
    if (check.kind === 'refuse' || check.tool.control) return [];
    const verdict = decideCall(check.tool, check.input, policyContext(settings, state, guards));
    return verdict.kind === 'deny' ? [] : [{ toolUseId: block.id, tool: check.tool, input: check.input, verdict }];
  });
}

function policyContext(settings: RunSettings, state: Pick<PlanningState, 'taint'>, guards: PlanningGuards): PolicyContext {
  return {
    policy: settings.agent.policy,
    runRules: settings.runRules,
    requireFor: settings.approval.requireFor,
    taint: state.taint ?? [],
    ...(guards.askReads ? { mcpReadsAsk: true } : {}),
  };
}

/** Validates each call before anything runs, in Claude's order: a call counts against the guards of the next. */
function planCalls(toolUses: ToolUseBlock[], truncated: boolean, state: PlanningState, settings: RunSettings, nowMs: number, guards: PlanningGuards) {
  const perTool = { ...state.callsPerTool };
  const perCall = { ...state.callCounts };
  const refused = { ...state.repeats.refused };
  const worst: { stuck: RepeatedRefusal | null } = { stuck: null };
  let nextSeq = state.nextSeq;
  const asks: ApprovalAsk[] = [];
  const audit: AuditEntry[] = [];
  const at = new Date(nowMs).toISOString();
  const note = (entry: Omit<AuditEntry, 'at' | 'turn'>) => {
    if (guards.policy) audit.push({ at, turn: state.turn, ...entry });
  };
  /** State-changing calls planned in this turn, by call key: an identical one in the same turn runs once. */
  const plannedWrites = new Set<string>();
  const refuse = (block: ToolUseBlock, content: ToolResultBlockParam, error: ToolErrorCode): PlannedCall => {
    if (guards.repeats) {
      const count = countRefusal(refused, callKeyOf(block.name, block.input));
      if (count > (worst.stuck?.count ?? 0)) worst.stuck = { tool: block.name, error, count };
    }
    if (error !== 'already_committed' && error !== 'policy_denied') note({ kind: 'refusal', decision: error, tool: block.name });
    return { toolUseId: block.id, tool: block.name, input: block.input, changesWorld: false, status: 'refused', result: content };
  };
  const calls = toolUses.map((block): PlannedCall => {
    const check = checkToolCall(block, {
      agent: settings.agent,
      offered: settings.offeredTools,
      counts: { perTool, perCall },
      limits: state.limits,
      truncated,
    });
    if (check.kind === 'refuse') {
      const { error, message, hint } = check;
      return refuse(block, errorResult(block.id, toolError(error, message, { hint })), error);
    }
    const { tool, input } = check;
    const ruled = guards.policy ? decideCall(tool, input, policyContext(settings, state, guards)) : null;
    const auto = ruled ? guards.autos?.[block.id] : undefined;
    if (auto) note({ kind: 'auto', decision: auto.verdict, tool: tool.name, rule: 'auto', reason: auto.reason });
    const verdict = ruled && auto ? withAutoVerdict(ruled, auto) : ruled;
    // Before `askReads`, a read could not wait for a person: a read the policy asked about was refused.
    if (verdict && (verdict.kind === 'deny' || (verdict.kind === 'ask' && !changesWorld(tool) && !guards.askReads))) {
      const reason = verdict.kind === 'deny' ? verdict.reason : `${verdict.reason}; a read-only call cannot wait for an approval, so it is refused`;
      note({ kind: 'policy', decision: 'deny', tool: tool.name, rule: verdict.rule, reason });
      return refuse(block, errorResult(block.id, toolError('policy_denied', reason, { rule: verdict.rule })), 'policy_denied');
    }
    if (guards.repeats && changesWorld(tool) && !tool.repeatable) {
      const earlier = state.repeats.committed[check.callKey];
      if (earlier) return refuse(block, { type: 'tool_result', tool_use_id: block.id, content: repeatAnswer(earlier) }, 'already_committed');
      if (plannedWrites.has(check.callKey)) {
        return refuse(
          block,
          errorResult(block.id, toolError('repeated_call', `this turn already makes this exact ${tool.name} call; it runs once`)),
          'repeated_call',
        );
      }
      plannedWrites.add(check.callKey);
    }
    perTool[tool.name] = (perTool[tool.name] ?? 0) + 1;
    perCall[check.callKey] = (perCall[check.callKey] ?? 0) + 1;
    forgetOldest(perCall, CALL_KEYS_KEPT);
    const waitingRead = !changesWorld(tool) && verdict?.kind === 'ask';
    if (!changesWorld(tool) && !waitingRead) {
      if (verdict && verdict.rule !== 'declaration') note({ kind: 'policy', decision: 'allow', tool: tool.name, rule: verdict.rule, reason: verdict.reason });
      return { toolUseId: block.id, tool: tool.name, input, changesWorld: false, status: 'ready' };
    }

    const seq = nextSeq++;
    const effectId = `${settings.workflowId}/effect-${seq}`;
    const callId = `call-${seq}`;
    const requirement = verdict ? requirementOf(verdict, settings) : approvalFor(tool, settings.approval);
    if (verdict) {
      note({ kind: 'policy', decision: verdict.kind, tool: tool.name, callId, effectId, rule: verdict.rule, reason: verdict.reason });
      if (verdict.relaxed) note({ kind: 'relaxation', decision: 'allow', tool: tool.name, callId, effectId, rule: 'taint-exempt', reason: verdict.reason });
    }
    // Keys in the order stored histories hold them (`TurnInFlight.calls` is carried over continue-as-new).
    if (requirement.kind === 'run') return { toolUseId: block.id, tool: tool.name, input, changesWorld: true, status: 'ready', seq, effectId, callId };
    const read = waitingRead ? { readOnly: true as const } : {};
    const argsHash = argsHashOf({ tool: tool.name, input, effectId });
    asks.push({
      request: {
        callId,
        tool: tool.name,
        input,
        effectId,
        argsHash,
        requestedAt: new Date(nowMs).toISOString(),
        expiresAt: new Date(nowMs + requirement.timeoutMs).toISOString(),
        approvers: requirement.approvers,
        escalated: false,
      },
      reason: requirement.reason,
    });
    return { toolUseId: block.id, tool: tool.name, input, changesWorld: true, status: 'awaiting_approval', seq, effectId, callId, argsHash, ...read };
  });
  const repeats: RepeatMemory = guards.repeats ? { ...state.repeats, refused, stuck: worst.stuck } : state.repeats;
  return { calls, perTool, perCall, nextSeq, asks, repeats, audit };
}

/** What a policy verdict (allow or ask) asks of the approval gate; a rule's approvers narrow the run's. */
function requirementOf(verdict: CallVerdict, settings: RunSettings): ApprovalRequirement {
  if (verdict.kind !== 'ask') return { kind: 'run' };
  const { approvers, timeoutMs } = settings.approval;
  if (!verdict.approvers) return { kind: 'ask', reason: verdict.reason, approvers, timeoutMs };
  // Never an empty list (which lets anyone decide): the rule's own names when the run lists none of them.
  const both = approvers.filter((name) => verdict.approvers!.includes(name));
  return { kind: 'ask', reason: verdict.reason, approvers: both.length > 0 ? both : [...verdict.approvers], timeoutMs };
}

/** Drops the oldest keys (insertion order) beyond `keep`. */
function forgetOldest(counts: Record<string, number>, keep: number): void {
  const keys = Object.keys(counts);
  for (const key of keys.slice(0, Math.max(0, keys.length - keep))) delete counts[key];
}
