/**
 * The agent loop as one deterministic workflow: ask Claude, plan its tool calls, wait for approvals, run the
 * tools as activities with effect ids, and roll back newest-first when the saga fails. The loop holds the flow
 * and the waits; its collaborators take the run's values and give new ones back.
 */
import { allHandlersFinished, CancellationScope, condition, isCancellation, sleep, workflowInfo } from '@temporalio/workflow';
import { addUsage, sumUsage } from '../policies/budget';
import { appendTurn, buildContext } from '../policies/context';
import { callKeyOf } from '../policies/loop-guard';
import { rememberCommitted, repeatVerdict } from '../policies/repeat-guard';
import { chooseModel } from '../policies/routing';
import type { AwaitingApprovalCall, DoneCall, PlannedEffect, ReadyCall, TurnInFlight } from '../shared/records';
import type { AgentRunInput, AgentSagaWorkflow, RunOutcome, RunStatus } from '../shared/run';
import type { ModelTurn } from '../shared/wire';
import { agentRegistry, type AgentDefinition, type AgentRegistry } from '../tools/define';
import { awaitDecision, notifyApprovers, openApprovals, refuseIfUnapprovable, type GateOutcome } from './approval-gate';
import { budgetClear, budgetSnapshot, waitForBudget } from './budget-gate';
import { resultsOf, withCall } from './calls';
import type { StatusStep } from './execution';
import { installDelegationHandler, installHandlers } from './handlers';
import { adoptMcpCatalog, learnMcpTools, type McpCatalog } from './mcp-tools';
import { afterSettled, isPromise, Pending, rethrow, type Settled } from './after-settled';
import { askClaude, offerContext, type ModelAnswer } from './model-call';
import { askModelDurably, installModelOutageHandler } from './model-outage';
import { bookModelTurn } from '../policies/model-outage';
import { windDownFigures, windDownSummary } from '../policies/wind-down';
import { isPatched, PATCHES } from './patches';
import { autoCandidates, planTurn, type PlanningGuards } from './planner';
import { askAutoVerdicts } from './auto-verdict';
import { describePending, publishRun, setStatus } from './publish';
import { reconcileUnknown, unknownEffects } from './reconcile';
import { carryOver, openRun, runOutcome, shouldContinueAsNew, type Run } from './run-memory';
import { resolveSettings, withAccess, type RunSettings } from './settings';
import { accessFor } from './run-access';
import { noteUntrustedReads, openAudit } from './run-policy';
import type { AccessGrant, AutoVerdict } from '../shared/policy';
import { runReads, runWrite, undoEffect, type PipelineStep, type ToolScope } from './tool-pipeline';
import { continueAsNewFor, declareVersioning, upgradeDue } from './versioning';
import { acceptFinalAnswer } from './typed-output';
import { idleTimeoutOf, installSteeringHandlers, takeMessages, waitForMessage } from './steering';
import { installFeedHandlers } from './feed';
import { secretTextMasker } from '../policies/secrets';

/** Raised inside the loop when the saga must end; caught at the top and turned into a rollback. */
class SagaAbort {
  constructor(readonly reason: string) {}
}

/** The agent-run workflow over `agents`; export it from your workflows file as `agentSaga` (its workflow type). */
export type { AgentSagaWorkflow } from '../shared/run';

/**
 * The workflow that runs every agent in `agents`. Call it once in your workflows file and export the result as
 * `agentSaga`: `export const agentSaga = createAgentSaga([myAgent]);`. The CLI and the client start that type.
 */
export function createAgentSaga(agents: readonly AgentDefinition[] | AgentRegistry): AgentSagaWorkflow {
  const registry = Array.isArray(agents) ? agentRegistry(agents) : (agents as AgentRegistry);
  const agentSaga = async function agentSaga(input: AgentRunInput): Promise<RunOutcome> {
    // Asked first: on a new run the bundle's one marker stands for every patch the run takes (PATCHES.bundled).
    const lean = isPatched(PATCHES.leanStart);
    const mcp = await learnMcpTools(input, registry);
    // Bad input is refused before anything else is scheduled; the settings are resolved once a run.
    const settings = resolveSettings(input, mcp.agents, workflowInfo().workflowId);
    const access = lean || isPatched(PATCHES.policy) ? await accessFor(input, settings.agent, lean) : undefined;
    return new AgentLoop(input, settings, mcp.agents, { mcp: mcp.catalog, access }).execute();
  };
  // Each run is pinned to its build, or moves on, as its agent declares (Worker Versioning).
  declareVersioning(agentSaga, registry);
  return agentSaga;
}

