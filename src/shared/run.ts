/**
 * A run as its starter and its readers see it: the input and the settings it resolves to, the usage, the state
 * `getState` reports, what continue-as-new carries, and the outcome. Sandbox-safe: JSON types only.
 */
import type { Conversation } from './conversation';
import type { RepeatMemory } from './repeats';
import type { ApprovalRecord, CompactedBooks, DecidedApproval, EffectRecord, PendingApproval, RejectedAttempt, TimelineEntry, TurnInFlight } from './records';
import type { McpToolRecord } from './mcp';
import type { AccessGrant, AuditEntry, RunIdentity, RunPolicyInput, TaintSource } from './policy';

/** Every status a run can show (`status --json`, the `AgentStatus` search attribute), in the order a run meets them. */
export const RUN_STATUSES = [
  'running',
  'awaiting_approval',
  'budget_exhausted',
  'compensating',
  'completed',
  'compensated',
  'blocked',
  'cancelled',
  'failed',
  'awaiting_message',
  'model_unavailable',
] as const;
/** One of {@link RUN_STATUSES}: where a run stands now. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Limits a run may not pass; each one is checked before every model call. */
export interface BudgetLimits {
  /** Model turns. @default 40 */
  maxSteps: number;
  /** Input tokens over the whole run (cache reads and writes included). @default 2_000_000 */
  maxInputTokens: number;
  /** @default 200_000 */
  maxOutputTokens: number;
  /** @default 5 */
  maxCostUsd: number;
  /**
   * Wall clock from the run's start, as a durable timer; time spent waiting for a person (an approval, a
   * top-up) does not count, so a 24-hour approval wait never spends a 1-hour budget. @default 1 hour
   */
  maxWallClockMs: number;
  /** Calls of any one tool. @default 20 */
  maxCallsPerTool: number;
  /** The same tool with the same arguments; the next identical call is refused. @default 3 */
  maxIdenticalCalls: number;
  /** How long an exhausted run waits for a top-up before it rolls back. @default 24 hours */
  topUpTimeoutMs: number;
}

/** What happens when an approval request expires unanswered. */
export type ApprovalExpiryAction = 'reject' | 'escalate' | 'abort';

/** A run's approval rules, resolved from its {@link ApprovalInput}: who decides, for which tools, for how long. */
export interface ApprovalSettings {
  /**
   * Who may approve, by name. Empty: nobody, unless `anyNamespaceUser` says anyone who can signal the run may
   * (runs from before that rule keep their old meaning, anyone who names themselves). @default []
   */
  approvers: string[];
  /** Approvers' Ed25519 public keys (hex) by name; with any key listed, every decision must be signed. @default {} */
  approverKeys: Record<string, string>;
  /** Anyone who can signal the run may decide, under any name: attribution only, no authorisation. @default false */
  anyNamespaceUser: boolean;
  /** Tools that need approval beyond those whose declared risk already asks for it. @default [] */
  requireFor: string[];
  /** @default 24 hours */
  timeoutMs: number;
  /** @default 'reject' */
  onExpiry: ApprovalExpiryAction;
  /** A rejected call ends the saga instead of going back to Claude. @default false */
  rejectionIsFatal: boolean;
  /** With `onExpiry: 'escalate'`: how much longer to wait after notifying. @default timeoutMs */
  escalationTimeoutMs?: number;
}

/** What one model call carries of a long conversation: the turns kept verbatim, and when older ones are compacted. */
export interface ContextSettings {
  /** Turns (assistant + tool results) kept verbatim at the end of the context when older ones are compacted. @default 2 */
  keepTurns: number;
  /** Bytes of a compacted older tool result. @default 160 */
  stubBytes: number;
  /**
   * Older turns (before the last `keepTurns`) are compacted once they hold this many bytes and the
   * compaction pays for itself at once: it removes at least 12.5 times the bytes it rewrites in the prompt
   * cache (a cache write costs 12.5 times a read). @default 16384
   */
  compactAfterBytes: number;
  /** Older turns are compacted once they hold this many bytes, even when that does not pay at once. @default 131072 */
  forceCompactAfterBytes: number;
  /** Bytes of compacted lines kept at most; past it the oldest go, down to half of it. @default 2048 */
  maxSummaryBytes: number;
}

/** An approver as a run's input names them: a plain name (attribution only), or a name with a public key. */
export type ApproverInput = string | { name: string; publicKey: string };

