/**
 * The agent loop as one deterministic workflow: ask Claude, validate its tool calls, wait for approvals,
 * run the tools as activities with effect ids, and roll back newest-first when the saga fails.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { approvalFor, resolveApprovalSettings } from '../policies/approval';
import { addUsage, applyTopUp, checkBudget, resolveLimits, validateTopUp, ZERO_USAGE } from '../policies/budget';
import { argsHashOf, byteLength } from '../policies/canonical';
import {
  appendTurn,
  buildContext,
  newConversation,
  resolveContextSettings,
  type Conversation,
} from '../policies/context';
import { checkToolCall, describeIssues } from '../policies/tool-call';
import { chooseModel } from '../policies/routing';
import { maskEffects, maskOutcome, maskPending, maskPendingApproval, maskRunState } from '../policies/secrets';
import { DEFAULT_ESCALATION_MODEL, DEFAULT_MODEL } from '../shared/constants';
import {
  abortUpdate,
  approvalSignal,
  decideUpdate,
  extendBudgetUpdate,
  getStateQuery,
  modelContextQuery,
  retryCompensationSignal,
  skipCompensationSignal,
  type AbortRequest,
  type AgentRunInput,
  type ApprovalSettings,
  type BudgetLimits,
  type CarriedState,
  type ContextSettings,
  type EffectRecord,
  type PlannedCall,
  type RunOutcome,
  type RunState,
  type RunStatus,
  type RunUsage,
  type TurnInFlight,
} from '../shared/contracts';
import { checkRunInput } from '../shared/run-input';
import type { ContentBlock, MessageParam, ModelTurn, ToolResultBlockParam, ToolUseBlock } from '../shared/wire';
import { agentRegistry, changesWorld, type AgentDefinition, type AgentRegistry, type ToolDefinition } from '../tools/define';
import { ApprovalDesk } from './approvals';
import { publishRun } from './publish';
import { describe, SagaLedger } from './saga';
import { Timeline } from './timeline';

const { callModel, runTool, compensate, notifyApproval } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
});

const MODEL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
};

const NOTIFY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
};

const DEFAULT_MAX_TOKENS = 4096;
/** Distinct calls remembered for the identical-call guard; the oldest are forgotten so carried state stays bounded. */
const CALL_KEYS_KEPT = 500;
const DEFAULT_CONTINUE_AS_NEW_AFTER_TURNS = 100;

/** Raised inside the loop when the saga must end; caught at the top and turned into a rollback. */
class SagaAbort {
  constructor(readonly reason: string) {}
}

/** The agent-run workflow over `agents`; export it from your workflows file as `agentSaga` (its workflow type). */
export type AgentSagaWorkflow = (input: AgentRunInput) => Promise<RunOutcome>;

/**
 * The workflow that runs every agent in `agents`. Call it once in your workflows file and export the result as
 * `agentSaga`: `export const agentSaga = createAgentSaga([myAgent]);`. The CLI and the client start that type.
 */
export function createAgentSaga(agents: readonly AgentDefinition[] | AgentRegistry): AgentSagaWorkflow {
  const registry = Array.isArray(agents) ? agentRegistry(agents) : (agents as AgentRegistry);
  return async function agentSaga(input: AgentRunInput): Promise<RunOutcome> {
    return new AgentRun(input, registry).execute();
  };
}

class AgentRun {
  private readonly workflowId = workflowInfo().workflowId;
  private readonly agent: AgentDefinition;
  private readonly offeredTools: string[];
  private readonly approvalSettings: ApprovalSettings;
  private readonly contextSettings: ContextSettings;
  private readonly continueAsNewAfterTurns: number;
  private readonly ledger: SagaLedger;
  private readonly desk: ApprovalDesk;

  private startedAtMs: number;
  private turn: number;
  private nextSeq: number;
  private usage: RunUsage;
  private limits: BudgetLimits;
  private callsPerTool: Record<string, number>;
  private callCounts: Record<string, number>;
  private consecutiveToolErrors: number;
  private conversation: Conversation;
  private readonly timeline: Timeline;
  private runsSoFar: number;
  private inFlight: TurnInFlight | null;
  private finalText: string | null;