class AgentLoop {
  private readonly run: Run;
  private readonly tools: ToolScope;
  private readonly guards: PlanningGuards;
  constructor(
    private readonly input: AgentRunInput,
    settings: RunSettings,
    agents: AgentRegistry,
    { mcp = null, access }: { mcp?: McpCatalog | null; access?: AccessGrant } = {},
  ) {
    const policy = isPatched(PATCHES.policy);
    this.run = openRun(input, withAccess(settings, access));
    adoptMcpCatalog(this.run, mcp);
    const askReads = policy && isPatched(PATCHES.askReads);
    // Only a worker with an `auto` source says so in the grant: runs on the others schedule nothing for it.
    const auto = policy && access?.auto === true && isPatched(PATCHES.autoVerdict);
    this.guards = { repeats: isPatched(PATCHES.repeatGuard), policy, askReads, auto };
    if (policy) openAudit(this.run, access);
    const { ledger, timeline } = this.run;
    const identity = askReads && settings.identity ? { identity: settings.identity } : {};
    this.tools = { workflowId: settings.workflowId, agent: settings.agent, ledger, timeline, agents, fenceUntrusted: policy, ...identity };
  }

  async execute(): Promise<RunOutcome> {
    const { run } = this;
    installHandlers(run);
    installDelegationHandler(run);
    installSteeringHandlers(run, this.input);
    installModelOutageHandler(run);
    installFeedHandlers(
      run.feed,
      () => run.flags.contextInFlight?.turn ?? null,
      () => secretTextMasker(run.settings.agent, [...run.memory.effects, ...run.memory.pendingApprovals]),
    );
    if (run.desk.pending.length > 0) setStatus(run, 'awaiting_approval', describePending(run.desk.pending));
    else publishRun(run);
    try {
      for (;;) {
        this.throwIfAborted();
        let step: Pending<void> | Promise<void>;
        if (run.memory.inFlight) step = this.finishTurn(run.memory.inFlight);
        else {
          if (run.memory.interrupted) {
            const { by } = run.memory.interrupted;
            const timeoutMs = run.settings.approval.timeoutMs;
            if (!(await this.awaitMessage(`interrupted by ${by}: waiting for a message or an abort`, timeoutMs))) {
              throw new SagaAbort(`interrupted by ${by}, and no message came within ${Math.round(timeoutMs / 60_000)} minutes`);
            }
          }
          if (run.memory.finalText !== null && run.settings.agent.conversation) {
            // A conversation agent answers, then waits for the next message; an idle conversation completes.
            if (await this.awaitMessage('answered: waiting for the next message', idleTimeoutOf(run))) {
              run.memory.finalText = null;
              continue;
            }
          }
          if (run.memory.finalText !== null) return await this.complete();
          if (shouldContinueAsNew(run) || upgradeDue(run.settings.agent.versioning)) await this.continueAsNew();
          if (!budgetClear(run)) {
            const budget = await this.follow(waitForBudget(run));
            if (budget.kind === 'abort') throw new SagaAbort(budget.reason);
          }
          // A model repeating a refused call in a tight loop is slowed down before it is asked again.
          const repeats = repeatVerdict(run.memory.repeats.stuck);
          if (repeats.kind === 'backoff') await sleep(repeats.delayMs);
          step = this.askModel().map((answer) => this.takeAnswer(answer), rethrow);
        }
        // A step's call is awaited here and continued in place (`start`, then `resume`): a continuation of its own
        // would be one more promise a call, and the SDK captures a stack for every one.
        if (step instanceof Pending) {
          let started: Promise<unknown>;
          try {
            started = step.start();
          } catch (error) {
            // As in an async function: a synchronous throw is handled as a rejection.
            started = Promise.reject(error);
          }
          let settled: Settled;
          try {
            settled = { ok: true, value: await started };
          } catch (error) {
            settled = { ok: false, error };
          }
          const resumed = step.resume(settled);
          if (isPromise(resumed)) await resumed;
        } else await step;
      }
    } catch (err) {
      if (err instanceof SagaAbort) return await this.rollBack('compensated', err.reason);
      if (isCancellation(err)) await this.rollBack('cancelled', 'the run was cancelled');
      throw err;
    }
  }