/** The approval part of a run's input; `approvers` may carry public keys, which `approverKeys` is resolved from. */
export type ApprovalInput = Partial<Omit<ApprovalSettings, 'approvers' | 'approverKeys'>> & {
  /** Who may approve: names, or names with public keys (then every decision must be signed). @default [] */
  approvers?: ApproverInput[];
};

/** What `sagent start` sends. Everything but `agent` and `task` has a default. */
export interface AgentRunInput {
  /** The agent's name, as `defineAgent` gave it and the worker registers it. */
  agent: string;
  /** What the user asks for: the first user message Claude reads. */
  task: string;
  /** Who may approve risky calls, for which tools, and for how long; see {@link ApprovalSettings}. @default no approvers, 24-hour requests, expiry rejects */
  approval?: ApprovalInput;
  /** Limits the run may not pass; each field left out takes its {@link BudgetLimits} default. @default 40 steps, $5, 1 hour */
  budget?: Partial<BudgetLimits>;
  /** Narrows the agent's tools to these names (the `abort` tool is always kept). @default all the agent's tools */
  allowedTools?: string[];
  /** The model the run calls. @default 'claude-sonnet-4-6' */
  model?: string;
  /** The model a run escalates to after two tool errors in a row. @default 'claude-opus-4-6' */
  escalationModel?: string;
  /** Models to fall back to, in order, when the run's model answers overloaded or rate-limited. @default the agent's `fallbackModels` */
  fallbackModels?: string[];
  /**
   * How the run rides out a model that does not answer: fallbacks, pauses, its horizon.
   * @default 3 answers before a fallback, 4 attempts per model, pauses from 30 s to 10 min, a 6-hour horizon
   */
  modelOutage?: Partial<Omit<ModelOutageSettings, 'fallbackModels'>>;
  /**
   * Tells Claude what remains and asks it to finish once any budget is this far spent (0 to 1); `false` never.
   * @default 0.9
   */
  windDownAt?: number | false;
  /** The task queue model calls go to (a worker's rate-limited model queue). @default the run's own task queue */
  modelTaskQueue?: string;
  /** What one model call carries; each field left out takes its {@link ContextSettings} default. @default keep 2 turns, compact past 16 KiB */
  context?: Partial<ContextSettings>;
  /** Output tokens one model call may produce. @default 4096 */
  maxTokens?: number;
  /** Continue as new after this many model turns in one run, or when the server suggests it. @default 100 */
  continueAsNewAfterTurns?: number;
  /** Who may send the run messages and interrupt it, by name. @default the run's approvers */
  steerers?: string[];
  /**
   * How much of its books a run carries over continue-as-new; the rest is counted (`compacted`).
   * @default 24 timeline entries, 20 settled effects, 50 approvals, 64 call keys
   */
  carry?: Partial<CarryLimits>;
  /** Compensation attempts that fail before the run shows `blocked`. @default 3 */
  blockAfterCompensationFailures?: number;
  /** How an effect whose outcome is unknown is resolved before the run completes. @default 4 rounds, from 5 s up to 60 s apart */
  reconcile?: Partial<ReconcileSettings>;
  /** Who started the run and for which tenant; recorded in search attributes, the audit trail and the timeline. @default none: an anonymous run */
  identity?: RunIdentity;
  /** The run's own rules, merged most-restrictive-wins with the agent's: they may ask or deny, never allow. @default none */
  policy?: RunPolicyInput;
  /** State carried over a continue-as-new; never set by users. @default none: a fresh run */
  carried?: CarriedState;
}

/**
 * How much of each book continue-as-new carries, so a run of any length carries a bounded input. What is left
 * out is counted in `compacted` and stays in the histories of earlier runs; the counters (steps, usage, calls per
 * tool, refusals) and every effect a rollback may still have to undo are always carried in full.
 */
export interface CarryLimits {
  /** Newest timeline entries carried. @default 24 */
  timelineEntries: number;
  /** Newest effects with nothing left to undo (refused, irreversible) still listed in full. @default 20 */
  settledEffects: number;
  /** Newest approval records (decisions) carried. @default 50 */
  approvals: number;
  /** Distinct calls the identical-call guard carries counts for; calls made more than once go first. @default 64 */
  callKeys: number;
}

/** Rounds of reconciliation of an unknown effect: a retry with its key, or the tool's status check. */
export interface ReconcileSettings {
  /** Rounds before the run gives up learning the outcome and rolls back. @default 4 */
  rounds: number;
  /** Wait before the first round; doubles each round. @default 5000 */
  initialDelayMs: number;
  /** @default 60_000 */
  maxDelayMs: number;
}

