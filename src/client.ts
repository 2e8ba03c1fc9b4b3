/**
 * The sagent client: every operation the CLI and apps share on runs of `agentSaga` (start, read, follow, decide,
 * steer, inspect), with no parsing and no printing.
 *
 * ```ts
 * import { connectClient, SagentClient } from 'sagent';
 * const temporal = await connectClient();
 * const sagent = new SagentClient({ client: temporal.client, taskQueue: 'sagent' });
 * const { workflowId } = await sagent.start({ agent: 'orders', task: 'Refund order 1042' });
 * for await (const view of sagent.follow(workflowId)) console.log(view.status);
 * ```
 */
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { History } from '@temporalio/common/lib/proto-utils';
import { decodeHistory } from './codec/history';
import { DEFAULT_TASK_QUEUE, DEFAULT_UI_URL, QUERY_TIMEOUT_MS } from './shared/constants';
import type {
  AbortRequest,
  AgentRunInput,
  BudgetLimits,
  BudgetTopUp,
  InterruptRequest,
  MessageReceipt,
  ResumeRequest,
  RunState,
  UserMessage,
} from './shared/contracts';
import {
  decide,
  listPending,
  prepareDecision,
  type DecisionReport,
  type DecisionRequest,
  type PendingCalls,
  type PreparedDecision,
} from './operations/approvals';
import { handleOf, notFoundAs, queryState, type ClientContext } from './operations/context';
import { RunNotCompletedError } from './operations/errors';
import { followRun, type FollowOptions } from './operations/follow';
import { followFeed, type FeedItem, type FeedOptions } from './operations/feed';
import { ledgerOf, type LedgerOptions, type RunLedger } from './operations/ledger';
import { auditOf, type RunAudit } from './operations/audit';
import {
  abortRun,
  cancelRun,
  extendBudget,
  interruptRun,
  resumeRun,
  sendMessage,
  steerCompensation,
  type CompensationAction,
  type CompensationSent,
} from './operations/operate';
import { readRun, type ReadOptions, type RunView } from './operations/run-view';
import { startRun, type StartedRun, type StartOptions } from './operations/start';
import { listVersions, type DeploymentVersions } from './operations/versions';
import type { BreakerOverride } from './shared/breakers';
import { overrideBreaker, readBreakers, type FleetBreakers } from './operations/breakers';

/** What `SagentClient` takes: a connected Temporal client, and where runs are started and shown. */
export interface SagentClientOptions {
  /** A connected Temporal client (e.g. `connectClient().client`). */
  client: Client;
  /** @default client.options.namespace */
  namespace?: string;
  /** Where runs are started; a worker must poll it. @default DEFAULT_TASK_QUEUE ('sagent') */
  taskQueue?: string;
  /** The Temporal Web UI, for {@link SagentClient.uiLink}. @default DEFAULT_UI_URL ('http://localhost:8233') */
  uiUrl?: string;
  /** How long a query may take before a run counts as having no worker. @default QUERY_TIMEOUT_MS (5 s) */
  queryTimeoutMs?: number;
}

/** Starts, reads, follows, decides, steers and rolls back agent runs: what the CLI does, for your own code. */
export class SagentClient {
  readonly namespace: string;
  readonly taskQueue: string;
  /** The Web UI base, without a trailing slash. */
  readonly uiUrl: string;
  private readonly ctx: ClientContext;

  constructor(options: SagentClientOptions) {
    this.namespace = options.namespace ?? options.client.options.namespace;
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.uiUrl = (options.uiUrl ?? DEFAULT_UI_URL).replace(/\/+$/, '');
    this.ctx = { client: options.client, namespace: this.namespace, taskQueue: this.taskQueue, queryTimeoutMs: options.queryTimeoutMs ?? QUERY_TIMEOUT_MS };
  }