  /** Waits for a message (true) or an abort; false once `timeoutMs` passes without one. */
  private async awaitMessage(why: string, timeoutMs: number): Promise<boolean> {
    const waited = await waitForMessage(this.run, why, timeoutMs);
    this.throwIfAborted();
    this.run.memory.interrupted = null;
    return waited.kind === 'message';
  }

  private throwIfAborted(): void {
    const request = this.run.flags.abortRequested;
    if (request) throw new SagaAbort(`aborted by ${request.by}: ${request.reason}`);
  }

  /** Asks Claude for the next turn; its context goes to the worker by sink, and by query while the call is in flight. */
  private askModel(): Pending<ModelTurn> {
    const { settings, memory, flags, timeline } = this.run;
    const turn = memory.turn + 1;
    const choice = chooseModel(settings.routing, memory.consecutiveToolErrors);
    const durable = isPatched(PATCHES.modelOutage);
    flags.currentModel = choice.model;
    takeMessages(this.run);
    flags.contextInFlight = { turn, messages: buildContext(memory.conversation) };
    offerContext(turn, flags.contextInFlight.messages, memory.mcpTools);
    const windDown = durable && settings.windDownAt !== null ? windDownFigures(budgetSnapshot(this.run), settings.windDownAt) : null;
    const request = {
      agent: settings.agent.name,
      model: choice.model,
      maxTokens: settings.maxTokens,
      // Only a narrowed list is sent; the worker offers every tool of the agent otherwise.
      ...(settings.narrowed ? { toolNames: settings.offeredTools } : {}),
      turn,
      // The figures, not the notice: the worker words it (a few bytes of history per call instead of ~330).
      ...(windDown ? { windDown } : {}),
      // Claude's text is published as it streams only while a reader follows: nobody following costs no history.
      ...(this.run.feed.followed(Date.now()) ? { liveFeed: true as const } : {}),
      ...(this.tools.identity ? { identity: this.tools.identity } : {}),
    };
    if (windDown) timeline.note('budget', 'asked Claude to finish', 'info', windDownSummary(windDown));
    const asking: Pending<ModelAnswer & { model?: string; fellBack?: boolean }> = durable
      ? askModelDurably(this.run, request, choice.reason)
      : askClaude(request, choice.reason, timeline, undefined, (answer) => this.run.feed.answered(turn, answer));
    return asking.map(
      (asked) => {
        flags.contextInFlight = null;
        if (!asked.ok) throw new SagaAbort(asked.reason);
        memory.turn = turn;
        flags.turnsThisRun += 1;
        memory.usage = addUsage(memory.usage, asked.answer.usage, asked.answer.cost_usd);
        if (asked.model) memory.models = bookModelTurn(memory.models, asked.model, asked.answer, memory.models?.last ?? null, asked.fellBack === true);
        return asked.answer;
      },
      (err) => {
        flags.contextInFlight = null;
        throw err;
      },
    );
  }

  /** Claude's answer planned; its calls that an automatic source may judge are asked about first. */
  private takeAnswer(answer: ModelTurn): void | Promise<void> {
    const { run } = this;
    const candidates = this.guards.auto ? autoCandidates(answer, run.memory, run.settings, this.guards) : [];
    if (candidates.length === 0) return this.applyPlan(answer, undefined);
    return askAutoVerdicts(candidates, run).then((autos) => this.applyPlan(answer, autos));
  }

  /** Takes in Claude's answer as the planner reads it, with the automatic verdicts on its calls when it asked for any. */
  private applyPlan(answer: ModelTurn, autos: Readonly<Record<string, AutoVerdict>> | undefined): void {
    const { memory, settings, desk, timeline } = this.run;
    const plan = planTurn(answer, memory, settings, Date.now(), autos ? { ...this.guards, autos } : this.guards);
    if (plan.kind === 'abort') throw new SagaAbort(plan.reason);
    if (plan.kind === 'final') {
      const final = acceptFinalAnswer(this.run, plan.conversation, plan.finalText);
      if (final.kind === 'abort') throw new SagaAbort(final.reason);
      return;
    }
    memory.conversation = plan.conversation;
    if (plan.kind !== 'tools') return;
    memory.callsPerTool = plan.callsPerTool;
    memory.callCounts = plan.callCounts;
    memory.nextSeq = plan.nextSeq;
    memory.repeats = plan.repeats;
    memory.inFlight = plan.inFlight;
    memory.audit?.push(...plan.audit);
    openApprovals(plan.asks, desk, timeline);
  }