/** How a run rides out a model that does not answer (DESIGN.md, guarantee 11). */
export interface ModelOutageSettings {
  /** Models tried in order after the run's model answers overloaded or rate-limited. @default [] */
  fallbackModels: string[];
  /** Overloaded or rate-limited answers of one model in a row, within one call, before the next model is tried. @default 3 */
  fallbackAfter: number;
  /** Attempts of the last model in the list, within one call, before the run pauses in `model_unavailable`. @default 4 */
  attemptsPerModel: number;
  /** The first wait of a paused run before it tries again; doubles each time. @default 30_000 */
  retryInitialMs: number;
  /** The longest wait between two tries of a paused run. @default 600_000 */
  retryMaxMs: number;
  /** How long a run waits for its model in all; past it, the run rolls back (a deadline the run set). @default 6 hours */
  horizonMs: number;
  /** How long a run stays on the model it fell back to before its first model gets the next call again. @default 600_000 */
  fallbackCooldownMs: number;
}

/** What a run has spent: tokens as the model reported them, and their cost in USD from the pricing table. */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

/** State carried over continue-as-new so the next run picks up exactly where this one stopped. */
export interface CarriedState {
  startedAt: string;
  turn: number;
  nextSeq: number;
  usage: RunUsage;
  limits: BudgetLimits;
  callsPerTool: Record<string, number>;
  callCounts: Record<string, number>;
  consecutiveToolErrors: number;
  effects: EffectRecord[];
  approvals: ApprovalRecord[];
  rejectedAttempts: RejectedAttempt[];
  conversation: Conversation;
  timeline: TimelineEntry[];
  runsSoFar: number;
  inFlight: TurnInFlight | null;
  pendingApprovals: PendingApproval[];
  /** Decisions taken but not yet acted on (the loop was waiting for an earlier call). */
  decidedApprovals: Record<string, DecidedApproval>;
  finalText: string | null;
  /** The MCP tools the run listed at its start; absent for agents without MCP servers. */
  mcpTools?: McpToolRecord[];
  /** What the repeat guard remembers: committed calls and refusals. Absent in runs carried by older code. */
  repeats?: RepeatMemory;
  /** Time spent waiting for a person, which the wall-clock budget does not count. */
  humanWaitMs?: number;
  /** What the books no longer list, counted; absent in runs carried by older code (nothing was left out). */
  compacted?: CompactedBooks;
  /** Usage by the model that answered, and how often a call switched models; absent until a model answers. */
  models?: ModelBook;
  /** The validated final answer of an agent with an output schema; absent otherwise. */
  output?: unknown;
  /** Final answers that did not validate so far; absent until one does not. */
  outputAttempts?: number;
  /** Messages sent to the run that the next model call reads; absent until one comes. */
  inbox?: QueuedMessage[];
  /** Set by `interrupt`: the run waits for a message or an abort before its next model call. */
  interrupted?: { by: string; reason?: string } | null;
  /** Untrusted content the run has read (so later state-changing calls ask); absent until it reads any. */
  taint?: TaintSource[];
  /** Every decision of the run, in order (policy, approvals, refusals, budget); absent in runs of older code. */
  audit?: AuditEntry[];
  /** The tools the run's principal may use, as the worker answered at the run's start; absent before that rule. */
  access?: AccessGrant;
  /** The live feed's next offset and newest events, so readers go on across the boundary; absent from older code. */
  feed?: CarriedFeed;
}

/** A message waiting for the next model call. */
export interface QueuedMessage {
  text: string;
  by: string;
  at: string;
}

/** Which models answered a run: usage and cost per model, and the switches (each a cold prompt cache). */
export interface ModelBook {
  usage: Record<string, RunUsage>;
  /** Turns answered by another model than the turn before (each starts with a cold prompt cache). */
  switches: number;
  /** Turns answered by a fallback model instead of the one the run chose. */
  fallbacks: number;
  /** The model that answered the newest turn. */
  last: string;
}