  private status: RunStatus = 'running';
  private statusDetail: string | null = null;
  private exhausted: string | null = null;
  private abortRequested: AbortRequest | null = null;
  private turnsThisRun = 0;
  private pendingContext: { turn: number; messages: MessageParam[] } | null = null;
  private currentModel: string;

  constructor(
    private readonly input: AgentRunInput,
    agents: AgentRegistry,
  ) {
    const checked = checkRunInput(input);
    if (!checked.success) {
      throw ApplicationFailure.create({ type: 'InvalidInput', message: checked.error, nonRetryable: true });
    }
    const agent = Object.hasOwn(agents, input.agent) ? agents[input.agent] : undefined;
    if (!agent) {
      throw ApplicationFailure.create({
        type: 'InvalidInput.UnknownAgent',
        message: `unknown agent "${input.agent}"; this worker's agents: ${Object.keys(agents).join(', ') || 'none'}`,
        nonRetryable: true,
      });
    }
    const toolNames = agent.tools.map((tool) => tool.name);
    for (const [field, names] of [['allowedTools', input.allowedTools], ['approval.requireFor', input.approval?.requireFor]] as const) {
      const unknown = (names ?? []).filter((name) => !toolNames.includes(name));
      if (unknown.length > 0) {
        throw ApplicationFailure.create({
          type: 'InvalidInput.UnknownTool',
          message: `${field}: agent ${agent.name} has no tool ${unknown.join(', ')}; its tools: ${toolNames.join(', ')}`,
          nonRetryable: true,
        });
      }
    }
    this.agent = agent;
    this.currentModel = input.model ?? DEFAULT_MODEL;
    const allowed = input.allowedTools ? new Set([...input.allowedTools, 'abort']) : null;
    this.offeredTools = agent.tools.map((tool) => tool.name).filter((name) => !allowed || allowed.has(name));
    this.approvalSettings = resolveApprovalSettings(input.approval);
    this.contextSettings = resolveContextSettings(input.context);
    this.continueAsNewAfterTurns = input.continueAsNewAfterTurns ?? DEFAULT_CONTINUE_AS_NEW_AFTER_TURNS;

    const carried = input.carried;
    this.startedAtMs = carried ? Date.parse(carried.startedAt) : Date.now();
    this.turn = carried?.turn ?? 0;
    this.nextSeq = carried?.nextSeq ?? 1;
    this.usage = carried?.usage ?? { ...ZERO_USAGE };
    this.limits = carried?.limits ?? resolveLimits(input.budget);
    this.callsPerTool = carried?.callsPerTool ?? {};
    this.callCounts = carried?.callCounts ?? {};
    this.consecutiveToolErrors = carried?.consecutiveToolErrors ?? 0;
    this.conversation = carried?.conversation ?? newConversation(input.task);
    this.timeline = new Timeline(carried?.timeline ?? []);
    this.runsSoFar = carried?.runsSoFar ?? 0;
    this.inFlight = carried?.inFlight ?? null;
    this.finalText = carried?.finalText ?? null;
    this.ledger = new SagaLedger(carried?.effects ?? []);
    this.desk = new ApprovalDesk(
      carried?.decidedApprovals ?? {},
      carried?.pendingApprovals ?? [],
      carried?.approvals ?? [],
      carried?.rejectedAttempts ?? [],
      (pending, edited) => this.checkEdit(pending.tool, pending.effectId, edited),
      () => Date.now(),
    );
  }

  async execute(): Promise<RunOutcome> {
    this.installHandlers();
    if (this.desk.pending.length > 0) this.setStatus('awaiting_approval', this.describePending());
    else this.publish();
    try {
      for (;;) {
        this.throwIfAborted();
        if (this.inFlight) {
          await this.finishTurn(this.inFlight);
          continue;
        }
        if (this.finalText !== null) return this.complete();
        if (this.shouldContinueAsNew()) await this.continueAsNew();
        await this.ensureBudget();
        this.startTurn(await this.askModel());
      }
    } catch (err) {
      if (err instanceof SagaAbort) return await this.rollBack('compensated', err.reason);
      if (isCancellation(err)) {
        await this.rollBack('cancelled', 'the run was cancelled');
        throw err;
      }
      throw err;
    }
  }