  /**
   * Runs a planned turn to the end. Resumable: after a continue-as-new it picks up at the first open call. The common
   * turn, reads only with nobody to notify, is one continuation of its reads: no async layer and no await of its own.
   */
  private finishTurn(planned: TurnInFlight): Pending<void> | Promise<void> {
    const { memory } = this.run;
    const readsOnly = !planned.readsDone && planned.calls.every((call) => !call.changesWorld || call.status === 'done');
    if (!readsOnly) return this.finishTurnInSteps(planned);
    const turn = planned.approvalsNotified ? planned : { ...planned, approvalsNotified: true };
    memory.inFlight = turn;
    return runReads(turn, this.tools).map((reads) => {
      if (reads.kind === 'abort') throw new SagaAbort(reads.reason);
      memory.inFlight = reads.turn;
      this.closeTurn(reads.turn);
    }, rethrow);
  }

  /** A turn with approvals to ask for or state-changing calls: each stage in its turn. */
  private async finishTurnInSteps(planned: TurnInFlight): Promise<void> {
    const { run } = this;
    const { memory, desk } = run;
    let turn = planned;
    // Every change to the turn goes into the memory at once: a continue-as-new carries the turn as it stands.
    const keep = (next: TurnInFlight) => {
      turn = next;
      memory.inFlight = next;
    };
    if (!turn.approvalsNotified) {
      keep({ ...turn, approvalsNotified: true });
      const requested = turn.calls.filter((call): call is AwaitingApprovalCall => call.status === 'awaiting_approval');
      if (requested.length > 0) {
        setStatus(run, 'awaiting_approval', describePending(desk.pending));
        await Promise.all(requested.map((call) => notifyApprovers(run.settings, desk.find(call.callId), false)));
      }
    }
    if (!turn.readsDone) {
      const reads = await runReads(turn, this.tools).settled();
      if (reads.kind === 'abort') throw new SagaAbort(reads.reason);
      keep(reads.turn);
    }
    // State-changing calls run one at a time, in Claude's order, each through the tool-call pipeline.
    for (let index = 0; index < turn.calls.length; index += 1) {
      const call = turn.calls[index];
      if (!call.changesWorld || call.status === 'done') continue;
      this.throwIfAborted();
      let cleared: ReadyCall & PlannedEffect;
      if (call.status === 'awaiting_approval') {
        const gate = await this.clearApproval(call);
        if (gate.kind === 'interrupted') {
          this.throwIfAborted();
          return await this.continueAsNew();
        }
        if (gate.kind === 'abort') throw new SagaAbort(gate.reason);
        keep(withCall(turn, index, gate.call));
        // Rejected or expired: Claude reads why, and the call never runs.
        if (gate.kind === 'done') continue;
        cleared = gate.call;
      } else cleared = call;
      const ran = await this.follow(runWrite(cleared, run, this.tools, this.input));
      // A sub-agent spends from this run's budget.
      if (ran.usage) memory.usage = sumUsage(memory.usage, ran.usage);
      if (ran.kind === 'abort') throw new SagaAbort(ran.reason);
      keep(withCall(turn, index, ran.call));
      this.rememberIfCommitted(ran.call);
    }
    this.closeTurn(turn);
  }

  /** Every call of the turn is done: Claude's next context gets their results. */
  private closeTurn(turn: TurnInFlight): void {
    const { run } = this;
    const { memory } = run;
    if (this.guards.policy) noteUntrustedReads(run, turn);
    const results = resultsOf(turn);
    memory.consecutiveToolErrors = results.some((result) => result.is_error) ? memory.consecutiveToolErrors + 1 : 0;
    memory.conversation = appendTurn(memory.conversation, { turn: turn.turn, assistant: turn.assistant, results }, run.settings.context);
    memory.inFlight = null;
    setStatus(run, 'running', null);
  }