/** What `getState` answers: the run as the CLI, the UI and a client read it while it runs and after it ends. */
export interface RunState {
  workflowId: string;
  /** Where the run takes signed decisions bound to a run: the run id (its chain's first) a signature must cover. */
  signatureRunId?: string;
  agent: string;
  task: string;
  status: RunStatus;
  statusDetail: string | null;
  steps: number;
  model: string;
  usage: RunUsage;
  budget: { limits: BudgetLimits; exhausted: string | null };
  pendingApprovals: PendingApproval[];
  approvals: ApprovalRecord[];
  rejectedAttempts: RejectedAttempt[];
  effects: EffectRecord[];
  timeline: TimelineEntry[];
  continuedAsNew: number;
  finalText: string | null;
  /**
   * The run's live feed had this many events when the state was read: a reader that shows both prints the state once
   * it has read the feed this far, so a turn's text comes before the step it precedes. Absent in runs of older code.
   */
  feedOffset?: number;
  /** Sub-agents running for this run, as they last reported; absent when none runs. */
  delegations?: DelegationView[];
  /** What a long run's books no longer list (older timeline entries, settled effects, decisions); absent when nothing. */
  compacted?: CompactedBooks;
  /** The validated final answer of an agent with an output schema; absent otherwise. */
  output?: unknown;
  /** Usage per model that answered and the model switches; absent until a model answers. */
  models?: ModelBook;
  /** Who started the run and for whom; absent when the run names nobody. */
  identity?: RunIdentity;
  /** Every decision of the run, in order; absent in runs of older code. */
  audit?: AuditEntry[];
  /** Untrusted content the run has read; absent until it reads any. */
  taint?: TaintSource[];
}

/** What the workflow returns. A compensated run completes: rollback is a business outcome, not a bug. */
export interface RunOutcome {
  workflowId: string;
  status: 'completed' | 'compensated' | 'cancelled';
  reason: string | null;
  finalText: string | null;
  steps: number;
  usage: RunUsage;
  effects: EffectRecord[];
  approvals: ApprovalRecord[];
  /** What `effects` and `approvals` no longer list (settled effects of earlier runs, older decisions); absent when nothing. */
  compacted?: CompactedBooks;
  /** The final answer as the agent's output schema typed it; absent for agents without one. */
  output?: unknown;
  /** Usage per model that answered and the model switches; absent until a model answers. */
  models?: ModelBook;
}

/** Where a delegated run stands, as the parent last heard it. */
export interface DelegateProgress {
  workflowId: string;
  agent: string;
  status: RunStatus;
  statusDetail: string | null;
  /** The child's own pending calls (secrets masked); approve them through the parent's id or the child's. */
  pendingApprovals: PendingApproval[];
  usage: RunUsage;
  /** Orders the reports: two sent in one workflow task may arrive in either order, and the parent keeps the newest. */
  seq?: number;
}

/** A delegated run as the parent's `getState` shows it: the parent's call that started it, and its progress. */
export interface DelegationView extends DelegateProgress {
  /** The parent's effect id whose step the child is. */
  effectId: string;
  tool: string;
}

/** The agent-run workflow: what `createAgentSaga` returns, and the type the client and a parent start. */
export type AgentSagaWorkflow = (input: AgentRunInput) => Promise<RunOutcome>;

// The live feed's events (shared/feed.ts has its messages): here, since continue-as-new carries its tail.
/** What one event says; every event also carries its offset and when the workflow took it in. */
export type FeedEventBody =
  /** A piece of Claude's text for a model turn, from one attempt of its call. */
  | { kind: 'text'; turn: number; attempt: number; text: string }
  /** A retried model call started again: the text of earlier attempts of this turn is void. */
  | { kind: 'reset'; turn: number; attempt: number }
  /** A timeline entry opened or settled: model turn, tool call, approval, effect, compensation, pause. */
  | { kind: 'step'; step: Pick<TimelineEntry, 'kind' | 'title' | 'state' | 'detail' | 'effectId'> }
  /** The run's status changed (a pause, a rollback, the result). */
  | { kind: 'status'; status: RunStatus; detail: string | null }
  /** A sub-agent started as a child workflow: its own feed goes on under the child's workflow id. */
  | { kind: 'delegate'; child: string; agent: string; effectId: string };

/** One event of a run's live feed: what it says, its offset in the feed, and when the workflow took it in. */
export type FeedEvent = FeedEventBody & { offset: number; at: string };

/** What continue-as-new carries of the feed: the next offset and the newest events. */
export interface CarriedFeed {
  nextOffset: number;
  tail: FeedEvent[];
  /** Until when (workflow time, epoch ms) a reader's follow lease runs; absent when none was live. */
  followedUntil?: number;
}