  /** The run's page in the Web UI. */
  uiLink(workflowId: string): string {
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /**
   * Starts a run (REJECT_DUPLICATE, search attributes, static summary and details) and waits for its first
   * workflow task. Throws `InvalidRunInputError`, `RunAlreadyExistsError`, or `RunInputRefusedError` when the
   * worker refuses the input (an unknown agent or tool); `accepted: false` when no worker took it in time.
   */
  start(input: AgentRunInput, options: StartOptions = {}): Promise<StartedRun> {
    return startRun(this.ctx, input, options);
  }

  /** The run as it is now: live state, outcome, or its search attributes when no worker answers. `RunNotFoundError` for an unknown id. */
  read(workflowId: string, options: ReadOptions = {}): Promise<RunView> {
    return readRun(this.ctx, workflowId, options);
  }

  /** The run's live state from its worker; `QueryUnansweredError` when none answers in time. */
  state(workflowId: string): Promise<RunState> {
    return queryState(this.ctx, handleOf(this.ctx, workflowId));
  }

  /** Waits for the run to end (across continue-as-new), then reads it. */
  async outcome(workflowId: string): Promise<RunView> {
    const handle = handleOf(this.ctx, workflowId);
    await handle.describe().catch((err: unknown) => Promise.reject(notFoundAs(this.ctx, workflowId, err)));
    // A cancelled or failed run rejects; the view explains it.
    await handle.result().catch(() => undefined);
    return readRun(this.ctx, workflowId);
  }

  /**
   * Waits for the run to end and returns its result: the typed final answer of an agent with an output schema
   * (checked again with `output` when given, so the type is earned), else the final text. A run that did not
   * complete throws `RunNotCompletedError` with its status and reason.
   */
  async result<T = unknown>(workflowId: string, output?: z.ZodType<T>): Promise<T> {
    const view = await this.outcome(workflowId);
    if (view.status !== 'completed' || !view.outcome)
      throw new RunNotCompletedError(workflowId, view.status, view.outcome?.reason ?? view.failure ?? view.statusDetail);
    const value = view.outcome.output !== undefined ? view.outcome.output : view.outcome.finalText;
    return output ? output.parse(value) : (value as T);
  }

  /** The run's view on every poll until it ends (see {@link followRun}). */
  follow(workflowId: string, options: FollowOptions = {}): AsyncGenerator<RunView, void, undefined> {
    return followRun(this.ctx, workflowId, options);
  }

  /**
   * The run's live feed as events arrive: Claude's text in pieces (a retried call's `reset` voids the failed
   * attempt's text; `FeedTranscript` keeps the text per turn), every step and status, across continue-as-new and
   * into each sub-agent's feed, until the run ends. The reader asks for the text with one follow signal per half
   * lease (`leaseSeconds`); polling adds nothing to the run's history.
   */
  feed(workflowId: string, options: FeedOptions = {}): AsyncGenerator<FeedItem, void, undefined> {
    return followFeed(this.ctx, workflowId, options);
  }

  /** Every call awaiting a decision, across runs. */
  pending(): Promise<PendingCalls> {
    return listPending(this.ctx);
  }

  /**
   * The builds of a Worker Deployment with the agent runs each still holds on this task queue, and how many of those
   * wait for a person: a build is retired (its workers stopped) only once `drained`.
   */
  versions(deployment: string): Promise<DeploymentVersions> {
    return listVersions(this.ctx, deployment);
  }

  /**
   * Approves or rejects a paused call, bound to its argsHash; by update (answered at once) or by signal (read back).
   * Throws `DecisionRefusedError` (`code`: not_pending, hash_mismatch, refused_by_run), `RunEndedError`, or
   * `DecisionUnconfirmedError` when a signal's effect does not show up in time.
   */
  decide(request: DecisionRequest): Promise<DecisionReport> {
    return decide(this.ctx, request);
  }

  /**
   * What the approver signs for `request`, for a signature made where sagent holds no key (the approver's browser):
   * send it with `decide({ ...request, signature })`. Throws as `decide` does, and a `RangeError` for an edit that
   * leaves a masked field as shown.
   */
  prepareDecision(request: DecisionRequest): Promise<PreparedDecision> {
    return prepareDecision(this.ctx, request);
  }

  /**
   * Tells a running agent something: Claude reads it before its next model call (a conversation agent waiting for
   * its next message answers it). At most 8 KB, from one of the run's steerers (or approvers when it names none);
   * `OperationRefusedError` otherwise.
   */
  send(workflowId: string, message: UserMessage): Promise<MessageReceipt> {
    return sendMessage(this.ctx, workflowId, message);
  }

  /** Stops the run after the step in progress: it waits for a message ({@link send}) or an abort. */
  interrupt(workflowId: string, request: InterruptRequest): Promise<void> {
    return interruptRun(this.ctx, workflowId, request);
  }

  /** Rolls the run back; it completes as compensated. `OperationRefusedError` when the run refuses. */
  abort(workflowId: string, request: AbortRequest): Promise<void> {
    return abortRun(this.ctx, workflowId, request);
  }

  /**
   * Tells a run paused in `model_unavailable` to try its model now (after the key is fixed, or the provider is back);
   * `OperationRefusedError` when the run is not paused for its model.
   */
  resume(workflowId: string, request: ResumeRequest): Promise<void> {
    return resumeRun(this.ctx, workflowId, request);
  }

  /** Requests cancellation: the run undoes its effects newest-first, then ends as cancelled. */
  cancel(workflowId: string): Promise<void> {
    return cancelRun(this.ctx, workflowId);
  }

  /** Raises the run's limits and resolves to the new ones. `OperationRefusedError` when the run refuses. */
  extendBudget(workflowId: string, topUp: BudgetTopUp): Promise<BudgetLimits> {
    return extendBudget(this.ctx, workflowId, topUp);
  }

  /** Retries a failing compensation now. `effect`: the full id, `effect-N` or `N`; `EffectNotFoundError` if unknown. */
  retryCompensation(workflowId: string, effect: string, action: CompensationAction): Promise<CompensationSent> {
    return steerCompensation(this.ctx, 'retry', workflowId, effect, action);
  }

  /** Gives up undoing one effect so a blocked rollback can finish; recorded with who and why. */
  skipCompensation(workflowId: string, effect: string, action: CompensationAction): Promise<CompensationSent> {
    return steerCompensation(this.ctx, 'skip', workflowId, effect, action);
  }

  /** Every effect of the run with its key and compensation; with `servicesUrl`, the services' own rows beside them. */
  ledger(workflowId: string, options: LedgerOptions = {}): Promise<RunLedger> {
    return ledgerOf(this.ctx, workflowId, options);
  }

  /** Every decision of the run in order: identity, policy rules, approvals with signatures, refusals, taint, budget. */
  audit(workflowId: string): Promise<RunAudit> {
    return auditOf(this.ctx, workflowId);
  }

  /**
   * The run's event history, decoded with this client's codec so it reads (and replays) without the key
   * (`historyToJSON` makes a replay fixture of it); `runId` picks a run of the chain.
   */
  async history(workflowId: string, runId?: string): Promise<History> {
    try {
      const history = await this.ctx.client.workflow.getHandle(workflowId, runId).fetchHistory();
      return await decodeHistory(history, this.ctx.client.options.loadedDataConverter);
    } catch (err) {
      throw notFoundAs(this.ctx, workflowId, err);
    }
  }

  /** Every worker's circuit breakers, and the operators' overrides in force (the task queue's breaker board). */
  async breakers(): Promise<FleetBreakers> {
    return readBreakers(this.ctx);
  }

  /**
   * Holds breaker `name` (a service or tool name) open or closed on every worker, or lifts the override with
   * `clear`; workers apply it within about 2 s. Throws `BreakerOverrideRefusedError` for a malformed request.
   */
  async overrideBreaker(name: string, position: 'open' | 'closed' | 'clear', by: { by: string; reason: string }): Promise<Record<string, BreakerOverride>> {
    return overrideBreaker(this.ctx, { name, position, by: by.by, reason: by.reason });
  }
}