  /** A committed state-changing call answers its identical repeats from here on. */
  private rememberIfCommitted(call: DoneCall): void {
    const { memory, ledger, settings } = this.run;
    if (!this.guards.repeats || !call.changesWorld || settings.agent.toolsByName[call.tool].repeatable) return;
    if (ledger.find(call.effectId)?.state !== 'committed') return;
    memory.repeats = rememberCommitted(memory.repeats, callKeyOf(call.tool, call.input), {
      tool: call.tool,
      effectId: call.effectId,
      result: call.result.content,
    });
  }

  /**
   * Waits for a person's decision on a call, the run shown as awaiting approval meanwhile, and waits again after an
   * escalation. The wait is the gate's one promise chain, not an async layer: a waiting run holds it for hours, and
   * the SDK keeps a stack for every pending promise. Waiting for a person does not spend the wall-clock budget.
   */
  private clearApproval(call: AwaitingApprovalCall): Promise<GateOutcome> {
    const { run } = this;
    const refused = refuseIfUnapprovable(run, call);
    if (refused) return Promise.resolve(refused);
    const waitStarted = Date.now();
    const stopClock = () => {
      run.memory.humanWaitMs += Date.now() - waitStarted;
    };
    const waitOnce = (): Promise<GateOutcome> => {
      this.show('awaiting_approval', describePending(run.desk.pending));
      return awaitDecision(run, call).then((step) =>
        step.kind === 'escalated' ? notifyApprovers(run.settings, run.desk.find(call.callId), true).then(waitOnce) : step,
      );
    };
    return afterSettled(
      waitOnce,
      (gate) => {
        stopClock();
        return gate;
      },
      (err) => {
        stopClock();
        throw err;
      },
    );
  }

  /** Runs a collaborator's steps to their end, publishing the statuses it asks for: only the loop publishes. */
  private async follow<T>(steps: AsyncGenerator<PipelineStep | StatusStep, T, void>): Promise<T> {
    for (;;) {
      const next = await steps.next();
      if (next.done) return next.value;
      this.show(next.value.status, next.value.detail);
    }
  }

  private show(status: RunStatus, detail: string | null): void {
    setStatus(this.run, status, detail);
  }

  /** Completes the run, once no effect's outcome is unknown; one that stays unknown rolls the saga back. */
  private async complete(): Promise<RunOutcome> {
    const { run } = this;
    const unknown = unknownEffects(run.ledger.effects);
    if (unknown.length > 0 && isPatched(PATCHES.reconcileUnknown)) {
      setStatus(run, 'running', `reconciling ${unknown.length} effect(s) whose outcome is unknown`);
      const reconciled = await reconcileUnknown(this.tools, run.settings.reconcile);
      if (reconciled.kind === 'unresolved') throw new SagaAbort(reconciled.reason);
    }
    setStatus(run, 'completed', null);
    return runOutcome(run, 'completed', null);
  }

  /** The rollback: every pending request withdrawn, then every started effect undone, newest first, even when cancelled. */
  private async rollBack(status: 'compensated' | 'cancelled', reason: string): Promise<RunOutcome> {
    const { run } = this;
    const { desk, ledger, memory, settings, timeline } = run;
    for (const request of [...desk.pending]) {
      desk.close(request.callId, { decision: 'withdrawn', approver: null, reason: `the run is rolling back: ${reason}` });
    }
    memory.inFlight = null;
    this.show('compensating', reason);
    timeline.note('run', `rolling back: ${reason}`, 'info');
    await CancellationScope.nonCancellable(async () => {
      for await (const step of ledger.rollback((effect) => undoEffect(effect, this.tools), settings.rollback)) {
        if (step.kind === 'settled') publishRun(run);
        else if (step.kind === 'unblocked') this.show('compensating', reason);
        else {
          const { effect } = step;
          const why = `compensation of ${effect.tool} (${effect.effectId}) keeps failing: ${effect.compensationError}`;
          this.show('blocked', `${why}; retrying with backoff; an operator can retry or skip it`);
        }
      }
    });
    this.show(status, reason);
    return runOutcome(run, status, reason);
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    this.run.timeline.note('run', `continuing as new after turn ${this.run.memory.turn}`, 'info');
    const { memory, settings, feed } = this.run;
    const carried = carryOver(memory, isPatched(PATCHES.compactCarried) ? settings.carry : undefined);
    return continueAsNewFor(settings.agent.versioning)({
      ...this.input,
      carried: isPatched(PATCHES.feedCarried) ? { ...carried, feed: feed.carry(Date.now()) } : carried,
    });
  }
}