  // ── Messages from people and scripts ────────────────────────────────────────────────────────────

  private installHandlers(): void {
    setHandler(getStateQuery, () => maskRunState(this.agent, this.state()));
    setHandler(modelContextQuery, (turn: number) => {
      if (!this.pendingContext || this.pendingContext.turn !== turn) {
        throw new Error(`no model call for turn ${turn} is in flight`);
      }
      return this.pendingContext.messages;
    });
    setHandler(approvalSignal, (decision) => {
      this.desk.receive(decision);
      this.afterDecision();
    });
    setHandler(
      decideUpdate,
      (decision) => {
        const result = this.desk.decide(decision);
        this.afterDecision();
        return result;
      },
      { validator: (decision) => this.desk.validate(decision) },
    );
    setHandler(
      extendBudgetUpdate,
      (topUp) => {
        this.limits = applyTopUp(this.limits, topUp);
        this.timeline.note('budget', `budget extended by ${topUp.by}`, 'info', JSON.stringify(topUp));
        return this.limits;
      },
      {
        validator: (topUp) => {
          const check = validateTopUp(topUp);
          if (!check.ok) throw new Error(check.why);
        },
      },
    );
    setHandler(
      abortUpdate,
      (request) => {
        this.abortRequested = request;
      },
      {
        validator: (request) => {
          if (!request?.by || !request?.reason) throw new Error('an abort needs `by` and `reason`');
          if (this.isClosing()) throw new Error(`the run is already ${this.status}`);
        },
      },
    );
    setHandler(retryCompensationSignal, (action) => this.operatorAction(action, 'retry'));
    setHandler(skipCompensationSignal, (action) => this.operatorAction(action, 'skip'));
  }

  private throwIfAborted(): void {
    if (this.abortRequested) throw new SagaAbort(`aborted by ${this.abortRequested.by}: ${this.abortRequested.reason}`);
  }

  private afterDecision(): void {
    if (this.status === 'awaiting_approval') this.setStatus('awaiting_approval', this.describePending());
  }

  private operatorAction(action: Parameters<SagaLedger['operator']>[0], kind: 'retry' | 'skip'): void {
    const result = this.ledger.operator(action, kind);
    this.timeline.note('compensation', `${kind} requested by ${action?.by ?? 'unknown'}`, result.ok ? 'info' : 'error', result.why ?? action?.reason);
  }

  // ── One turn: ask Claude ────────────────────────────────────────────────────────────────────────

  private async askModel(): Promise<ModelTurn> {
    const turn = this.turn + 1;
    const choice = chooseModel(
      {
        defaultModel: this.input.model ?? DEFAULT_MODEL,
        escalationModel: this.input.escalationModel ?? DEFAULT_ESCALATION_MODEL,
        escalateAfterToolErrors: 2,
      },
      this.consecutiveToolErrors,
    );
    this.currentModel = choice.model;
    this.pendingContext = { turn, messages: buildContext(this.conversation) };
    const startedAt = Date.now();
    const entry = this.timeline.note('model', `${choice.model} · turn ${turn}`, 'started', choice.reason ?? undefined);
    let answer: ModelTurn;
    try {
      answer = await callModel.executeWithOptions({ ...MODEL_OPTIONS, summary: `${choice.model} · turn ${turn}` }, [
        {
          agent: this.agent.name,
          model: choice.model,
          maxTokens: this.input.maxTokens ?? DEFAULT_MAX_TOKENS,
          // Only a narrowed list is sent; the worker offers every tool of the agent otherwise.
          ...(this.input.allowedTools ? { toolNames: this.offeredTools } : {}),
          turn,
        },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.timeline.finish(entry, 'error', startedAt, describe(err));
      throw new SagaAbort(`the model call for turn ${turn} failed: ${describe(err)}`);
    } finally {
      this.pendingContext = null;
    }
    this.turn = turn;
    this.turnsThisRun += 1;
    this.usage = addUsage(this.usage, answer.usage, answer.cost_usd);
    this.timeline.finish(entry, 'ok', startedAt, `${answer.stop_reason ?? 'unknown stop'} · ${answer.usage.output_tokens} tokens out`);
    return answer;
  }

  /** Reads Claude's answer: the final text, a continuation, or tool calls to plan. */
  private startTurn(answer: ModelTurn): void {
    // A turn with neither results nor a note was paused (`pause_turn`): this answer continues it.
    const last = this.conversation.turns.at(-1);
    const continuing = last !== undefined && last.results.length === 0 && !last.note;
    const content: ContentBlock[] = continuing ? [...last.assistant, ...answer.content] : answer.content;
    const before: Conversation = continuing ? { ...this.conversation, turns: this.conversation.turns.slice(0, -1) } : this.conversation;
    const keep = (note?: string) => {
      this.conversation = appendTurn(before, { turn: this.turn, assistant: content, results: [], ...(note ? { note } : {}) }, this.contextSettings);
    };
    const toolUses = content.filter((block): block is ToolUseBlock => block.type === 'tool_use');

    if (answer.stop_reason === 'refusal') throw new SagaAbort('Claude refused to continue the task');
    if (answer.stop_reason === 'pause_turn') return keep();
    if (answer.stop_reason === 'max_tokens' && toolUses.length === 0) {
      return keep('Your answer was cut off by the output limit. Continue exactly where you stopped, more briefly.');
    }
    if (toolUses.length === 0) {
      this.finalText = content.filter((block) => block.type === 'text').map((block) => block.text).join('\n').trim();
      return keep();
    }
    // The turn joins the conversation once its results are known (finishTurn).
    this.conversation = before;
    const abort = toolUses
      .map((block) => ({ block, tool: this.agent.toolsByName[block.name] }))
      .find(({ block, tool }) => tool?.control === 'abort_saga' && tool.input.safeParse(block.input).success);
    if (abort) throw new SagaAbort(`Claude aborted: ${(abort.block.input as { reason: string }).reason}`);
    const truncated = answer.stop_reason === 'max_tokens';
    this.inFlight = {
      turn: this.turn,
      assistant: content,
      calls: toolUses.map((block) => this.planCall(block, truncated)),
      readsDone: false,
      approvalsNotified: false,
    };
  }

  /** Validates one tool call before anything runs; refused calls become `is_error` results. */
  private planCall(block: ToolUseBlock, truncated: boolean): PlannedCall {
    const perTool = this.callsPerTool;
    const perCall = this.callCounts;
    const check = checkToolCall(block, { agent: this.agent, offered: this.offeredTools, counts: { perTool, perCall }, limits: this.limits, truncated });
    if (check.kind === 'refuse') {
      const { error, message, hint } = check;
      return { toolUseId: block.id, tool: block.name, input: block.input, changesWorld: false, status: 'refused', result: errorResult(block.id, { error, message, hint }) };
    }
    const { tool, input } = check;
    perTool[tool.name] = (perTool[tool.name] ?? 0) + 1;
    perCall[check.callKey] = (perCall[check.callKey] ?? 0) + 1;
    forgetOldest(perCall, CALL_KEYS_KEPT);

    const planned: PlannedCall = { toolUseId: block.id, tool: tool.name, input, changesWorld: changesWorld(tool), status: 'ready' };
    if (!planned.changesWorld) return planned;
    const seq = this.nextSeq++;
    planned.seq = seq;
    planned.effectId = `${this.workflowId}/effect-${seq}`;
    planned.callId = `call-${seq}`;
    const requirement = approvalFor(tool, this.approvalSettings);
    if (requirement.kind === 'run') return planned;
    planned.argsHash = argsHashOf({ tool: tool.name, input, effectId: planned.effectId });
    planned.status = 'awaiting_approval';
    const now = Date.now();
    this.desk.open({
      callId: planned.callId,
      tool: tool.name,
      input,
      effectId: planned.effectId,
      argsHash: planned.argsHash,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + requirement.timeoutMs).toISOString(),
      approvers: requirement.approvers,
      escalated: false,
    });
    this.timeline.note('approval', `approval requested: ${tool.name} (${planned.callId})`, 'waiting', requirement.reason);
    return planned;
  }

  // ── One turn: run the tools ─────────────────────────────────────────────────────────────────────

  /** Runs a planned turn to the end. Resumable: after a continue-as-new it picks up at the first open call. */
  private async finishTurn(turn: TurnInFlight): Promise<void> {
    await this.notifyNewRequests(turn);
    if (!turn.readsDone) {
      const reads = turn.calls.filter((call) => call.status === 'ready' && !call.changesWorld);
      await Promise.all(reads.map((call) => this.runRead(turn, call)));
      turn.readsDone = true;
    }
    for (const call of turn.calls) {
      if (!call.changesWorld || call.status === 'done' || call.status === 'refused') continue;
      this.throwIfAborted();
      if (call.status === 'awaiting_approval') await this.awaitApproval(call);
      if (call.status === 'ready') await this.runWrite(call);
    }
    const results = turn.calls.map((call) => call.result!);
    const failures = results.filter((result) => result.is_error).length;
    this.consecutiveToolErrors = failures > 0 ? this.consecutiveToolErrors + 1 : 0;
    this.conversation = appendTurn(this.conversation, { turn: turn.turn, assistant: turn.assistant, results }, this.contextSettings);
    this.inFlight = null;
    this.setStatus('running', null);
  }

  private async notifyNewRequests(turn: TurnInFlight): Promise<void> {
    if (turn.approvalsNotified) return;
    turn.approvalsNotified = true;
    const requested = turn.calls.filter((call) => call.status === 'awaiting_approval');
    if (requested.length === 0) return;
    this.setStatus('awaiting_approval', this.describePending());
    await Promise.all(requested.map((call) => this.notify(call.callId!, false)));
  }

  private async notify(callId: string, escalated: boolean): Promise<void> {
    const request = this.desk.pending.find((candidate) => candidate.callId === callId);
    if (!request) return;
    try {
      await notifyApproval.executeWithOptions({ ...NOTIFY_OPTIONS, summary: `notify approvers · ${request.tool} (${callId})` }, [
        { workflowId: this.workflowId, ...maskPendingApproval(this.agent, request), escalated },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      log.warn('approval notification failed; the request still waits', { callId, error: describe(err) });
    }
  }

  private async awaitApproval(call: PlannedCall): Promise<void> {
    const callId = call.callId!;
    for (;;) {
      this.setStatus('awaiting_approval', this.describePending());
      const outcome = await this.desk.waitFor(callId, () => this.abortRequested !== null || this.shouldContinueAsNew());
      if (outcome.kind === 'interrupted') {
        this.throwIfAborted();
        await this.continueAsNew();
      }
      if (outcome.kind === 'decided') {
        const decided = this.desk.take(callId)!;
        if (decided.decision === 'approve') {
          if (decided.argsHash !== call.argsHash) {
            call.input = decided.input;
            call.editedBy = decided.approver;
          }
          call.status = 'ready';
          this.timeline.note('approval', `approved by ${decided.approver}: ${call.tool} (${callId})`, 'ok', decided.reason ?? undefined);
          return;
        }
        this.timeline.note('approval', `rejected by ${decided.approver}: ${call.tool} (${callId})`, 'error', decided.reason ?? undefined);
        if (this.approvalSettings.rejectionIsFatal) throw new SagaAbort(`${call.tool} was rejected by ${decided.approver}: ${decided.reason}`);
        this.closeCall(call, errorResult(call.toolUseId, {
          error: 'approval_rejected',
          message: `${decided.approver} rejected this call: ${decided.reason}`,
          hint: 'do not retry the same call; go another way or explain to the user',
          approver: decided.approver,
          reason: decided.reason,
        }));
        return;
      }
      const request = this.desk.pending.find((candidate) => candidate.callId === callId);
      if (this.approvalSettings.onExpiry === 'escalate' && request && !request.escalated) {
        this.desk.extend(callId, this.approvalSettings.escalationTimeoutMs ?? this.approvalSettings.timeoutMs);
        this.timeline.note('approval', `approval escalated: ${call.tool} (${callId})`, 'waiting');
        await this.notify(callId, true);
        continue;
      }
      this.desk.close(callId, { decision: 'expired', approver: null, reason: 'no decision before the request expired' });
      this.timeline.note('approval', `approval expired: ${call.tool} (${callId})`, 'error');
      if (this.approvalSettings.onExpiry === 'abort') throw new SagaAbort(`the approval of ${call.tool} (${callId}) expired`);
      this.closeCall(call, errorResult(call.toolUseId, {
        error: 'approval_expired',
        message: 'nobody approved this call in time, so it did not run',
        hint: 'go another way, or tell the user what needs approval',
      }));
      return;
    }
  }

  private async runRead(turn: TurnInFlight, call: PlannedCall): Promise<void> {
    const tool = this.agent.toolsByName[call.tool];
    const index = turn.calls.indexOf(call);
    await this.runCall(call, tool, `${this.workflowId}/turn-${turn.turn}/read-${index}`, `${tool.name} · read`, false);
  }

  private async runWrite(call: PlannedCall): Promise<void> {
    const tool = this.agent.toolsByName[call.tool];
    this.ledger.register({ effectId: call.effectId!, seq: call.seq!, tool: tool.name, input: call.input, undo: tool.compensation ?? null });
    await this.runCall(call, tool, call.effectId!, `${tool.name} · effect ${call.seq}`, true);
  }

  private async runCall(call: PlannedCall, tool: ToolDefinition, effectId: string, summary: string, recorded: boolean): Promise<void> {
    const startedAt = Date.now();
    const entry = this.timeline.note('tool', summary, 'started', undefined, recorded ? effectId : undefined);
    try {
      const output = await runTool.executeWithOptions({ ...toolOptions(tool), summary }, [
        { agent: this.agent.name, tool: tool.name, input: call.input, effectId },
      ]);
      if (recorded) this.ledger.settle(effectId, { ok: true });
      this.timeline.finish(entry, 'ok', startedAt, output.truncated ? `${output.bytes} bytes, cut` : `${output.bytes} bytes`);
      // Claude must know when a person changed what it asked for.
      const edited = call.editedBy ? `[${call.editedBy} edited the input before it ran; it ran with ${JSON.stringify(call.input)}]\n` : '';
      this.closeCall(call, { type: 'tool_result', tool_use_id: call.toolUseId, content: edited + output.content });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // A tool that failed because the run was cancelled under it: that is the cancellation, not a tool error.
      if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the run was cancelled during a tool call');
      const effect = recorded ? this.ledger.settle(effectId, { ok: false, error: err }) : undefined;
      this.timeline.finish(entry, 'error', startedAt, describe(err));
      if (tool.critical) throw new SagaAbort(`${tool.name} failed and is critical: ${describe(err)}`);
      this.closeCall(call, errorResult(call.toolUseId, {
        error: effect?.state === 'unknown' ? 'tool_outcome_unknown' : 'tool_failed',
        message: describe(err),
        hint: effect?.state === 'unknown'
          ? 'the outcome is unknown; it will be undone if the run rolls back; do not repeat the call blindly'
          : 'read the message; fix the arguments or go another way',
      }));
    }
  }

  private closeCall(call: PlannedCall, result: ToolResultBlockParam): void {
    call.result = result;
    call.status = 'done';
  }

  // ── Budget ──────────────────────────────────────────────────────────────────────────────────────

  /** Checks the budget before a model call; when exhausted, waits for a top-up or an abort. */
  private async ensureBudget(): Promise<void> {
    for (;;) {
      const check = checkBudget({ limits: this.limits, usage: this.usage, steps: this.turn, startedAtMs: this.startedAtMs, nowMs: Date.now() });
      if (check.kind === 'ok') {
        if (this.exhausted) {
          this.exhausted = null;
          this.setStatus('running', null);
        }
        return;
      }
      this.exhausted = check.reason;
      this.setStatus('budget_exhausted', `${check.reason}; waiting for \`sagent extend-budget\` or an abort`);
      this.timeline.note('budget', check.reason, 'waiting');
      const before = this.limits;
      const acted = await condition(() => this.limits !== before || this.abortRequested !== null, this.limits.topUpTimeoutMs, {
        summary: `budget exhausted: waiting for a top-up (${check.limit})`,
      });
      if (this.abortRequested) throw new SagaAbort(`aborted by ${this.abortRequested.by} while the budget was exhausted: ${this.abortRequested.reason}`);
      if (!acted) throw new SagaAbort(`${check.reason}, and no top-up came within ${Math.round(this.limits.topUpTimeoutMs / 1000)}s`);
    }
  }

  private checkEdit(toolName: string, effectId: string, edited: unknown) {
    const tool = this.agent.toolsByName[toolName];
    const size = byteLength(JSON.stringify(edited ?? null));
    if (size > tool.maxInputBytes) return { ok: false as const, why: `the edit is ${size} bytes; ${toolName} accepts at most ${tool.maxInputBytes}` };
    const parsed = tool.input.safeParse(edited);
    if (!parsed.success) {
      return { ok: false as const, why: describeIssues(parsed.error.issues) };
    }
    return { ok: true as const, input: parsed.data, argsHash: argsHashOf({ tool: toolName, input: parsed.data, effectId }) };
  }

  // ── Ending ──────────────────────────────────────────────────────────────────────────────────────

  private complete(): RunOutcome {
    this.setStatus('completed', null);
    return this.outcome('completed', null);
  }

  /** Undoes every started effect, newest first, even when the run is being cancelled. */
  private async rollBack(status: 'compensated' | 'cancelled', reason: string): Promise<RunOutcome> {
    for (const request of [...this.desk.pending]) {
      this.desk.close(request.callId, { decision: 'withdrawn', approver: null, reason: `the run is rolling back: ${reason}` });
    }
    this.inFlight = null;
    this.setStatus('compensating', reason);
    this.timeline.note('run', `rolling back: ${reason}`, 'info');
    await CancellationScope.nonCancellable(() =>
      this.ledger.rollback(
        {
          compensate: (effect) => this.compensateOne(effect),
          onBlocked: (effect) =>
            effect
              ? this.setStatus('blocked', `compensation of ${effect.tool} (${effect.effectId}) keeps failing: ${effect.compensationError}; retrying with backoff; an operator can retry or skip it`)
              : this.setStatus('compensating', reason),
          onProgress: () => this.publish(),
        },
        { blockAfter: this.input.blockAfterCompensationFailures ?? 3, initialBackoffMs: 1000, maxBackoffMs: 5 * 60 * 1000 },
      ),
    );
    this.setStatus(status, reason);
    return this.outcome(status, reason);
  }

  private async compensateOne(effect: EffectRecord): Promise<'compensated' | 'not_needed'> {
    const tool = this.agent.toolsByName[effect.tool];
    const summary = `undo ${effect.tool} (${effect.undo}) · effect ${effect.seq}`;
    const startedAt = Date.now();
    const entry = this.timeline.note('compensation', summary, 'started', undefined, effect.effectId);
    try {
      const result = await compensate.executeWithOptions(
        { ...toolOptions(tool), retry: { maximumAttempts: 1 }, summary },
        [{ agent: this.agent.name, tool: effect.tool, input: effect.input, effectId: effect.effectId }],
      );
      this.timeline.finish(entry, 'ok', startedAt, result);
      return result;
    } catch (err) {
      this.timeline.finish(entry, 'error', startedAt, describe(err));
      throw err;
    }
  }

  private outcome(status: RunOutcome['status'], reason: string | null): RunOutcome {
    return maskOutcome(this.agent, {
      workflowId: this.workflowId,
      status,
      reason,
      finalText: this.finalText,
      steps: this.turn,
      usage: this.usage,
      effects: this.ledger.effects,
      approvals: this.desk.records,
    });
  }

  // ── Continue-as-new ─────────────────────────────────────────────────────────────────────────────

  private shouldContinueAsNew(): boolean {
    return this.turnsThisRun >= this.continueAsNewAfterTurns || (this.turnsThisRun > 0 && workflowInfo().continueAsNewSuggested);
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    this.timeline.note('run', `continuing as new after turn ${this.turn}`, 'info');
    return continueAsNew<AgentSagaWorkflow>({ ...this.input, carried: this.carry() });
  }

  private carry(): CarriedState {
    return {
      startedAt: new Date(this.startedAtMs).toISOString(),
      turn: this.turn,
      nextSeq: this.nextSeq,
      usage: this.usage,
      limits: this.limits,
      callsPerTool: this.callsPerTool,
      callCounts: this.callCounts,
      consecutiveToolErrors: this.consecutiveToolErrors,
      effects: this.ledger.effects,
      approvals: this.desk.records,
      rejectedAttempts: this.desk.rejectedAttempts.slice(-50),
      conversation: this.conversation,
      timeline: this.timeline.entries,
      runsSoFar: this.runsSoFar + 1,
      inFlight: this.inFlight,
      pendingApprovals: this.desk.pending,
      decidedApprovals: this.desk.decidedSnapshot(),
      finalText: this.finalText,
    };
  }

  // ── What people see ─────────────────────────────────────────────────────────────────────────────

  private isClosing(): boolean {
    return ['compensating', 'blocked', 'completed', 'compensated', 'cancelled'].includes(this.status);
  }

  private setStatus(status: RunStatus, detail: string | null): void {
    this.status = status;
    this.statusDetail = detail;
    this.publish();
  }

  private publish(): void {
    publishRun({
      status: this.status,
      detail: this.statusDetail,
      agent: this.agent.name,
      task: this.input.task,
      steps: this.turn,
      costUsd: this.usage.costUsd,
      pending: maskPending(this.agent, this.desk.pending),
      effects: maskEffects(this.agent, this.ledger.effects),
    });
  }

  private describePending(): string {
    return this.desk.pending.map((request) => `${request.tool} (${request.callId})`).join(', ');
  }

  private state(): RunState {
    return {
      workflowId: this.workflowId,
      agent: this.agent.name,
      task: this.input.task,
      status: this.status,
      statusDetail: this.statusDetail,
      steps: this.turn,
      model: this.currentModel,
      usage: this.usage,
      budget: { limits: this.limits, exhausted: this.exhausted },
      pendingApprovals: this.desk.pending,
      approvals: this.desk.records,
      rejectedAttempts: this.desk.rejectedAttempts,
      effects: this.ledger.effects,
      timeline: this.timeline.entries,
      continuedAsNew: this.runsSoFar,
      finalText: this.finalText,
    };
  }
}

function toolOptions(tool: ToolDefinition): ActivityOptions {
  return {
    startToCloseTimeout: tool.timeoutMs,
    heartbeatTimeout: Math.min(10_000, tool.timeoutMs),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: tool.maxAttempts },
  };
}

function errorResult(toolUseId: string, error: { error: string; message: string; hint: string } & Record<string, unknown>): ToolResultBlockParam {
  return { type: 'tool_result', tool_use_id: toolUseId, content: JSON.stringify(error), is_error: true };
}

/** Drops the oldest keys (insertion order) beyond `keep`. */
function forgetOldest(counts: Record<string, number>, keep: number): void {
  const keys = Object.keys(counts);
  for (const key of keys.slice(0, Math.max(0, keys.length - keep))) delete counts[key];
}
